"""kombu's SQLAlchemy transport, polling faster: the broker of the embedded default.

The stock transport polls an empty queue once a second and hands every transport option to
``create_engine`` (so ``polling_interval`` cannot be set as an option). This subclass only
changes the interval; it is registered under the URL prefix ``actionsdb+`` (see ``app.py``).
"""

from __future__ import annotations

from kombu.transport.sqlalchemy import Transport as SqlAlchemyTransport

__all__ = ["Transport"]


class Transport(SqlAlchemyTransport):
    #: seconds between looks at an empty queue: the embedded queue's delay is about half of it
    polling_interval = 0.1

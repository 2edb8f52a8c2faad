"""The SQL of the ``connectors`` table: one row per stored connector, keyed by (space, id).

The connectors service (:mod:`actions_core.connectors`) decides what may be written; this module
only says how. Writes report what happened (``False`` for a duplicate id, a lost version race or
a missing row) and leave the wording of the error to the caller.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from actions_core._store.tables import connectors as table

__all__ = ["ConnectorRows", "StoredConnector"]

# The config is read as text and decoded here, so that one row holding what JSON cannot say
# (``Infinity``, written before the checks existed) or no JSON at all cannot fail a whole read.
_SELECT = sa.select(
    *(c for c in table.columns if c.name != "config"),
    sa.type_coerce(table.c.config, sa.Text).label("config"),
)
# Built once: the hot path of every execution should not rebuild the same SQL expression.
_SELECT_ONE = _SELECT.where(
    (table.c.space_id == sa.bindparam("space_id")) & (table.c.id == sa.bindparam("id"))
)


@dataclass(frozen=True)
class StoredConnector:
    """One stored row. ``config`` is always a dict: what could be read of the stored JSON, with
    ``config_problem`` saying what could not (``None`` for a sound row)."""

    space_id: str
    id: str
    action_type_id: str
    name: str
    config: dict[str, Any]
    secrets: str | None
    created_at: str
    updated_at: str
    version: int
    config_problem: str | None = None


def _stored(row: sa.Row) -> StoredConnector:
    fields = dict(row._mapping)
    config, problem = decode_config(fields.pop("config"))
    return StoredConnector(**fields, config=config, config_problem=problem)


def decode_config(text: Any) -> tuple[dict[str, Any], str | None]:
    """The stored config as a dict, and what was wrong with it: non-finite numbers become
    ``None``; text that is not a JSON object becomes ``{}``."""
    non_finite: list[str] = []

    def constant(name: str) -> None:
        non_finite.append(name)

    def number(literal: str) -> float | None:
        value = float(literal)
        if math.isfinite(value):
            return value
        non_finite.append(literal)
        return None

    if isinstance(text, dict):  # a driver that decodes JSON itself (psycopg): sound JSON
        return text, None
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        value = json.loads(text, parse_constant=constant, parse_float=number)
    except (TypeError, ValueError, RecursionError) as err:
        return {}, f"the stored config is not JSON ({err})"
    if not isinstance(value, dict):
        return {}, f"the stored config is a JSON {type(value).__name__}, not an object"
    if non_finite:
        shown = ", ".join(sorted(set(non_finite)))
        return value, f"the stored config holds numbers JSON cannot carry ({shown}), shown as null"
    return value, None


def _key(space_id: str, id: str) -> Any:
    return (table.c.space_id == space_id) & (table.c.id == id)


class ConnectorRows:
    """Reads and writes of stored connector rows (secrets arrive here already sealed)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def get(self, space_id: str, id: str) -> StoredConnector | None:
        with self._engine.connect() as conn:
            row = conn.execute(_SELECT_ONE, {"space_id": space_id, "id": id}).first()
        return None if row is None else _stored(row)

    def version(self, space_id: str, id: str) -> int | None:
        """The row's version (``None``: no such row): a cached copy is current if it matches."""
        with self._engine.connect() as conn:
            return conn.execute(
                sa.select(table.c.version).where(_key(space_id, id))
            ).scalar_one_or_none()

    def in_space(self, space_id: str) -> list[StoredConnector]:
        with self._engine.connect() as conn:
            rows = conn.execute(_SELECT.where(table.c.space_id == space_id)).all()
        return [_stored(row) for row in rows]

    def all(self) -> list[StoredConnector]:
        with self._engine.connect() as conn:
            return [_stored(row) for row in conn.execute(_SELECT).all()]

    def count_sealed(self) -> int:
        """How many rows hold sealed secrets (every stored connector does, ``{}`` included)."""
        with self._engine.connect() as conn:
            query = sa.select(sa.func.count()).where(table.c.secrets.is_not(None))
            return int(conn.execute(query).scalar_one())

    def insert(
        self,
        *,
        space_id: str,
        id: str,
        action_type_id: str,
        name: str,
        config: dict[str, Any],
        secrets: str | None,
        now: str,
    ) -> bool:
        """Add a row at version 1; False when (space, id) is taken."""
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    table.insert().values(
                        space_id=space_id,
                        id=id,
                        action_type_id=action_type_id,
                        name=name,
                        config=config,
                        secrets=secrets,
                        created_at=now,
                        updated_at=now,
                        version=1,
                    )
                )
        except sa.exc.IntegrityError:
            return False
        return True

    def update(
        self,
        space_id: str,
        id: str,
        *,
        version: int,
        name: str,
        config: dict[str, Any],
        secrets: str | None,
        now: str,
    ) -> bool:
        """Replace the values if the row is still at ``version``; False if it changed since."""
        with self._engine.begin() as conn:
            result = conn.execute(
                table.update()
                .where(_key(space_id, id) & (table.c.version == version))
                .values(
                    name=name, config=config, secrets=secrets, updated_at=now, version=version + 1
                )
            )
        return result.rowcount == 1

    def set_secrets(self, space_id: str, id: str, secrets: str | None) -> None:
        """Replace only the sealed secrets (key rotation: the values do not change)."""
        with self._engine.begin() as conn:
            conn.execute(table.update().where(_key(space_id, id)).values(secrets=secrets))

    def delete(self, space_id: str, id: str) -> bool:
        """False when there was no such row."""
        with self._engine.begin() as conn:
            result = conn.execute(table.delete().where(_key(space_id, id)))
        return result.rowcount != 0

"""The SQL of the ``connectors`` table: one row per stored connector, keyed by (space, id).

The connectors service (:mod:`actions_core.connectors`) decides what may be written; this module
only says how. Writes report what happened (``False`` for a duplicate id, a lost version race or
a missing row) and leave the wording of the error to the caller.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from actions_core._store.tables import connectors as table

__all__ = ["ConnectorRows"]

# Built once: the hot path of every execution should not rebuild the same SQL expression.
_SELECT_ONE = sa.select(table).where(
    (table.c.space_id == sa.bindparam("space_id")) & (table.c.id == sa.bindparam("id"))
)


def _key(space_id: str, id: str) -> Any:
    return (table.c.space_id == space_id) & (table.c.id == id)


class ConnectorRows:
    """Reads and writes of stored connector rows (secrets arrive here already sealed)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def get(self, space_id: str, id: str) -> sa.Row | None:
        with self._engine.connect() as conn:
            return conn.execute(_SELECT_ONE, {"space_id": space_id, "id": id}).first()

    def version(self, space_id: str, id: str) -> int | None:
        """The row's version (``None``: no such row): a cached copy is current if it matches."""
        with self._engine.connect() as conn:
            return conn.execute(
                sa.select(table.c.version).where(_key(space_id, id))
            ).scalar_one_or_none()

    def in_space(self, space_id: str) -> list[sa.Row]:
        with self._engine.connect() as conn:
            return list(conn.execute(sa.select(table).where(table.c.space_id == space_id)).all())

    def all(self) -> list[sa.Row]:
        with self._engine.connect() as conn:
            return list(conn.execute(sa.select(table)).all())

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

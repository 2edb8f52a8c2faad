"""The real servers of the scale-out tests start on loopback and answer."""

from __future__ import annotations

import sqlalchemy as sa


def test_postgres_databases_are_fresh_and_usable(postgres_server):
    first, second = postgres_server.create_database(), postgres_server.create_database()
    assert first != second
    assert first.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    engine = sa.create_engine(first)
    try:
        with engine.connect() as conn:
            assert conn.scalar(sa.text("select 1")) == 1
            assert sa.inspect(conn).get_table_names() == []
    finally:
        engine.dispose()


def test_redis_answers(redis_server):
    import redis

    client = redis.Redis(host="127.0.0.1", port=redis_server.port, socket_timeout=5)
    try:
        client.set("k", "v")
        assert client.get("k") == b"v"
    finally:
        client.close()

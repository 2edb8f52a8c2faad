"""API keys and Basic users: 401 without or with bad credentials, 403 for ``read`` writes."""

from __future__ import annotations

import base64
import uuid

import pytest

from actions_core.server import ApiKeyStore, hash_password, verify_password
from actions_core.server.apikeys import decode_api_key
from tests.server.conftest import Server, basic
from tests.server.support import execute_events
from tests.servers import wait_until

ECHO = {
    "name": "e",
    "connector_type_id": ".echo",
    "config": {"url": "u"},
    "secrets": {"token": "t"},
}
ROUTES = [
    ("GET", "/api/actions/connectors"),
    ("GET", "/api/actions/connector/pre-log"),
    ("GET", "/api/actions/connector_types"),
    ("POST", "/api/actions/connector"),
    ("POST", "/api/actions/connector/some-id"),
    ("PUT", "/api/actions/connector/pre-log"),
    ("DELETE", "/api/actions/connector/pre-log"),
    ("POST", "/api/actions/connector/pre-log/_execute"),
    ("GET", "/api/actions/connector/pre-log/_usage"),
    ("GET", "/s/other/api/actions/connectors"),
    ("GET", "/api/actions/openapi.json"),
]


def unauthorized(response) -> str:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["statusCode"] == 401
    assert body["error"] == "Unauthorized"
    assert "Basic" in response.headers["www-authenticate"]
    return body["message"]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_but_the_health_check_needs_credentials(server: Server, method, path) -> None:
    assert unauthorized(server.request(method, path, who=None)).startswith("Unauthorized")


@pytest.mark.parametrize("path", ["/app/connectors", "/app/connectors/pre-log/usage"])
def test_pages_send_a_browser_without_a_session_to_the_login_page(server: Server, path) -> None:
    response = server.request("GET", path, who=None, headers={"Accept": "text/html"})
    assert response.status_code == 302
    assert response.headers["location"].startswith("/login?next=%2Fapp%2Fconnectors")


@pytest.mark.parametrize(
    "authorization",
    [
        "ApiKey " + base64.b64encode(b"nope:wrong").decode(),
        "ApiKey not-base64!",
        "ApiKey " + base64.b64encode(b"no-colon").decode(),
        "Bearer something",
        basic("alice", "wrong-password"),
        basic("nobody", "x"),
        "Basic !!!",
    ],
)
def test_bad_credentials_are_401(server: Server, authorization: str) -> None:
    response = server.request(
        "GET", "/api/actions/connectors", headers={"Authorization": authorization}
    )
    unauthorized(response)


def test_a_wrong_secret_for_a_real_key_id_is_401(server: Server) -> None:
    key_id = server.keys["admin"].key.id
    forged = base64.b64encode(f"{key_id}:guessed".encode()).decode()
    unauthorized(
        server.request(
            "GET", "/api/actions/connectors", headers={"Authorization": f"ApiKey {forged}"}
        )
    )


def test_a_revoked_key_is_401(server: Server) -> None:
    unauthorized(server.request("GET", "/api/actions/connectors", who="revoked"))


def test_revoking_takes_effect_at_once(server: Server, tmp_path) -> None:
    from actions_core import Actions
    from tests.server.conftest import server_config

    actions = Actions(data_dir=server.data_dir, config=server_config(""), load_entry_points=False)
    try:
        store = ApiKeyStore(actions.engine)
        new = store.create("short-lived", "read")
        headers = {"Authorization": f"ApiKey {new.encoded}"}
        assert server.request("GET", "/api/actions/connectors", headers=headers).status_code == 200
        store.revoke(new.key.id)
        unauthorized(server.request("GET", "/api/actions/connectors", headers=headers))
    finally:
        actions.close()


@pytest.mark.parametrize("who", ["reader", "bob"])
def test_read_role_can_read_and_execute_but_not_write(server: Server, who: str) -> None:
    assert server.request("GET", "/api/actions/connectors", who=who).status_code == 200
    assert server.request("GET", "/api/actions/connector/pre-log", who=who).status_code == 200
    assert server.request("GET", "/api/actions/connector_types", who=who).status_code == 200
    run = server.request(
        "POST",
        "/api/actions/connector/pre-log/_execute",
        who=who,
        json={"params": {"message": "hi"}},
    )
    assert run.json() == {"connector_id": "pre-log", "status": "ok"}
    cid = f"by-{who}-{uuid.uuid4().hex[:6]}"
    created = server.request("POST", f"/api/actions/connector/{cid}", who=who, json=ECHO)
    assert created.status_code == 403
    assert created.json() == {
        "statusCode": 403,
        "error": "Forbidden",
        "message": 'Unauthorized to create a ".echo" action',
    }
    assert server.request("GET", f"/api/actions/connector/{cid}").status_code == 404
    updated = server.request("PUT", "/api/actions/connector/pre-log", who=who, json={"name": "x"})
    assert updated.json()["message"] == "Unauthorized to update actions"
    deleted = server.request("DELETE", "/api/actions/connector/pre-log", who=who)
    assert deleted.status_code == 403
    assert deleted.json()["message"] == "Unauthorized to delete actions"


@pytest.mark.parametrize("who", ["admin", "alice"])
def test_all_role_can_write(server: Server, who: str) -> None:
    cid = f"by-{who}-{uuid.uuid4().hex[:6]}"
    assert (
        server.request("POST", f"/api/actions/connector/{cid}", who=who, json=ECHO).status_code
        == 200
    )
    assert server.request("DELETE", f"/api/actions/connector/{cid}", who=who).status_code == 204


def test_a_browser_can_send_an_api_key_as_basic_credentials(server: Server) -> None:
    key_id, secret = decode_api_key(server.keys["reader"].encoded)
    response = server.request(
        "GET", "/api/actions/connectors", headers={"Authorization": basic(key_id, secret)}
    )
    assert response.status_code == 200


def test_event_records_carry_the_api_key_id_or_the_user(server: Server) -> None:
    cid = f"who-{uuid.uuid4().hex[:8]}"
    assert server.request("POST", f"/api/actions/connector/{cid}", json=ECHO).status_code == 200
    for who in ("reader", "bob"):
        run = server.request(
            "POST",
            f"/api/actions/connector/{cid}/_execute",
            who=who,
            json={"params": {"text": "x"}},
        )
        assert run.json()["status"] == "ok"
    events = wait_until(
        lambda: len(execute_events(server.db, cid)) == 2 and execute_events(server.db, cid)
    )
    assert [e["user"] for e in events] == [f"api_key:{server.keys['reader'].key.id}", "bob"]
    assert all(e["source"] == "http_request" for e in events)


# --- the key store and password hashes, in-process --------------------------------------


@pytest.mark.both_stores
def test_keys_are_stored_hashed_and_listed_without_secrets(make_actions) -> None:
    actions = make_actions()
    store = ApiKeyStore(actions.engine)
    new = store.create("ci", "read", created_by="test")
    assert new.api_key not in repr(new)
    with actions.engine.connect() as conn:
        stored = " ".join(
            str(v) for row in conn.exec_driver_sql("select * from api_keys") for v in row
        )
    assert new.api_key not in stored
    assert new.encoded not in stored
    [listed] = store.list()
    assert listed.to_dict() == {
        "id": new.key.id,
        "name": "ci",
        "role": "read",
        "created_at": listed.created_at,
        "created_by": "test",
        "revoked": False,
        "revoked_at": None,
    }
    assert store.verify(new.key.id, new.api_key) == listed
    assert store.verify(new.key.id, new.api_key + "x") is None
    assert store.verify("unknown", new.api_key) is None
    assert store.revoke(new.key.id).active is False
    assert store.verify(new.key.id, new.api_key) is None


@pytest.mark.both_stores
def test_key_store_refuses_bad_input(make_actions) -> None:
    from actions_core import NotFoundError, ValidationError

    store = ApiKeyStore(make_actions().engine)
    with pytest.raises(ValidationError, match="role"):
        store.create("x", "admin")
    with pytest.raises(ValidationError, match="name"):
        store.create(" ", "read")
    with pytest.raises(NotFoundError):
        store.revoke("missing")


@pytest.mark.both_stores
def test_the_first_start_key_is_created_once_and_written_0600(make_actions, tmp_path) -> None:
    store = ApiKeyStore(make_actions().engine)
    new = store.ensure_initial_key(tmp_path / "keys")
    assert new is not None and new.key.role == "all"
    path = tmp_path / "keys" / "api-key"
    assert path.read_text().strip() == new.encoded
    assert path.stat().st_mode & 0o777 == 0o600
    assert store.ensure_initial_key(tmp_path / "keys") is None


def test_password_hashes() -> None:
    encoded = hash_password("s3cret")
    assert encoded.startswith("scrypt$") and "s3cret" not in encoded
    assert verify_password("s3cret", encoded)
    assert not verify_password("S3cret", encoded)
    assert not verify_password("s3cret", "garbage")
    assert not verify_password("s3cret", "md5$1$2$3$4$5")


_REVOKE = (
    "import sys, sqlalchemy as sa\n"
    "from actions_core.server.apikeys import ApiKeyStore\n"
    "engine = sa.create_engine(sys.argv[1])\n"
    "made = ApiKeyStore(engine).create('elsewhere', 'all')\n"
    "ApiKeyStore(engine).revoke(sys.argv[2])\n"
    "print(made.key.id, made.api_key)\n"
)


@pytest.mark.both_stores
def test_verify_reads_the_database_every_time(make_actions) -> None:
    """No cache: a key revoked, or created, by another process counts for the next verify."""
    import subprocess
    import sys

    store = ApiKeyStore(make_actions().engine)
    new = store.create("warm", "read")
    for _ in range(3):  # the store's own connection is open and has read the row
        assert store.verify(new.key.id, new.api_key) is not None
    url = store._engine.url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, "-c", _REVOKE, url, new.key.id],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert store.verify(new.key.id, new.api_key) is None
    made_id, made_secret = done.stdout.split()
    verified = store.verify(made_id, made_secret)
    assert verified is not None and verified.name == "elsewhere" and verified.role == "all"
    store.close()
    assert store.verify(made_id, made_secret) == verified  # reopens after close


def test_a_store_used_before_a_fork_answers_in_the_child_and_the_parent(make_actions) -> None:
    """``actions serve --workers N`` forks: a child opens its own connection for ``verify``
    and leaves the one it inherited to the parent."""
    import os

    store = ApiKeyStore(make_actions().engine)
    new = store.create("forked", "read")
    assert store.verify(new.key.id, new.api_key) is not None  # the parent's connection is open
    pid = os.fork()
    if pid == 0:  # the child (it leaves the engine's pool alone): 0 when it saw the key
        try:
            seen = store.verify(new.key.id, new.api_key) is not None
            os._exit(0 if seen else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.verify(new.key.id, new.api_key) is not None  # the parent's still answers
    store.revoke(new.key.id)
    assert store.verify(new.key.id, new.api_key) is None


@pytest.mark.both_stores
def test_a_key_is_checked_on_the_event_loop_only_on_a_local_store(
    make_actions, database_url
) -> None:
    """The service checks an API key on its loop when the read is local (a SQLite file) and in
    a worker thread when it is a round trip to PostgreSQL (``deps.authenticated``)."""
    store = ApiKeyStore(make_actions().engine)
    key = store.create("ci", "all")
    assert store.verify(key.key.id, key.api_key) is not None  # either way, the same answer
    assert store.verifies_locally == (database_url is None)

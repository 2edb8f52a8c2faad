"""The audit log: Kibana's connector audit messages as JSON lines, failed attempts included."""

from __future__ import annotations

import uuid

from tests.server.conftest import ALICE, BOB, PRE_SECRET, Server, basic
from tests.server.support import audit_records
from tests.servers import wait_until

SECRET = "audit-secret-token-4e1d"
ECHO = {
    "name": "a",
    "connector_type_id": ".echo",
    "config": {"url": "u"},
    "secrets": {"token": SECRET},
}


def records(server: Server, connector_id: str, at_least: int = 1) -> list[dict]:
    """The connector's audit records, once ``at_least`` of them are in the file: the service
    writes them from a background thread, a moment after it answers."""
    path = server.data_dir / "audit.log"

    def found() -> list[dict]:
        parsed = audit_records(path)
        mine = [
            r for r in parsed if (r["kibana"].get("saved_object") or {}).get("id") == connector_id
        ]
        return mine if len(mine) >= at_least else []

    return wait_until(found, what=f"{at_least} audit records of {connector_id}")


def messages(server: Server, connector_id: str, at_least: int = 1) -> list[tuple[str, str]]:
    return [(r["event"]["outcome"], r["message"]) for r in records(server, connector_id, at_least)]


def test_connector_lifecycle_is_audited_with_kibanas_messages(server: Server) -> None:
    cid = f"au-{uuid.uuid4().hex[:8]}"
    one = f"/s/audit/api/actions/connector/{cid}"
    assert server.request("POST", one, json=ECHO).status_code == 200
    assert server.request("GET", one).status_code == 200
    assert server.request("PUT", one, json={"name": "b", "config": {"url": "u"}}).status_code == 200
    run = server.request("POST", f"{one}/_execute", json={"params": {"text": "x"}})
    assert run.status_code == 200
    assert server.request("DELETE", one).status_code == 204
    assert server.request("GET", one).status_code == 404
    assert messages(server, cid, at_least=9) == [
        ("unknown", f"User is creating connector [id={cid}]"),
        ("success", f"User has created connector [id={cid}]"),
        ("success", f"User has accessed connector [id={cid}]"),
        ("unknown", f"User is updating connector [id={cid}]"),
        ("success", f"User has updated connector [id={cid}]"),
        ("success", f"User has executed connector [id={cid}]"),
        ("unknown", f"User is deleting connector [id={cid}]"),
        ("success", f"User has deleted connector [id={cid}]"),
        ("failure", f"Failed attempt to access connector [id={cid}]"),
    ]
    first = records(server, cid)[0]
    assert first["event"]["action"] == "connector_create"
    assert first["event"]["category"] == ["database"]
    assert first["event"]["type"] == ["creation"]
    assert first["kibana"]["space_id"] == "audit"
    assert first["kibana"]["saved_object"] == {"type": "action", "id": cid}
    assert first["user"] == {"name": "admin", "roles": ["all"]}
    assert first["kibana"]["user_api_key"] == {"id": server.keys["admin"].key.id, "name": "admin"}
    last = records(server, cid)[-1]
    assert last["error"] == {
        "code": "NotFoundError",
        "message": f"Saved object [action/{cid}] not found",
    }


def test_refused_and_failed_attempts_are_audited(server: Server) -> None:
    cid = f"au-{uuid.uuid4().hex[:8]}"
    path = f"/api/actions/connector/{cid}"
    assert server.request("POST", path, who="reader", json=ECHO).status_code == 403
    bad = {**ECHO, "secrets": {}}
    assert server.request("POST", path, json=bad).status_code == 400
    assert server.request("POST", f"{path}/_execute", json={"params": {}}).status_code == 404
    found = records(server, cid, at_least=4)
    assert [(r["event"]["outcome"], r["message"]) for r in found] == [
        ("failure", f"Failed attempt to create connector [id={cid}]"),
        ("unknown", f"User is creating connector [id={cid}]"),
        ("failure", f"Failed attempt to create connector [id={cid}]"),
        ("failure", f"Failed attempt to execute connector [id={cid}]"),
    ]
    assert found[0]["error"]["message"] == 'Unauthorized to create a ".echo" action'
    assert found[0]["user"] == {"name": "reader", "roles": ["read"]}


def test_listing_audits_one_access_per_connector(server: Server) -> None:
    assert (
        server.request("GET", "/s/audit-find/api/actions/connectors", who="bob").status_code == 200
    )
    found = wait_until(
        lambda: [r for r in records(server, "pre-log") if r["kibana"]["space_id"] == "audit-find"]
    )
    assert found[-1]["event"]["action"] == "connector_find"
    assert found[-1]["message"] == "User has accessed connector [id=pre-log]"
    assert found[-1]["user"] == {"name": "bob", "roles": ["read"]}
    assert found[-1]["kibana"]["authentication_type"] == "basic"


def _credentials(server: Server) -> list[str]:
    """Every credential the requests below send: API keys (raw and encoded), Basic passwords
    and the ``Authorization`` values themselves."""
    keys = [server.keys["admin"].api_key, server.keys["admin"].encoded]
    return [*keys, ALICE[1], BOB[1], server.auth("alice"), server.auth("bob")]


def _audited_requests(server: Server) -> None:
    """Writes and reads by every kind of caller, refused and failed ones included."""
    cid = f"sec-{uuid.uuid4().hex[:8]}"
    for who in ("admin", "alice", "bob"):
        server.request("POST", f"/api/actions/connector/{cid}-{who}", who=who, json=ECHO)
        server.request("GET", f"/api/actions/connector/{cid}-{who}", who=who)
        server.request(
            "PUT", f"/api/actions/connector/{cid}-{who}", who=who, json={"name": "b", **ECHO}
        )
        server.request("POST", f"/api/actions/connector/{cid}-{who}/_execute", who=who, json={})
    wrong = basic(ALICE[0], ALICE[1] + "-wrong")
    server.request("GET", "/api/actions/connectors", headers={"Authorization": wrong})


def test_the_audit_log_never_holds_secrets(server: Server) -> None:
    _audited_requests(server)
    path = server.data_dir / "audit.log"
    # the Basic callers were audited (the lines are written a moment after the answers)
    text = wait_until(
        lambda: '"authentication_type":"basic"' in path.read_text() and path.read_text()
    )
    for secret in (SECRET, PRE_SECRET, *_credentials(server)):
        assert secret not in text
    assert (server.data_dir / "audit.log").stat().st_mode & 0o777 == 0o600


def test_the_server_log_never_holds_secrets(server: Server) -> None:
    from tests.server.test_routes_connectors import SECRET as CONNECTOR_SECRET

    _audited_requests(server)
    assert server.request("POST", "/api/actions/connector", json=ECHO).status_code == 200
    log = server.running.output()
    assert "POST /api/actions/connector" in log  # the access log is there
    for secret in (SECRET, PRE_SECRET, CONNECTOR_SECRET, *_credentials(server)):
        assert secret not in log

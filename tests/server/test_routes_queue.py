"""Queued execution over HTTP: ``_enqueue`` and ``GET …/execution/{id}`` (our extension).

The service under test runs on the embedded default, so it runs queued executions itself.
"""

from __future__ import annotations

from tests.server.conftest import Server
from tests.server.support import audit_records
from tests.server.test_routes_execute import connector
from tests.servers import wait_until


def enqueue(server: Server, cid: str, params, *, space: str = "", **kwargs):
    return server.request(
        "POST", f"{space}/api/actions/connector/{cid}/_enqueue", json={"params": params}, **kwargs
    )


def finished(server: Server, eid: str, space: str = "", who: str = "admin") -> dict:
    def final():
        body = server.request("GET", f"{space}/api/actions/execution/{eid}", who=who).json()
        return body if body.get("status") in ("succeeded", "failed") else None

    return wait_until(final, timeout=20, what=f"execution {eid} to end")


def test_enqueue_answers_202_and_the_execution_runs_on_the_service(server: Server) -> None:
    cid = connector(server, ".echo")
    response = enqueue(server, cid, {"text": "queued hello"})
    assert response.status_code == 202
    eid = response.json()["execution_id"]
    body = finished(server, eid)
    assert body["status"] == "succeeded"
    assert body["attempts"] == 1
    assert body["connector_id"] == cid and body["space_id"] == "default"
    assert body["result"]["status"] == "ok"
    assert body["result"]["data"]["params"] == {"text": "queued hello"}


def test_the_read_role_may_enqueue_and_read_as_with_execute(server: Server) -> None:
    cid = connector(server, ".echo")
    response = enqueue(server, cid, {"text": "x"}, who="reader")
    assert response.status_code == 202
    assert finished(server, response.json()["execution_id"], who="bob")["status"] == "succeeded"


def test_enqueue_needs_kbn_xsrf_and_valid_input(server: Server) -> None:
    cid = connector(server, ".echo")
    assert enqueue(server, cid, {"text": "x"}, xsrf=False).status_code == 400
    assert enqueue(server, "missing-connector", {}).status_code == 404
    invalid = enqueue(server, cid, {"wrong": 1})
    assert invalid.status_code == 400
    assert "params" in invalid.json()["message"]
    assert server.request(
        "POST", f"/api/actions/connector/{cid}/_enqueue", json={}
    ).status_code == (400)
    assert enqueue(server, cid, {"text": "x"}, who=None).status_code == 401


def test_an_execution_is_visible_only_in_its_space(server: Server) -> None:
    cid = connector(server, ".echo")
    eid = enqueue(server, cid, {"text": "x"}).json()["execution_id"]
    finished(server, eid)
    assert server.request("GET", f"/s/other/api/actions/execution/{eid}").status_code == 404
    missing = server.request("GET", "/api/actions/execution/no-such-execution")
    assert missing.status_code == 404
    assert missing.json()["error"] == "Not Found"


def test_enqueue_is_audited_like_execute(server: Server) -> None:
    cid = connector(server, ".echo")
    enqueue(server, cid, {"text": "x"})

    def enqueued_records() -> list[dict]:  # written by a background writer, a moment later
        records = audit_records(server.data_dir / "audit.log")
        mine = [r for r in records if (r["kibana"]["saved_object"] or {}).get("id") == cid]
        return [r for r in mine if r["url"]["path"].endswith("/_enqueue")]

    enqueued = wait_until(enqueued_records, what="the enqueue's audit record")
    assert [r["event"]["action"] for r in enqueued] == ["connector_execute"]
    assert enqueued[0]["message"] == f"User has executed connector [id={cid}]"

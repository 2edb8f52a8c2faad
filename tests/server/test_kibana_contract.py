"""Contract test: our responses validate against Kibana's published OpenAPI description.

The description (``kibana-connectors-openapi.yaml``, Elastic License 2.0) is reference data in
the shared folder next to the project (``../shared/reference``, or ``$KIBANA_REFERENCE_DIR``); it
is read from there and never copied in. Missing, the test skips, except under ``scripts/test``
(``REFERENCE_REQUIRED=1``), where a missing reference fails instead of hiding. The service
runs as ``actions serve`` (the real console script) with only the built-in ``.server-log`` type,
since Kibana's enums list Kibana's own connector types and feature ids.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.server.support import ROOT, RunningServer, clean_env

REFERENCE_DIR = Path(os.environ.get("KIBANA_REFERENCE_DIR") or ROOT.parent / "shared" / "reference")
SPEC_PATH = REFERENCE_DIR / "kibana-connectors-openapi.yaml"
SERVER_LOG = {
    "name": "Contract log",
    "connector_type_id": ".server-log",
    "config": {},
    "secrets": {},
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not SPEC_PATH.is_file():
        reason = (
            f"Kibana's OpenAPI description is not available at {SPEC_PATH} "
            "(set KIBANA_REFERENCE_DIR to the folder holding it)"
        )
        if os.environ.get("REFERENCE_REQUIRED") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def actions_command() -> list[str]:
    script = Path(sys.executable).with_name("actions")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "actions_core"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, str]]:
    workdir = tmp_path_factory.mktemp("contract")
    env = clean_env(ACTIONS_DATA_DIR=str(workdir / "data"))
    command = [*actions_command(), "serve", "--host", "127.0.0.1", "--port", "0"]
    running = RunningServer(command, workdir, env)
    try:
        key = (workdir / "data" / "api-key").read_text().strip()
        yield running, key
    finally:
        running.stop()


class Contract:
    def __init__(self, spec: dict[str, Any], url: str, key: str) -> None:
        from openapi_schema_validator import OAS30Validator

        self.spec = spec
        # Kibana's discriminators have no mapping and their values (".server-log") are not
        # schema names, so a validator cannot follow them; the oneOf they sit on still decides.
        self.components = _without_discriminators(spec["components"])
        self.url = url
        self.headers = {"Authorization": f"ApiKey {key}", "kbn-xsrf": "contract"}
        self._validator = OAS30Validator
        self.checked: list[tuple[str, str, int]] = []

    def call(
        self, method: str, path: str, template: str, status: int, **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = httpx.request(method, self.url + path, headers=headers, timeout=20, **kwargs)
        assert response.status_code == status, response.text
        operation = self.spec["paths"][template][method.lower()]
        assert not operation.get("deprecated")
        documented = operation["responses"][str(status)]
        if "$ref" in documented:
            documented = self._resolve(documented["$ref"])
        content = documented.get("content")
        if content is None:
            assert response.content == b""
        else:
            schema = content["application/json"]["schema"]
            root = {**schema, "components": self.components}
            self._validator(root).validate(response.json())
        self.checked.append((method, template, status))
        return response

    def _resolve(self, ref: str) -> dict[str, Any]:
        node: Any = self.spec
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node


def _without_discriminators(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_discriminators(v) for k, v in node.items() if k != "discriminator"}
    if isinstance(node, list):
        return [_without_discriminators(v) for v in node]
    return node


@pytest.mark.parametrize("prefix", ["", "/s/contract-space"])
def test_responses_validate_against_kibanas_openapi(spec, served, prefix: str) -> None:
    running, key = served
    contract = Contract(spec, running.url, key)
    space = "/s/{spaceId}" if prefix else ""
    one = f"{space}/api/actions/connector/{{connectorId}}"

    created = contract.call(
        "POST",
        f"{prefix}/api/actions/connector",
        f"{space}/api/actions/connector",
        200,
        json=SERVER_LOG,
    ).json()
    cid = created["id"]
    contract.call("POST", f"{prefix}/api/actions/connector/contract-log", one, 200, json=SERVER_LOG)
    contract.call("GET", f"{prefix}/api/actions/connector/{cid}", one, 200)
    contract.call("GET", f"{prefix}/api/actions/connector/missing", one, 404)
    contract.call(
        "GET", f"{prefix}/api/actions/connector/{cid}", one, 401, headers={"Authorization": ""}
    )
    contract.call(
        "PUT",
        f"{prefix}/api/actions/connector/{cid}",
        one,
        200,
        json={"name": "Renamed", "config": {}},
    )
    contract.call("PUT", f"{prefix}/api/actions/connector/missing", one, 404, json={"name": "x"})
    listed = contract.call(
        "GET", f"{prefix}/api/actions/connectors", f"{space}/api/actions/connectors", 200
    ).json()
    assert {c["id"] for c in listed} == {cid, "contract-log"}
    types = contract.call(
        "GET", f"{prefix}/api/actions/connector_types", f"{space}/api/actions/connector_types", 200
    ).json()
    assert [t["id"] for t in types] == [".server-log"]
    execute = f"{one}/_execute"
    ok = contract.call(
        "POST",
        f"{prefix}/api/actions/connector/{cid}/_execute",
        execute,
        200,
        json={"params": {"message": "hi"}},
    )
    assert ok.json() == {"connector_id": cid, "status": "ok"}
    failed = contract.call(
        "POST", f"{prefix}/api/actions/connector/{cid}/_execute", execute, 200, json={"params": {}}
    )
    assert failed.json()["status"] == "error"
    contract.call(
        "POST",
        f"{prefix}/api/actions/connector/{cid}/_execute",
        execute,
        401,
        json={"params": {}},
        headers={"Authorization": "ApiKey bm9wZTpub3Bl"},
    )
    contract.call("DELETE", f"{prefix}/api/actions/connector/{cid}", one, 204)
    contract.call("DELETE", f"{prefix}/api/actions/connector/{cid}", one, 404)
    contract.call("DELETE", f"{prefix}/api/actions/connector/contract-log", one, 204)
    assert len(contract.checked) == 15

"""Secrets (the API key, the private key) never show in logs, results, errors or events."""

from __future__ import annotations

import base64
import logging

import pytest
import trustme

import actions_core
from tests.plugins.openai.support import USAGE, chunk, completion, sse

PATH = "/v1/chat/completions"
API_KEY = "sk-very-secret-0123456789"


def test_secrets_appear_nowhere(gen_ai, upstream, caplog):
    leaf = trustme.CA().issue_cert("client", key_type=trustme.KeyType.RSA)
    key_pem = leaf.private_key_pem.bytes()
    key_b64 = base64.b64encode(key_pem).decode()
    key_body = key_pem.decode().splitlines()[1]
    upstream.expect_request(PATH, method="POST", data=None).respond_with_json(
        completion(usage=USAGE)
    )
    upstream.expect_request("/fail").respond_with_json(
        {"error": {"message": "bad key"}}, status=401
    )
    upstream.expect_request("/stream").respond_with_data(sse(chunk("hi")))
    caplog.set_level(logging.DEBUG)
    results = []
    for path in (PATH, "/fail", "/stream"):
        cid = gen_ai.create(
            "Other",
            upstream.url_for(path),
            secrets={"apiKey": API_KEY},
        )
        results.append(gen_ai.run(cid, "run", body="{}"))
        results.append(gen_ai.run(cid, "invokeAI", messages=[{"role": "user", "content": "x"}]))
        stream = gen_ai.run(cid, "invokeStream", messages=[{"role": "user", "content": "x"}])
        results.append(stream)
        if stream.status == "ok":
            b"".join(stream.data)
    # a PKI connector, and a refused one whose certificate is the key
    cert_b64 = base64.b64encode(leaf.cert_chain_pems[0].bytes()).decode()
    pki = gen_ai.create(
        "Other",
        upstream.url_for(PATH),
        secrets={"apiKey": API_KEY, "certificateData": cert_b64, "privateKeyData": key_b64},
    )
    results.append(gen_ai.run(pki, "run", body="{}"))
    with pytest.raises(actions_core.ValidationError) as refused:
        gen_ai.create(
            "Other",
            upstream.url_for(PATH),
            secrets={"certificateData": key_b64, "privateKeyData": key_b64},
        )
    texts = [caplog.text, str(refused.value), repr(refused.value)]
    texts += [repr(r) + str(r.to_api() if r.status == "error" else "") for r in results]
    texts += [str(e.to_dict()) for e in gen_ai.actions.recent_events(limit=200)]
    texts += [str(c.to_api()) for c in gen_ai.actions.connectors.list()]
    everything = "\n".join(texts)
    assert API_KEY not in everything
    assert key_b64 not in everything and key_body not in everything
    assert any(r.status == "error" for r in results)  # the failure paths were exercised

"""getDashboard: the usage page of the HTTP service, no Elasticsearch (§9.7)."""

from __future__ import annotations


def test_without_the_http_service_the_dashboard_is_unavailable(gen_ai):
    cid = gen_ai.create()
    result = gen_ai.run(cid, "getDashboard", dashboardId="generative-ai-token-usage-openai-default")
    assert result.data == {"available": False, "url": None}


def test_with_the_http_service_the_dashboard_url_is_given(gen_ai_factory):
    from actions_core.server import create_app

    gen_ai = gen_ai_factory(server={"publicBaseUrl": "https://kibana.example:5601/"})
    create_app(gen_ai.actions)  # the service tells the core where its usage page is
    cid = gen_ai.create()
    result = gen_ai.run(cid, "getDashboard", dashboardId="generative-ai-token-usage-openai-default")
    assert result.data == {
        "available": True,
        "url": f"https://kibana.example:5601/app/connectors/{cid}/usage",
    }
    assert gen_ai.last_event(cid).total_tokens is None  # no usage for getDashboard


def test_unknown_params_are_refused(gen_ai):
    cid = gen_ai.create()
    result = gen_ai.run(cid, "getDashboard", dashboardId="d", spaceId="x")
    assert result.service_message == (
        "Request validation failed (Error: [spaceId]: definition for this key is missing)"
    )

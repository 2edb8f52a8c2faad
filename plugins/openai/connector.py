"""The ``.gen-ai`` connector: its sub-actions and its action type (spec §5, §9, §11)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import requests

import actions_core
from actions_core import JsonParseError, js_trim, js_truthy, json_parse, json_stringify

from . import action_type
from .constants import DEFAULT_MODEL, DEFAULT_TIMEOUT_MS
from .dashboard import dashboard_info
from .pki import tls_options
from .responses import check_run_response
from .sanitize import default_model_arg, request_with_stream_option, sanitize_request
from .schemas import REQUEST_OPTIONS, SUB_ACTION_PARAMS
from .streaming import SseTally, iter_chunks, pass_through, require_event_stream
from .tokens import (
    completion_tokens_from_message,
    count_tokens,
    functions_prompt_tokens,
    messages_prompt_tokens,
    stream_messages_prompt_tokens,
)
from .transport import Upstream
from .urls import chat_completions_url
from .validators import validate_config, validate_secrets

__all__ = ["OpenAIConnector", "gen_ai_type"]

_log = logging.getLogger("actions_core.types.gen-ai")

UNRECOGNIZED_FORMAT = (
    "An error occurred sending your message. \n\n"
    "API Error: The response from OpenAI was in an unrecognized format."
)
_ZERO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def _ms_to_seconds(timeout: float | None) -> float | None:
    return None if timeout is None else timeout / 1000


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _checked_completion(content: bytes, text: Callable[[], str]) -> Any:
    """The provider's answer to a non-streamed request: its JSON, or its ``text()`` (the
    client's decoding) when it is not JSON; refused when it does not look like a completion."""
    try:
        data: Any = json_parse(content.decode("utf-8", errors="replace"))
    except JsonParseError:
        data = text()
    problem = check_run_response(data)
    if problem:
        raise actions_core.ExecutionError(
            f"Response validation failed (Error: {problem})", error_source="framework"
        )
    return data


def _sub_action(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a method as the sub-action ``name``, with its schema from ``SUB_ACTION_PARAMS``."""
    return actions_core.sub_action(name, params_schema=SUB_ACTION_PARAMS[name])


def _request_options(params: dict[str, Any]) -> dict[str, Any]:
    """The invoke params without the keys that steer the request (they are no body fields)."""
    return {k: v for k, v in params.items() if k not in REQUEST_OPTIONS}


class OpenAIConnector(actions_core.SubActionConnector):
    """One instance per execution. Secrets stay inside :class:`Upstream`'s headers."""

    def __init__(self, ctx: actions_core.ExecutionContext) -> None:
        super().__init__(ctx)
        self.provider: str = self.config["apiProvider"]
        self.url: str = self.config["apiUrl"]
        # Kibana passes the default model only when the config has the key.
        self.default_model = default_model_arg(self.config)
        self.upstream = Upstream(
            ctx,
            self.provider,
            self.secrets.get("apiKey") or "",
            self.config,
            tls_options(self.provider, self.config, self.secrets),
        )

    def __repr__(self) -> str:
        return f"OpenAIConnector(provider={self.provider!r}, url={self.url!r})"

    # --- run / test ------------------------------------------------------------------------

    @_sub_action("run")
    def run(self, params: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` (sanitised for the provider) and return the provider's JSON."""
        return self._run_api(params["body"], params.get("timeout"), params.get("maxContentLength"))

    @_sub_action("run")
    async def arun(self, params: dict[str, Any]) -> dict[str, Any]:
        """:meth:`run` on ``ctx.ahttp``, for callers on an event loop (the HTTP service)."""
        return await self._arun_api(
            params["body"], params.get("timeout"), params.get("maxContentLength")
        )

    @_sub_action("test")
    def test(self, params: dict[str, Any]) -> dict[str, Any]:
        """The UI's "Test" tab: the same as ``run``."""
        return self.run(params)

    @_sub_action("test")
    async def atest(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self.arun(params)

    def _run_api(
        self, body: str, timeout_ms: float | None, max_content_length: int | None
    ) -> dict[str, Any]:
        sanitized = sanitize_request(self.provider, self.url, body, self.default_model)
        timeout_ms = DEFAULT_TIMEOUT_MS if timeout_ms is None else timeout_ms
        response = self.upstream.post(
            self.url,
            sanitized,
            timeout=timeout_ms / 1000,
            stream=False,
            max_content_length=max_content_length,
        )
        data = self._completion(response)
        self._record_completion_usage(data, sanitized)
        return data

    async def _arun_api(
        self, body: str, timeout_ms: float | None, max_content_length: int | None
    ) -> dict[str, Any]:
        sanitized = sanitize_request(self.provider, self.url, body, self.default_model)
        timeout_ms = DEFAULT_TIMEOUT_MS if timeout_ms is None else timeout_ms
        data = await self._apost_completion(
            self.url, sanitized, timeout_ms / 1000, max_content_length
        )
        self._record_completion_usage(data, sanitized)
        return data

    async def _apost_completion(
        self, url: str, body: str, timeout: float | None, max_content_length: int | None
    ) -> Any:
        response = await self.upstream.apost(
            url, body, timeout=timeout, max_content_length=max_content_length, stream=False
        )
        return _checked_completion(response.content, lambda: response.text)

    # --- stream ----------------------------------------------------------------------------

    @_sub_action("stream")
    def stream(
        self, params: dict[str, Any]
    ) -> dict[str, Any] | Iterator[bytes] | AsyncIterator[bytes]:
        """``stream: true``: the provider's SSE bytes, untouched, as they arrive."""
        body, streaming = params["body"], params.get("stream", False)
        execute_body = request_with_stream_option(
            self.provider, self.url, body, streaming, self.default_model
        )
        timeout = _ms_to_seconds(params.get("timeout"))
        if streaming and self.ctx.async_streams:
            return self._apass_through(
                self.url, execute_body, timeout, None, lambda t: self._stream_estimate(body, t)
            )
        response = self.upstream.post(self.url, execute_body, timeout=timeout, stream=streaming)
        if not streaming:
            data = self._completion(response)
            self._record_completion_usage(data, execute_body)
            return data

        return self._pass_through(
            response, self.url, timeout, lambda t: self._stream_estimate(body, t)
        )

    @_sub_action("stream")
    async def astream(self, params: dict[str, Any]) -> dict[str, Any] | AsyncIterator[bytes]:
        """:meth:`stream` for callers on an event loop: an async stream, or the JSON answer
        of ``stream: false`` read on ``ctx.ahttp``."""
        if params.get("stream", False):
            return self._astream_only(self.stream(params))
        execute_body = request_with_stream_option(
            self.provider, self.url, params["body"], False, self.default_model
        )
        timeout = _ms_to_seconds(params.get("timeout"))
        data = await self._apost_completion(self.url, execute_body, timeout, None)
        self._record_completion_usage(data, execute_body)
        return data

    def _astream_only(self, stream: Any) -> AsyncIterator[Any]:
        """A stream sub-action's result on the loop path: always its async generator (the
        request is sent on the first read), never a blocking one."""
        if not isinstance(stream, AsyncIterator):  # ctx.async_streams is set on this path
            raise RuntimeError("the async twin of a stream sub-action needs ctx.async_streams")
        return stream

    def _stream_estimate(self, body: str, tally: SseTally) -> tuple[int, int]:
        completion = completion_tokens_from_message(
            tally.content, tally.function_name, tally.function_arguments
        )
        return self._prompt_from_body(body), completion

    # --- invokeAI / invokeStream / invokeAsyncIterator -------------------------------------

    @_sub_action("invokeAI")
    def invoke_ai(self, params: dict[str, Any]) -> dict[str, Any]:
        """Chat messages in, ``{message, usage}`` out."""
        body = json_stringify(_request_options(params))
        data = self._run_api(body, params.get("timeout"), params.get("maxContentLength"))
        return self._invoke_answer(data)

    def _invoke_answer(self, data: dict[str, Any]) -> dict[str, Any]:
        choices = data.get("choices") or []
        message = choices[0].get("message") if choices else None
        content = message.get("content") if isinstance(message, dict) else None
        usage = data.get("usage") or self._recorded_usage()
        if isinstance(content, str) and content:
            return {"message": js_trim(content), "usage": usage}
        return {"message": UNRECOGNIZED_FORMAT, "usage": usage or dict(_ZERO_USAGE)}

    @_sub_action("invokeAI")
    async def ainvoke_ai(self, params: dict[str, Any]) -> dict[str, Any]:
        """:meth:`invoke_ai` on ``ctx.ahttp``."""
        body = json_stringify(_request_options(params))
        data = await self._arun_api(body, params.get("timeout"), params.get("maxContentLength"))
        return self._invoke_answer(data)

    @_sub_action("invokeStream")
    def invoke_stream(self, params: dict[str, Any]) -> Iterator[bytes] | AsyncIterator[bytes]:
        """Chat messages in, the provider's SSE bytes out (untouched, as they arrive)."""
        rest = _request_options(params)
        execute_body = request_with_stream_option(
            self.provider, self.url, json_stringify(rest), True, self.default_model
        )
        timeout = _ms_to_seconds(params.get("timeout"))

        def estimate(tally: SseTally) -> tuple[int, int]:
            return stream_messages_prompt_tokens(rest["messages"]), count_tokens(tally.content)

        limit = params.get("maxContentLength")
        if self.ctx.async_streams:
            return self._apass_through(
                self.url, execute_body, timeout, limit, estimate, require_sse=True
            )
        response = self.upstream.post(
            self.url, execute_body, timeout=timeout, stream=True, max_content_length=limit
        )
        require_event_stream(response)
        return self._pass_through(response, self.url, timeout, estimate)

    @_sub_action("invokeStream")
    async def ainvoke_stream(self, params: dict[str, Any]) -> AsyncIterator[bytes]:
        """:meth:`invoke_stream` on an event loop: its async generator, no worker thread."""
        return self._astream_only(self.invoke_stream(params))

    @_sub_action("invokeAsyncIterator")
    def invoke_async_iterator(
        self, params: dict[str, Any]
    ) -> Iterator[dict[str, Any]] | AsyncIterator[dict[str, Any]]:
        """Chat messages in, parsed chunk dicts out (the OpenAI SDK's stream, as an iterator).

        Use :func:`actions_core_plugins.openai.aiter_stream` to consume it from asyncio.
        """
        rest = _request_options(params)
        request = {**rest, "stream": True, "model": self._model(rest)}
        url = chat_completions_url(self.url, self.provider)
        timeout = _ms_to_seconds(params.get("timeout"))
        limit = params.get("maxContentLength")
        tally = SseTally()

        def estimate(tally: SseTally) -> tuple[int, int]:
            return messages_prompt_tokens(rest["messages"]), count_tokens(tally.content)

        on_end = self._stream_usage_recorder(tally, estimate, request["model"])
        effective = self.ctx.http.effective_timeout(timeout)
        body = json_stringify(request)
        if self.ctx.async_streams:
            from . import astreaming

            def open_response() -> Any:
                return self.upstream.apost(url, body, timeout=timeout, max_content_length=limit)

            return astreaming.iter_chunks(open_response, tally, on_end, url=url, timeout=effective)
        response = self.upstream.post(
            url, body, timeout=timeout, stream=True, max_content_length=limit
        )
        return iter_chunks(response, tally, on_end, url=url, timeout=effective)

    @_sub_action("invokeAsyncIterator")
    async def ainvoke_async_iterator(self, params: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """:meth:`invoke_async_iterator` on an event loop: its async generator."""
        return self._astream_only(self.invoke_async_iterator(params))

    # --- getDashboard ----------------------------------------------------------------------

    @_sub_action("getDashboard")
    def get_dashboard(self, params: dict[str, Any]) -> dict[str, Any]:
        """Whether the usage dashboard is available, and its URL."""
        return dashboard_info(self.ctx, params["dashboardId"])

    # --- helpers ---------------------------------------------------------------------------

    def _model(self, body: Any) -> str:
        """The model a request names, else the connector's default, else the constant."""
        model = body.get("model") if isinstance(body, dict) else None
        if js_truthy(model) and isinstance(model, str):
            return model
        default: Any = self.config.get("defaultModel")  # a string when set (CONFIG_SCHEMA)
        return default if js_truthy(default) else DEFAULT_MODEL

    def _completion(self, response: requests.Response) -> Any:
        try:
            return _checked_completion(response.content, lambda: response.text)
        finally:
            response.close()

    def _pass_through(
        self,
        response: requests.Response,
        url: str,
        timeout: float | None,
        estimate: Callable[[SseTally], tuple[int, int]],
    ) -> Iterator[bytes]:
        tally = SseTally()
        on_end = self._stream_usage_recorder(tally, estimate, None)
        effective = self.ctx.http.effective_timeout(timeout)
        return pass_through(response, tally, on_end, url=url, timeout=effective)

    def _apass_through(
        self,
        url: str,
        body: str,
        timeout: float | None,
        max_content_length: int | None,
        estimate: Callable[[SseTally], tuple[int, int]],
        *,
        require_sse: bool = False,
    ) -> AsyncIterator[bytes]:
        """:meth:`_pass_through` on ``ctx.ahttp``: the request is sent on the first read."""
        from . import astreaming

        tally = SseTally()
        on_end = self._stream_usage_recorder(tally, estimate, None)

        def open_response() -> Any:
            return self.upstream.apost(
                url, body, timeout=timeout, max_content_length=max_content_length
            )

        effective = self.ctx.http.effective_timeout(timeout)
        return astreaming.pass_through(
            open_response, tally, on_end, url=url, timeout=effective, require_sse=require_sse
        )

    def _stream_usage_recorder(
        self,
        tally: SseTally,
        estimate: Callable[[SseTally], tuple[int, int]],
        model: str | None,
    ) -> Callable[[], None]:
        """Runs when a stream ends (or is closed, or fails): the usage chunk if the provider
        sent one, else an estimate over what was received."""

        def record() -> None:
            try:
                tally.finish()
                if tally.usage is not None:
                    self._report(tally.usage, tally.model or model, estimated=False)
                    return
                prompt, completion = estimate(tally)
                self.ctx.report_usage(
                    prompt_tokens=prompt,
                    completion_tokens=completion,
                    estimated=True,
                    model=tally.model or model or self._default_model_name(),
                )
            except Exception:  # counting must never break the stream's end
                _log.exception("Failed to count the tokens of a stream")

        return record

    def _report(self, usage: dict[str, Any], model: str | None, *, estimated: bool) -> None:
        prompt, completion = (
            _count(usage.get("prompt_tokens")),
            _count(usage.get("completion_tokens")),
        )
        total = usage.get("total_tokens")
        self.ctx.report_usage(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=_count(total) if total is not None else None,
            estimated=estimated,
            model=model or self._default_model_name(),
        )

    def _default_model_name(self) -> str | None:
        default = self.config.get("defaultModel")
        return default if isinstance(default, str) and default else None

    def _record_completion_usage(self, data: dict[str, Any], request_body: str) -> None:
        """Reported usage when the response has it, else an estimate (marked ``estimated``)."""
        model = data.get("model") if isinstance(data.get("model"), str) else None
        if isinstance(data.get("usage"), dict):
            self._report(data["usage"], model, estimated=False)
            return
        try:
            request = json_parse(request_body)
        except JsonParseError:
            request = None
        try:
            message = (data.get("choices") or [{}])[0].get("message") or {}
            content = message["content"] if isinstance(message.get("content"), str) else ""
            call = message.get("function_call") or {}
            name, arguments = str(call.get("name") or ""), str(call.get("arguments") or "")
            for tool_call in message.get("tool_calls") or []:
                function = tool_call.get("function") or {}
                name += str(function.get("name") or "")
                arguments += str(function.get("arguments") or "")
            completion = completion_tokens_from_message(content, name, arguments)
            self.ctx.report_usage(
                prompt_tokens=self._prompt_from_request(request),
                completion_tokens=completion,
                estimated=True,
                model=model or self._model(request),
            )
        except Exception:
            _log.exception("Failed to estimate the tokens of a response without usage")

    def _prompt_from_body(self, body: str) -> int:
        try:
            return self._prompt_from_request(json_parse(body))
        except JsonParseError:
            return 0

    def _prompt_from_request(self, request: Any) -> int:
        """Messages (0 if they cannot be read) plus legacy functions, as Kibana estimates."""
        if not isinstance(request, dict):
            return 0
        try:
            messages = messages_prompt_tokens(request.get("messages") or [])
        except Exception:
            messages = 0
        try:
            functions = functions_prompt_tokens(request.get("functions"))
        except Exception:
            functions = 0
        return messages + functions

    def _recorded_usage(self) -> dict[str, int] | None:
        usage = self.ctx.usage
        if usage is None:
            return None
        return {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        }


def gen_ai_type() -> actions_core.ActionType:
    """The ``.gen-ai`` action type."""
    return action_type(OpenAIConnector, validate_config, validate_secrets)

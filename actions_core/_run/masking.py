"""Keeping a connector's own secret values out of everything an execution produces.

An upstream may echo a credential back (a 401 whose body quotes the bearer token), and an
executor may put one in an exception or a log line. Whatever the plugin, the executor passes its
result, its event record and the plugin's logger through one :class:`SecretMask`, so the values
in ``secrets`` show as ``[REDACTED]`` in messages, error data, events and logs.

Values shorter than :data:`MIN_SECRET_LENGTH` are not masked: replacing ``"on"`` or ``"1"``
everywhere would mangle ordinary text and still hide nothing.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actions_core._run.result import ActionResult

__all__ = ["MIN_SECRET_LENGTH", "REDACTED", "SecretMask"]

REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 4


class SecretMask:
    """Replaces the string values found in ``secrets`` (nested too) with ``[REDACTED]``."""

    def __init__(self, secrets: Any) -> None:
        # longest first: a secret that contains another is masked whole
        self._secrets = sorted(
            {s for s in _strings(secrets) if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True
        )

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def scrub_value(self, value: Any) -> Any:
        """``value`` with every string in it scrubbed (dicts and lists are copied, not changed)."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {key: self.scrub_value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub_value(item) for item in value]
        return value

    def result(self, result: ActionResult) -> ActionResult:
        """Mask ``result`` in place: its messages always, its data when it is an error (an
        upstream's error body); the data of a success is what the caller asked for."""
        if not self._secrets:
            return result
        if result.message:
            result.message = self.scrub(result.message)
        if result.service_message:
            result.service_message = self.scrub(result.service_message)
        if not result.ok and result.data is not None:
            result.data = self.scrub_value(result.data)
        return result

    def exception(self, err: BaseException) -> BaseException:
        """Mask ``err``'s text arguments in place (its type and traceback stay), for an
        exception that reaches the caller as it is (a stream failing mid-way)."""
        if self._secrets and err.args:
            masked = tuple(self.scrub(a) if isinstance(a, str) else a for a in err.args)
            if masked != err.args:
                err.args = masked
        return err

    def logger(self, logger: logging.Logger) -> logging.Logger:
        """``logger`` for an executor: records pass through it with the secrets masked."""
        return _MaskingLogger(logger, self) if self._secrets else logger


class _MaskingLogger(logging.Logger):
    """A child of the plugin's logger that renders each record (message, arguments and any
    traceback) and masks it before the handlers up the tree see it."""

    def __init__(self, target: logging.Logger, mask: SecretMask) -> None:
        super().__init__(target.name)
        self.parent = target  # level, handlers and propagation are the real logger's
        self._mask = mask

    def makeRecord(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = super().makeRecord(*args, **kwargs)
        try:
            text = record.getMessage()
        except Exception:  # a bad format string: still log what was given
            text = f"{record.msg} {record.args}"
        exc_info = record.exc_info
        if exc_info and exc_info[0] is not None:
            trace = "".join(traceback.format_exception(*exc_info)).rstrip()
            record.exc_text = self._mask.scrub(trace)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self._mask.scrub(record.stack_info)
        record.msg, record.args = self._mask.scrub(text), None
        return record

    def getEffectiveLevel(self) -> int:
        return self.parent.getEffectiveLevel() if self.parent else logging.WARNING

    def isEnabledFor(self, level: int) -> bool:
        return self.parent.isEnabledFor(level) if self.parent else False


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)

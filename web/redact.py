"""Secrets out of every log line, whichever library writes it.

At DEBUG, libraries print what they send: aiohttp and httpx print URLs (Telegram's
``/bot<token>/``, Graph's ``?access_token=``), websockets prints handshake headers (Cookie,
Authorization) and the frames themselves (a ``platform.create`` carries a column's secrets),
httpcore prints response headers (Set-Cookie). Rather than chase each library, the app wraps
the process's LogRecord factory: every record is formatted once, as it is made, and scrubbed
of the columns' secret values (registered by the poster registry as it builds adapters) and
of anything shaped like a credential. The factory is process-wide, as logging is; several apps
in one process (tests) share one wrapper, each adding its own Redactor.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

MASK = "[redacted]"
# Shorter values would mask ordinary words; no real token is this short.
MIN_SECRET = 8

PATTERNS = [
    # A Telegram bot token, alone or in /bot<token>/ URLs.
    (re.compile(r"\d{3,}:[A-Za-z0-9_-]{30,}"), MASK),
    # Authorization-style values: "Bearer xyz", "Basic xyz".
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+"), rf"\1\2{MASK}"),
    # Header lines and header tuples as websockets, httpcore and aiohttp print them.
    (
        re.compile(
            r"(?i)\b(authorization|proxy-authorization|cookie|set-cookie|x-api-key)(['\"]?,?\s*[:=,]\s*b?['\"]?)[^'\"\r\n]+"
        ),
        rf"\1\2{MASK}",
    ),
    # Credentials in query strings and forms, and as JSON keys.
    (
        re.compile(
            r"(?i)\b(access_token|refresh_token|client_secret|app_password|bot_token|password|api_key|token|"
            r"input_token|metronome_session)=[^&\s'\";]+"
        ),
        rf"\1={MASK}",
    ),
    (
        re.compile(
            r"(?i)\"(access_token|refresh_token|client_secret|app_password|bot_token|password|token|"
            r"accessJwt|refreshJwt|secrets)\"\s*:\s*(\"[^\"]*\"|\{[^}]*\})"
        ),
        rf'"\1": "{MASK}"',
    ),
]


class Redactor:
    """The secret values and credential shapes to mask in one app's log lines."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._exact: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, values: Iterable[Any]) -> None:
        fresh = {v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET} - self._values
        if not fresh:
            return
        with self._lock:
            self._values |= fresh
            ordered = sorted(self._values, key=len, reverse=True)  # longest first: no partial masks
            self._exact = re.compile("|".join(re.escape(v) for v in ordered))

    def redact(self, text: str) -> str:
        exact = self._exact
        if exact is not None:
            text = exact.sub(MASK, text)
        for pattern, replacement in PATTERNS:
            text = pattern.sub(replacement, text)
        return text


def _frame_summary(value: Any) -> Any:
    """A websockets frame as 'TEXT [n bytes]': its payload may be a command carrying secrets."""
    module = type(value).__module__
    if module.startswith("websockets") and hasattr(value, "opcode") and hasattr(value, "data"):
        return f"{getattr(value.opcode, 'name', value.opcode)} [{len(value.data)} bytes]"
    return value


class RedactingFactory:
    """Wraps the LogRecord factory; records leave it formatted and scrubbed."""

    def __init__(self, previous: Callable[..., logging.LogRecord]) -> None:
        self.previous = previous
        self.redactors: list[Redactor] = []

    def redact(self, text: str) -> str:
        for redactor in list(self.redactors):
            text = redactor.redact(text)
        return text

    def _redacted_parts(self, record: logging.LogRecord, redacted: str) -> tuple[Any, Any]:
        """msg and args with the secrets out. Kept apart when that gives the same text, since
        some formatters read the args themselves (uvicorn's access log unpacks five); else
        the whole message, already formatted."""
        if isinstance(record.args, tuple) and record.args:
            msg = self.redact(str(record.msg))
            args = tuple(self.redact(a) if isinstance(a, str) else a for a in record.args)
            try:
                same = msg % args == redacted
            except (TypeError, ValueError):
                same = False  # the args do not fit the message: keep the formatted text
            if same:
                return msg, args
        return redacted, ()

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.previous(*args, **kwargs)
        try:
            if isinstance(record.args, tuple):
                record.args = tuple(_frame_summary(a) for a in record.args)
            message = record.getMessage()
            redacted = self.redact(message)
            if redacted != message:
                record.msg, record.args = self._redacted_parts(record, redacted)
            if record.exc_info and record.exc_info[0] is not None:
                record.exc_text = self.redact(
                    "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
                )
            if record.stack_info:
                record.stack_info = self.redact(record.stack_info)
        except Exception:  # a record that cannot be formatted is left for logging to report
            pass
        return record


def install(redactor: Redactor) -> Callable[[], None]:
    """Scrub every log record of this process with ``redactor``; returns the undo."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, RedactingFactory):
        factory = RedactingFactory(factory)
        logging.setLogRecordFactory(factory)
    factory.redactors.append(redactor)

    def uninstall() -> None:
        if redactor in factory.redactors:
            factory.redactors.remove(redactor)
        if not factory.redactors and logging.getLogRecordFactory() is factory:
            logging.setLogRecordFactory(factory.previous)

    return uninstall

"""The WebSocket protocol of CONTRACT §3, without I/O: frames in, frames out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

# Frames larger than this are refused without being parsed.
MAX_FRAME = 64 * 1024
# Longest command id we echo back.
MAX_ID = 200
# What an op's name can be: anything else (a NUL, a lone surrogate, a page of text) is no
# op of ours, refused before it reaches the op table or the refusals recorded in events.
_OP = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


@dataclass(frozen=True)
class Command:
    id: str
    op: str
    args: Any


@dataclass(frozen=True)
class FrameError:
    """A frame we cannot act on; ``id`` is set when the frame named one, so it gets a reply."""

    code: str
    message: str
    id: str | None = None


def parse(data: str | bytes) -> Command | FrameError:
    if len(data) > MAX_FRAME:
        return FrameError(
            "bad_request", f"frame of {len(data)} bytes is over the {MAX_FRAME}-byte limit"
        )
    try:
        frame = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return FrameError("bad_request", f"frame is not JSON: {exc}")
    if not isinstance(frame, dict):
        return FrameError("bad_request", "expected a JSON object with id, op and args")
    raw_id = frame.get("id")
    if isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    if not isinstance(raw_id, str) or not raw_id or len(raw_id) > MAX_ID:
        return FrameError(
            "bad_request", f"expected id to be a non-empty string of at most {MAX_ID} characters"
        )
    op = frame.get("op")
    if not isinstance(op, str) or not _OP.fullmatch(op):
        return FrameError("bad_request", 'expected op to be a name such as "snippet.move"', raw_id)
    return Command(id=raw_id, op=op, args=frame.get("args", {}))


def reply_ok(command_id: str, result: Any) -> str:
    return orjson.dumps({"type": "reply", "id": command_id, "ok": True, "result": result}).decode()


def reply_error(
    command_id: str | None,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """`extra`: the error's field, reason and params (board/errors.py CommandError.extra)."""
    error: dict[str, Any] = {"code": code, "message": message, **(extra or {})}
    if details:
        error["details"] = details
    if command_id is None:
        return orjson.dumps({"type": "error", "error": error}).decode()
    return orjson.dumps({"type": "reply", "id": command_id, "ok": False, "error": error}).decode()


_PATCH_OPEN = '{"type":"patch","seq":'
_PATCH_MIDDLE = ',"patch":'
# The same frame in bytes, for writers that splice a connection's seq around a patch encoded
# once for every connection (ws/direct.py): open + seq + middle + patch + close.
PATCH_OPEN = _PATCH_OPEN.encode()
PATCH_MIDDLE = _PATCH_MIDDLE.encode()
PATCH_CLOSE = b"}"


def patch_frame(seq: int, encoded_patch: str) -> str:
    """A patch frame around a patch encoded once for every connection."""
    return f"{_PATCH_OPEN}{seq}{_PATCH_MIDDLE}{encoded_patch}}}"


class TokenBucket:
    """``rate`` commands a second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

"""Checking a command's arguments, with messages that say what was expected and what came."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from board.errors import BadRequest

_MISSING = object()


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1


class Args:
    """A command's ``args`` object, read field by field."""

    def __init__(self, raw: Any, op: builtins.str) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise BadRequest(f"{op}: expected args to be an object, got {_type_name(raw)}")
        self.raw: Mapping[str, Any] = raw
        self.op = op

    def has(self, name: builtins.str) -> bool:
        return name in self.raw

    def _fail(self, name: builtins.str, expected: builtins.str, value: Any) -> BadRequest:
        return BadRequest(f"{self.op}: expected {name} to be {expected}, got {_type_name(value)}")

    def _get(self, name: builtins.str, required: builtins.bool) -> Any:
        if name not in self.raw:
            if required:
                raise BadRequest(f"{self.op}: missing required argument {name!r}")
            return _MISSING
        return self.raw[name]

    def int(
        self,
        name: builtins.str,
        *,
        required: builtins.bool = True,
        nullable: builtins.bool = False,
        minimum: builtins.int | None = None,
    ) -> Any:
        value = self._get(name, required)
        if value is _MISSING or (value is None and nullable):
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and value.isdigit():
                value = int(value)
            else:
                raise self._fail(name, "an integer", value)
        if minimum is not None and value < minimum:
            raise BadRequest(f"{self.op}: expected {name} to be at least {minimum}, got {value}")
        if not INT4_MIN <= value <= INT4_MAX:
            # Every integer a command takes lands in a 32-bit column (ids, versions, seconds):
            # a larger one is the client's mistake, not a failure of the database driver.
            raise BadRequest(f"{self.op}: {name} is out of range")
        return value

    def number(
        self, name: builtins.str, *, required: builtins.bool = True
    ) -> builtins.float | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise self._fail(name, "a number", value)
        if abs(value) > 1e15:
            raise BadRequest(f"{self.op}: {name} is out of range")
        return float(value)

    def str(
        self,
        name: builtins.str,
        *,
        required: builtins.bool = True,
        nullable: builtins.bool = False,
        max_len: builtins.int = 10_000,
        allow_empty: builtins.bool = True,
    ) -> Any:
        value = self._get(name, required)
        if value is _MISSING or (value is None and nullable):
            return None
        if not isinstance(value, str):
            raise self._fail(name, "a string", value)
        if len(value) > max_len:
            raise BadRequest(f"{self.op}: {name} is too long ({len(value)} > {max_len} characters)")
        if not allow_empty and not value.strip():
            raise BadRequest(f"{self.op}: {name} must not be empty")
        return value

    def bool(self, name: builtins.str, *, required: builtins.bool = True) -> builtins.bool | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if not isinstance(value, bool):
            raise self._fail(name, "true or false", value)
        return value

    def obj(
        self, name: builtins.str, *, required: builtins.bool = True
    ) -> dict[builtins.str, Any] | None:
        value = self._get(name, required)
        if value is _MISSING or value is None:
            return None
        if not isinstance(value, dict):
            raise self._fail(name, "an object", value)
        return value

    def int_list(
        self, name: builtins.str, *, max_items: builtins.int = 10_000
    ) -> list[builtins.int]:
        value = self._get(name, True)
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise self._fail(name, "a list of integers", value)
        if len(value) > max_items:
            raise BadRequest(f"{self.op}: {name} has too many items ({len(value)} > {max_items})")
        return list(value)

    def time(self, name: builtins.str) -> datetime | None:
        """An optional UTC ISO-8601 time (null or absent: None), e.g. 2026-11-22T10:00:00Z."""
        value = self._get(name, False)
        if value is _MISSING or value is None:
            return None
        expected = "a UTC ISO time such as 2026-11-22T10:00:00Z"
        if not isinstance(value, builtins.str):
            raise self._fail(name, expected, value)
        try:
            parsed = datetime.fromisoformat(value) if len(value) <= 64 else None
            if parsed is None or parsed.tzinfo is None:
                raise ValueError(value)
            return parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            raise BadRequest(
                f"{self.op}: expected {name} to be {expected}, got {value[:64]!r}"
            ) from None

    def url(self, name: builtins.str, *, required: builtins.bool = False) -> builtins.str | None:
        value: builtins.str | None = self.str(name, required=required, nullable=True, max_len=4096)
        if value is None or value == "":
            return None
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
            raise BadRequest(f"{self.op}: expected {name} to be an http(s) URL, got {value[:80]!r}")
        return value

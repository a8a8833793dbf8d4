"""Checking a command's arguments, with messages that say what was expected and what came.

The one edge every argument crosses: a WebSocket command's ``args`` (``Args``, which first
walks the whole tree with ``check_tree``) and an HTTP request's query and path parameters
(``param_int``, ``parse_time``). Integers are JSON integers only (never ``true``, ``1.0`` or a
digit string; in a query string ASCII digits only, never ``²`` or ``٣``), within the range of
the column they land in; text never holds NUL (PostgreSQL refuses it in ``text`` and
``jsonb``) nor a lone surrogate (not UTF-8); nesting is bounded. Each refusal is a
``BadRequest`` naming the argument (``field``).
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from board.errors import BadRequest
from board.urls import safe_url

_MISSING = object()


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


# The ranges of PostgreSQL's integer columns: ids, versions and seconds are `integer`
# (int4) in the schema; a bigint (int8) argument says so with ``maximum=INT8_MAX``.
INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1
INT8_MIN, INT8_MAX = -(2**63), 2**63 - 1
# Deeper than any argument an op takes (a column's settings with rhythm rules are 4 deep),
# far below what orjson encodes (254) when the event is recorded.
MAX_DEPTH = 32
# Times outside these years are no one's intent, and near the ends of datetime's range
# (1..9999) an offset or a day of arithmetic overflows.
MIN_YEAR, MAX_YEAR = 1000, 8999
_ASCII_INT = re.compile(r"-?[0-9]{1,20}")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    if "\x00" in value:
        return "must not contain a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain a lone surrogate (not valid Unicode text)"
    return None


def check_tree(raw: Any, op: str, path: str = "", depth: int = 0) -> None:
    """Refuse NUL characters and lone surrogates in any key or string, and nesting deeper
    than MAX_DEPTH, anywhere in a command's arguments, naming where (``field``)."""
    if depth > MAX_DEPTH:
        shown = path if len(path) <= 60 else path[:60] + "…"
        raise BadRequest(
            f"{op}: {shown} is nested deeper than {MAX_DEPTH} levels", field=_top(path)
        )
    if isinstance(raw, str):
        problem = text_problem(raw)
        if problem:
            raise BadRequest(f"{op}: {path or 'args'} {problem}", field=_top(path))
    elif isinstance(raw, dict):
        for key, value in raw.items():
            where = f"{path}.{key}" if path else str(key)
            problem = text_problem(str(key))
            if problem:
                shown = repr(str(key).encode("utf-8", "replace").decode()[:40])
                raise BadRequest(
                    f"{op}: the argument name {shown} {problem}", field=_top(path) or None
                )
            check_tree(value, op, where, depth + 1)
    elif isinstance(raw, list):
        for i, value in enumerate(raw):
            check_tree(value, op, f"{path}[{i}]", depth + 1)


def _top(path: str) -> str | None:
    """The argument a path into the tree starts with: ``settings.rhythm[0].from`` -> settings."""
    if not path:
        return None
    return re.split(r"[.\[]", path, maxsplit=1)[0] or None


def strict_int(
    value: Any,
    name: str,
    op: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """A JSON integer (not a boolean, a float or a string) within the column's range."""
    if isinstance(value, bool) or not isinstance(value, int):
        shown = f" {value[:20]!r}" if isinstance(value, str) else ""
        raise BadRequest(
            f"{op}: expected {name} to be an integer, got {_type_name(value)}{shown}", field=name
        )
    low = INT4_MIN if minimum is None else minimum
    high = INT4_MAX if maximum is None else maximum
    if value < low:
        raise BadRequest(f"{op}: expected {name} to be at least {low}, got {value}", field=name)
    if value > high:
        raise BadRequest(f"{op}: {name} is out of range (at most {high})", field=name)
    return value


def param_int(
    raw: str,
    name: str,
    op: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """An integer query or path parameter: ASCII digits only (``str.isdigit`` and ``int``
    take ``²``, ``①``, ``٣``, spaces and underscores; a query string means none of them)."""
    if not _ASCII_INT.fullmatch(raw):
        raise BadRequest(
            f"{op}: expected {name} to be an integer such as 20, got {raw[:40]!r}", field=name
        )
    return strict_int(int(raw), name, op, minimum=minimum, maximum=maximum)


def parse_time(value: Any, name: str, op: str) -> datetime:
    """A UTC ISO-8601 time with a zone (``Z`` or ``+03:00``), as an aware UTC datetime."""
    expected = "a UTC ISO time such as 2026-11-22T10:00:00Z"
    if not isinstance(value, builtins.str):
        raise BadRequest(
            f"{op}: expected {name} to be {expected}, got {_type_name(value)}", field=name
        )
    try:
        if len(value) > 64 or text_problem(value):
            raise ValueError(value)
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
        if parsed.tzinfo is None:
            raise ValueError(value)
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        shown = value[:64].encode("utf-8", "replace").decode()
        raise BadRequest(
            f"{op}: expected {name} to be {expected}, got {shown!r}", field=name
        ) from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise BadRequest(
            f"{op}: {name} is out of range (years {MIN_YEAR} to {MAX_YEAR}), got {value[:64]!r}",
            field=name,
        )
    return parsed


class Args:
    """A command's ``args`` object, read field by field."""

    def __init__(self, raw: Any, op: builtins.str) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise BadRequest(f"{op}: expected args to be an object, got {_type_name(raw)}")
        check_tree(raw, op)
        self.raw: Mapping[str, Any] = raw
        self.op = op

    def has(self, name: builtins.str) -> bool:
        return name in self.raw

    def _fail(self, name: builtins.str, expected: builtins.str, value: Any) -> BadRequest:
        return BadRequest(
            f"{self.op}: expected {name} to be {expected}, got {_type_name(value)}", field=name
        )

    def _get(self, name: builtins.str, required: builtins.bool) -> Any:
        if name not in self.raw:
            if required:
                raise BadRequest(f"{self.op}: missing required argument {name!r}", field=name)
            return _MISSING
        return self.raw[name]

    def int(
        self,
        name: builtins.str,
        *,
        required: builtins.bool = True,
        nullable: builtins.bool = False,
        minimum: builtins.int | None = None,
        maximum: builtins.int = INT4_MAX,
    ) -> Any:
        """A JSON integer (every integer a command takes lands in an int4 column unless
        ``maximum`` says otherwise): a larger one is the client's mistake, not a failure of
        the database driver."""
        value = self._get(name, required)
        if value is _MISSING or (value is None and nullable):
            return None
        return strict_int(value, name, self.op, minimum=minimum, maximum=maximum)

    def number(
        self, name: builtins.str, *, required: builtins.bool = True
    ) -> builtins.float | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise self._fail(name, "a number", value)
        if abs(value) > 1e15:
            raise BadRequest(f"{self.op}: {name} is out of range", field=name)
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
            raise BadRequest(
                f"{self.op}: {name} is too long ({len(value)} > {max_len} characters)", field=name
            )
        if not allow_empty and not value.strip():
            raise BadRequest(f"{self.op}: {name} must not be empty", field=name)
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
            raise BadRequest(
                f"{self.op}: {name} has too many items ({len(value)} > {max_items})", field=name
            )
        if any(not INT4_MIN <= v <= INT4_MAX for v in value):
            raise BadRequest(f"{self.op}: {name} has an id out of range", field=name)
        return list(value)

    def time(self, name: builtins.str) -> datetime | None:
        """An optional UTC ISO-8601 time (null or absent: None), e.g. 2026-11-22T10:00:00Z."""
        value = self._get(name, False)
        if value is _MISSING or value is None:
            return None
        return parse_time(value, name, self.op)

    def url(self, name: builtins.str, *, required: builtins.bool = False) -> builtins.str | None:
        value: builtins.str | None = self.str(name, required=required, nullable=True, max_len=4096)
        if value is None or value == "":
            return None
        value = value.strip()
        if safe_url(value) is None:  # the page shows it as a link: board/urls.py
            raise BadRequest(
                f"{self.op}: expected {name} to be an http(s) URL, got {value[:80]!r}", field=name
            )
        return value

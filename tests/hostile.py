"""Hostile values for the fuzz tests (tests/test_fuzz_ws.py, tests/test_fuzz_http.py): what a
probe of the running service sent, as Hypothesis strategies and as plain lists.

Values JSON cannot carry as Python objects (a lone surrogate, NaN, an integer past 64 bits,
nesting past orjson's limit) are ``Raw`` JSON text, written into the frame as they are.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Raw:
    """JSON text put into a frame as it is."""

    text: str


def nested(depth: int) -> Raw:
    return Raw("[" * depth + "1" + "]" * depth)


def to_json(value: Any) -> str:
    """JSON text of ``value`` with ``Raw`` pieces as they are (and any depth)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        items = (
            f"{k.text if isinstance(k, Raw) else orjson.dumps(k).decode()}:{to_json(v)}"
            for k, v in value.items()
        )
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return orjson.dumps(value).decode()


NON_ASCII_DIGITS = ["²", "①", "٣", "١٢", "۱۲", "१२", "３", "½", "12", "0x10", " 1", "1_0", "-0"]
TEXT = [
    "a\x00b",
    "\x00",
    "x" * 20_000,
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "'; DROP TABLE snippets; --",
    "\u202e\ufeff",
    "😀" * 50,
]
DATES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00-14:00",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59+14:00",
    "2026-13-45T99:00:00Z",
    "2026-11-22T10:00:00",
]
RAW = [
    Raw('"\\ud800"'),
    Raw('"a\\udfffb"'),
    Raw('"\\u0000"'),
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
    Raw("1e400"),
    Raw("99999999999999999999"),
    Raw("-99999999999999999999"),
    Raw("18446744073709551615"),
    nested(300),
    nested(40),
]
NUMBERS = [0, -1, 1, 2**31, -(2**31) - 1, 2**63 - 1, -(2**63), 1.5, 1e300, -0.0]
OTHERS: list[Any] = [None, True, False, [], {}, [1, "a"], {"a": {"b": None}}, [None] * 1000]
HOSTILE: list[Any] = NON_ASCII_DIGITS + TEXT + DATES + RAW + NUMBERS + OTHERS
EXTRA_KEYS: list[Any] = ["a\x00b", Raw('"\\ud800"'), "__proto__", "x" * 300, "", "id\x00"]


def arg_names() -> list[str]:
    """Every argument name an op reads (``args.int("id"`` and the like) in the project's
    source: ops added later are fuzzed with their own argument names."""
    found: set[str] = set()
    for package in ("board", "drafting", "web", "ws"):
        for path in (ROOT / package).rglob("*.py"):
            found.update(re.findall(r"\bargs\.\w+\(\s*\"(\w+)\"", path.read_text()))
    return sorted(found)


def values(known: list[Any]) -> st.SearchStrategy[Any]:
    """A bad value, or now and then a good one (``known``: ids that exist), so that one
    argument's refusal is not always the first."""
    return st.one_of(
        st.sampled_from(HOSTILE),
        st.sampled_from(known),
        st.text(max_size=30),
        st.integers(min_value=-(2**70), max_value=2**70).map(lambda n: Raw(str(n))),
        st.recursive(
            st.none() | st.booleans() | st.integers(-10, 10) | st.text(max_size=5),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=8,
        ),
    )


def args_of(names: list[str], known: list[Any]) -> st.SearchStrategy[Any]:
    keys = st.one_of(st.sampled_from(names), st.sampled_from(EXTRA_KEYS))
    return st.one_of(
        st.dictionaries(keys, values(known), max_size=6),
        st.sampled_from(OTHERS[:4] + RAW[:4] + ["²"]),  # args that are not an object at all
    )


class Troubles(logging.Handler):
    """Log records that say something failed on the server: a traceback, or ERROR and up."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(record)

    def __enter__(self) -> Troubles:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)

    def report(self) -> str:
        return "\n".join(
            f"{r.name}: {r.getMessage()}" + (f" ({r.exc_info[1]!r})" if r.exc_info else "")
            for r in self.records[:10]
        )

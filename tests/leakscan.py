"""The log scan: the whole suite runs at DEBUG, and no test secret may show up anywhere we can see.

Tests, fakes and helpers ``register`` every secret as they create it (bot and access tokens,
API tokens, webhook tokens; every adapter built registers its column's secrets). Every
formatted log line of the session, every WebSocket frame a ``tests.support.Client`` receives,
and every ``metronome serve`` log file of ``tests/live.py`` is checked against them. A leak
does not stop the test it happened in (the test may well pass): the session ends failing,
naming the test, where the secret showed and an excerpt with the secret masked.

conftest.py re-exports the hooks below, so an inner session (tests/test_leakscan.py) can use
this module as its whole conftest.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Shorter values ("t", "abc") are everywhere in ordinary text: they would flag every line.
MIN_SECRET = 8
EXCERPT = 60


@dataclass(frozen=True)
class Leak:
    test: str
    where: str
    what: str  # the label the secret was registered with
    excerpt: str


@dataclass
class Scanner:
    secrets: dict[str, str] = field(default_factory=dict)
    leaks: list[Leak] = field(default_factory=list)
    current: str = "(collection)"
    lines: int = 0
    # Secrets registered in xdist workers (their scanners' own), counted for the report.
    other_secrets: int = 0
    # This test's lines, scanned again when it ends: a secret registered after a line still counts.
    _recent: list[tuple[str, str]] = field(default_factory=list)
    _pattern: re.Pattern[str] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, value: str, label: str) -> None:
        if not isinstance(value, str) or len(value) < MIN_SECRET or value in self.secrets:
            return
        with self._lock:
            self.secrets[value] = label
            alternatives = sorted(self.secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in alternatives))

    def check(self, text: str, where: str, *, keep: bool = True) -> None:
        self.lines += 1
        if keep:
            self._recent.append((text, where))
        pattern = self._pattern
        match = pattern.search(text) if pattern else None
        if match is None:
            return
        secret = match.group()
        start = max(0, match.start() - EXCERPT)
        excerpt = (
            text[start : match.start()] + "<SECRET>" + text[match.end() : match.end() + EXCERPT]
        )
        leak = Leak(self.current, where, self.secrets[secret], excerpt.replace("\n", "⏎"))
        if leak not in self.leaks:
            self.leaks.append(leak)

    @property
    def secret_count(self) -> int:
        return len(self.secrets) + self.other_secrets

    def check_file(self, path: Path, where: str) -> None:
        if path.is_file():
            for line in path.read_text(errors="replace").splitlines():
                self.check(line, f"{where} ({path.name})", keep=False)

    def test_ended(self) -> None:
        recent, self._recent = self._recent, []
        for text, where in recent:
            self.check(text, where, keep=False)

    def summary(self) -> dict[str, Any]:
        """What an xdist worker hands its controller (plain values: they cross a process)."""
        return {
            "secrets": self.secret_count,
            "lines": self.lines,
            "leaks": [vars(leak) for leak in self.leaks],
        }

    def merge(self, summary: dict[str, Any]) -> None:
        """A worker's findings, on the controller that reports for the whole run."""
        self.other_secrets += summary["secrets"]
        self.lines += summary["lines"]
        self.leaks += [Leak(**leak) for leak in summary["leaks"]]

    def report(self) -> Iterator[str]:
        yield f"{len(self.leaks)} leak(s) of registered test secrets ({self.secret_count} secrets, {self.lines} lines scanned):"
        for leak in self.leaks:
            yield f"  {leak.test}: {leak.what} in {leak.where}: …{leak.excerpt}…"


class RecordingHandler(logging.Handler):
    """Formats every record at every level, as a production handler would, and scans the line."""

    def __init__(self, scanner: Scanner) -> None:
        super().__init__(logging.DEBUG)
        self.scanner = scanner
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception as exc:  # a bad format string is not ours to fix here; its parts are
            line = f"{record.msg!r} {record.args!r} ({exc!r})"
        self.scanner.check(line, f"log {record.name}")


# The scanners of the running sessions (one; two while an inner session runs in-process).
_active: list[Scanner] = []


def register(value: Any, label: str = "a secret") -> None:
    """A secret the suite must never see in a log line or a frame (tokens, keys, passwords)."""
    for scanner in _active:
        scanner.register(value, label)


def check(text: str | bytes, where: str) -> None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    for scanner in _active:
        scanner.check(text, where)


def check_file(path: Path, where: str) -> None:
    for scanner in _active:
        scanner.check_file(path, where)


def _register_adapter_secrets() -> None:
    """Every adapter built in this process (by the app or by a test) registers its column's secrets."""
    from platforms.base import Adapter

    original = Adapter.__init__
    if getattr(original, "_leakscan", False):
        return

    def init(self: Adapter, column: Any, http: Any, *args: Any, **kwargs: Any) -> None:
        for name, value in (column.secrets or {}).items():
            register(value, f"{column.kind} secret {name}")
        original(self, column, http, *args, **kwargs)

    init._leakscan = True  # type: ignore[attr-defined]
    Adapter.__init__ = init  # type: ignore[method-assign]


# --- pytest hooks (re-exported by tests/conftest.py) ----------------------------------------

_SCANNER = pytest.StashKey[Scanner]()
_HANDLER = pytest.StashKey[RecordingHandler]()


def pytest_configure(config: pytest.Config) -> None:
    scanner = Scanner()
    _active.append(scanner)
    handler = RecordingHandler(scanner)
    config.stash[_SCANNER] = scanner
    config.stash[_HANDLER] = handler
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    _register_adapter_secrets()


def pytest_unconfigure(config: pytest.Config) -> None:
    scanner = config.stash.get(_SCANNER, None)
    if scanner in _active:
        _active.remove(scanner)
    handler = config.stash.get(_HANDLER, None)
    if handler is not None:
        logging.getLogger().removeHandler(handler)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    scanner = item.config.stash[_SCANNER]
    scanner.current = item.nodeid
    try:
        return (yield)
    finally:
        scanner.test_ended()
        scanner.current = f"(after {item.nodeid})"


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    scanner = session.config.stash[_SCANNER]
    scanner.test_ended()
    output = getattr(session.config, "workeroutput", None)
    if output is not None:  # an xdist worker: its controller reports for the whole run
        output["leakscan"] = scanner.summary()
    if scanner.leaks and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: a worker finished; its leaks join the controller's (which ran no test),
    so the run fails and the summary names them as without workers."""
    summary = getattr(node, "workeroutput", {}).get("leakscan")
    if summary is not None:
        node.config.stash[_SCANNER].merge(summary)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    scanner = config.stash[_SCANNER]
    if scanner.leaks:
        terminalreporter.section("secrets leaked", sep="=", red=True, bold=True)
        for line in scanner.report():
            terminalreporter.line(line, red=True)
    else:
        terminalreporter.line(
            f"log scan: no leaks ({scanner.secret_count} secrets, {scanner.lines} lines)"
        )

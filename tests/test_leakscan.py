"""The log scan catches what it must: a registered secret in a log line, a frame or a server log."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from tests.leakscan import RecordingHandler, Scanner

pytest_plugins = ["pytester"]

ROOT = Path(__file__).parent.parent
SECRET = "deliberate-leak-secret-0042"


def test_scanner_finds_a_secret_and_masks_it_in_the_report() -> None:
    """A registered value in a line is a leak naming the test, the place and the label; short values are not registered."""
    scanner = Scanner(current="tests/x.py::test_y")
    scanner.register(SECRET, "a bot token")
    scanner.register("short", "too short to scan")
    scanner.check(f"GET https://api.example/bot{SECRET}/sendMessage", "log aiohttp")
    scanner.check("a short word", "log demo")
    (leak,) = scanner.leaks
    assert (leak.test, leak.where, leak.what) == (
        "tests/x.py::test_y",
        "log aiohttp",
        "a bot token",
    )
    assert SECRET not in leak.excerpt and "bot<SECRET>/send" in leak.excerpt
    assert SECRET not in "\n".join(scanner.report())


def test_a_secret_registered_after_the_line_is_still_caught() -> None:
    """Lines of the running test are scanned again when it ends, against every secret known by then."""
    scanner = Scanner()
    scanner.check(f"early line with {SECRET}", "a WebSocket frame")
    assert not scanner.leaks
    scanner.register(SECRET, "an API token")
    scanner.test_ended()
    assert [leak.where for leak in scanner.leaks] == ["a WebSocket frame"]


def test_handler_scans_tracebacks_and_files(tmp_path: Path) -> None:
    """The handler formats like a real one (exception text included); a server's log file is read line by line."""
    scanner = Scanner()
    scanner.register(SECRET, "a token")
    logger = logging.getLogger("tests.leakscan.demo")
    handler = RecordingHandler(scanner)
    logger.addHandler(handler)
    try:
        raise ValueError(f"https://x/{SECRET}")
    except ValueError:
        logger.exception("publish failed")
    finally:
        logger.removeHandler(handler)
    assert [leak.where for leak in scanner.leaks] == ["log tests.leakscan.demo"]
    log = tmp_path / "serve.log"
    log.write_text(f"INFO started\nDEBUG > Authorization: Bearer {SECRET}\n")
    scanner.check_file(log, "the metronome serve log")
    assert scanner.leaks[-1].where == "the metronome serve log (serve.log)"


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist workers"])
def test_a_leak_fails_the_session(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: list[str]
) -> None:
    """An inner session whose tests all pass but log a registered secret exits failing and
    names the test, also when the leak happened in a worker of pytest-xdist (as the README's
    test command runs the suite)."""
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    pytester.makeconftest("""
from tests.leakscan import (pytest_configure, pytest_runtest_protocol, pytest_sessionfinish,
                            pytest_terminal_summary, pytest_testnodedown, pytest_unconfigure)
""")
    pytester.makepyfile(
        test_inner=f"""
import logging
from tests import leakscan

def test_quiet():
    logging.getLogger("demo").debug("nothing secret here")

def test_leaky():
    leakscan.register("{SECRET}", "a deliberate token")
    logging.getLogger("demo").debug("POST https://api.example/bot{SECRET}/sendMessage")
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *workers)
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*secrets leaked*", "*test_inner.py::test_leaky: a deliberate token in log demo*"]
    )
    assert SECRET not in result.stdout.str()
    clean = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "quiet", *workers)
    assert clean.ret == pytest.ExitCode.OK
    clean.stdout.fnmatch_lines(["log scan: no leaks*"])

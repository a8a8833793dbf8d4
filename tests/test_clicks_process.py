"""Clicks across a real `metronome serve`'s end: SIGTERM stores the last ones; kill -9 loses
at most those of the last flush window (web/clickcount.py FLUSH_S)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.live import LiveServer
from web.clickcount import FLUSH_S

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


def until(check: Callable[[], Any], within: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        time.sleep(0.05)


def tracked_card(server: LiveServer) -> tuple[int, str]:
    """A `log` column that tracks its links publishes a card; its id and its link's code."""
    pid = server.command(
        "platform.create",
        {"kind": "log", "name": "site", "interval_s": 3600, "settings": {"track": True}},
    )["id"]
    sid = server.command(
        "snippet.create", {"platform_id": pid, "body": "b", "url": "https://news.example.org/a"}
    )["id"]
    until(
        lambda: server.sql("SELECT 1 FROM snippets WHERE id = $1 AND status = 'sent'", sid),
        what="the card sent",
    )
    code = server.sql("SELECT code FROM links WHERE snippet_id = $1", sid)[0]["code"]
    return int(sid), str(code)


def clicks(server: LiveServer, code: str, n: int) -> None:
    with httpx.Client(base_url=server.url, headers={"User-Agent": BROWSER}) as http:
        for _ in range(n):
            assert http.get(f"/l/{code}").status_code == 302


def stored(server: LiveServer, sid: int) -> int:
    return int(server.sql("SELECT clicks FROM snippets WHERE id = $1", sid)[0]["clicks"])


def after_a_flush(server: LiveServer, sid: int, code: str) -> float:
    """One click, seen stored: a flush has just happened. Returns when it was seen."""
    before = stored(server, sid)
    clicks(server, code, 1)
    until(lambda: stored(server, sid) == before + 1, what="a flush")
    return time.monotonic()


@pytest.mark.slow
def test_sigterm_stores_the_last_clicks(live_server: LiveServer) -> None:
    """Clicks made just after a flush, well before the next, are stored by the shutdown."""
    sid, code = tracked_card(live_server)
    flushed = after_a_flush(live_server, sid, code)
    clicks(live_server, code, 20)
    assert time.monotonic() - flushed < FLUSH_S - 1, "the machine is too slow for this test"
    assert live_server.stop(signal.SIGTERM) == 0
    assert stored(live_server, sid) == 21
    assert "could not be stored" not in live_server.log()


@pytest.mark.fault
def test_kill_9_loses_at_most_the_last_flush_window(live_server: LiveServer) -> None:
    """kill -9 right after a flush loses exactly the clicks counted since; all before stay,
    and the restarted server counts on from there."""
    sid, code = tracked_card(live_server)
    clicks(live_server, code, 5)
    until(lambda: stored(live_server, sid) == 5, what="the first clicks stored")
    flushed = after_a_flush(live_server, sid, code)
    clicks(live_server, code, 7)
    assert time.monotonic() - flushed < FLUSH_S - 1, "the machine is too slow for this test"
    live_server.stop(signal.SIGKILL)
    assert stored(live_server, sid) == 6  # the 7 of the last window are lost, no more
    live_server.start()
    clicks(live_server, code, 2)
    until(lambda: stored(live_server, sid) == 8, what="clicks after the restart")
    card = live_server.state()["snippets"][str(sid)]
    assert card["status"] == "sent" and card["clicks"] == 8

"""Bad nights for the embedded PostgreSQL: it dies, and Metronome brings it back by itself."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.server import ThreadedServer
from tests.fakes.webhook import Receiver
from tests.live import LiveServer
from tests.outage import Board, health, kept_down, wait_healthy

pytestmark = pytest.mark.fault

# The drill: how long the database is kept down, and the cards queued at one a second.
OUTAGE_S = 20.0
CARDS = 40
PENDING = ("pending", "sending")


@pytest.fixture
def embedded() -> Iterator[LiveServer]:
    """`metronome serve` with no DATABASE_URL: the embedded server under its data directory."""
    # A short path: the server's socket lives in it (a unix socket path has ~100 bytes).
    with tempfile.TemporaryDirectory(prefix="mtr") as data_dir:
        server = LiveServer(None, Path(data_dir))
        server.start()
        try:
            yield server
        finally:
            server.stop()


def test_the_embedded_database_comes_back_by_itself(embedded: LiveServer) -> None:
    """Killed (and killed again as it restarts, for four seconds): health says 503, a command
    answers `unavailable`; then it is restarted, said in one line, and all works again."""
    board = Board(embedded)
    pid = board.ok("platform.create", {"kind": "log", "name": "night", "interval_s": 60})["id"]
    with kept_down(embedded.data_dir / "pgdata", 4.0):
        deadline = time.monotonic() + 4
        while health(embedded) != 503:
            assert time.monotonic() < deadline, "health never said the database was down"
            time.sleep(0.1)
        frame = board.command("platform.update", {"id": pid, "name": "while down"})
        assert not frame["ok"] and frame["error"]["code"] == "unavailable", frame
    wait_healthy(embedded)
    board.ok("platform.update", {"id": pid, "name": "back"})
    board.wait_for(lambda s: s["platforms"][str(pid)]["name"] == "back")
    board.close()
    log = embedded.log()
    assert log.count("stopped; restarting it") == 1, log[-4000:]
    assert "the embedded database is back after" in log
    assert "Traceback" not in log, log[log.index("Traceback") - 2000 :][:4000]


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_outage_drill(embedded: LiveServer) -> None:
    """The drill: the embedded PostgreSQL killed for 20 s (and again each time it restarts)
    while a column publishes every second. It comes back by itself; every card goes out once
    (0 duplicates, 0 lost), nothing is left `sending`, and every open board gets a fresh state."""
    receiver = Receiver()
    with ThreadedServer(receiver.app()) as hook:
        boards = [Board(embedded), Board(embedded)]
        editor = boards[0]
        pid = editor.ok(
            "platform.create",
            {
                "kind": "webhook",
                "name": "every second",
                "interval_s": 1,
                "settings": {"url": hook.url + "/hook", "utm": False},
            },
        )["id"]
        editor.ok("platform.pause", {"id": pid})
        cards = [
            editor.ok("snippet.create", {"platform_id": pid, "body": f"card {n}"})["id"]
            for n in range(CARDS)
        ]
        editor.ok("platform.resume", {"id": pid})
        deadline = time.monotonic() + 30
        while len(receiver.received) < 3:
            assert time.monotonic() < deadline, "nothing was published before the outage"
            time.sleep(0.1)

        with kept_down(embedded.data_dir / "pgdata", OUTAGE_S):
            pass
        came_back = wait_healthy(embedded, timeout=60)

        def settled(state: dict[str, Any]) -> bool:
            snippets = state.get("snippets")  # absent for a moment while a board resyncs
            return bool(snippets) and all(
                str(c) in snippets and snippets[str(c)]["status"] not in PENDING for c in cards
            )

        for board in boards:
            board.wait_for(settled, timeout=CARDS * 2 + 60)
        statuses = Counter(editor.state["snippets"][str(c)]["status"] for c in cards)
        posted = Counter(r.body["snippet_id"] for r in receiver.received)
        for board in boards:
            board.close()

    assert statuses == {"sent": CARDS}, statuses  # nothing sending, needs_check or failed
    assert sorted(posted) == sorted(cards), "a card was lost"
    assert max(posted.values()) == 1, "a card was posted twice"
    assert all(b.resyncs >= 1 for b in boards)
    assert not any(b.gaps for b in boards)
    assert boards[0].state["snippets"] == boards[1].state["snippets"]
    # The full state keeps the last sent cards of a column; the boards saw them all go.
    fresh = embedded.state()["snippets"]
    assert fresh and all(boards[0].state["snippets"][k] == card for k, card in fresh.items())
    log = embedded.log()
    assert log.count("stopped; restarting it") == 1
    assert "Traceback" not in log, log[log.index("Traceback") - 2000 :][:4000]
    print(f"back {came_back:.1f} s after the 20 s outage; {len(receiver.received)} posts")

"""Posters through crashes, graceful stops and a second instance: never twice, never lost."""

from __future__ import annotations

import random
import signal
import time
from collections import Counter

import pytest

from tests.fakes.server import ThreadedServer
from tests.fakes.webhook import Receiver
from tests.live import LiveServer

CARDS = 40


def make_queue(live: LiveServer, url: str, n: int, name: str = "hook") -> tuple[int, list[int]]:
    pid = live.command(
        "platform.create",
        {
            "kind": "webhook",
            "name": name,
            "interval_s": 1,
            "settings": {"url": url, "utm": False},
        },
    )["id"]
    live.command("platform.pause", {"id": pid})
    ids = [
        live.command("snippet.create", {"platform_id": pid, "body": f"card {i}"})["id"]
        for i in range(n)
    ]
    live.command("platform.resume", {"id": pid})
    return pid, ids


def statuses(live: LiveServer, ids: list[int]) -> dict[int, str]:
    return {
        r["id"]: r["status"]
        for r in live.sql("SELECT id, status FROM snippets WHERE id = ANY($1)", ids)
    }


def wait_settled(live: LiveServer, ids: list[int], timeout: float) -> dict[int, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = statuses(live, ids)
        if all(s in ("sent", "needs_check") for s in current.values()):
            return current
        time.sleep(0.3)
    return statuses(live, ids)


def check_exactly_once(receiver: Receiver, queues: list[list[int]], final: dict[int, str]) -> None:
    ids = [i for q in queues for i in q]
    counts = Counter(receiver.ids())
    assert not [i for i, n in counts.items() if n > 1], f"duplicates: {counts.most_common(3)}"
    assert all(s in ("sent", "needs_check") for s in final.values()), Counter(final.values())
    assert all(final[i] in ("sent", "needs_check") for i in counts)
    sent = [i for i in ids if final[i] == "sent"]
    assert set(sent) <= set(counts), "a card marked sent never reached the receiver"
    for queue in queues:
        order = [queue.index(i) for i in receiver.ids() if i in queue]
        assert order == sorted(order), "cards went out of queue order"


@pytest.mark.fault
@pytest.mark.timeout(900)
def test_sigkill_30_times(live_server: LiveServer) -> None:
    """Killed with SIGKILL at random moments 30 times: no duplicate, none lost, order kept."""
    receiver = Receiver()
    rng = random.Random(7)
    with ThreadedServer(receiver.app()) as hook:
        _, ids = make_queue(live_server, hook.url + "/hook", CARDS)
        for _ in range(30):
            time.sleep(rng.uniform(0.2, 1.6))
            live_server.stop(signal.SIGKILL)
            live_server.start()
        final = wait_settled(live_server, ids, timeout=90)
    check_exactly_once(receiver, [ids], final)
    assert sum(1 for s in final.values() if s == "sent") >= CARDS // 2


@pytest.mark.fault
@pytest.mark.timeout(600)
def test_sigterm_leaves_nothing_sending(live_server: LiveServer) -> None:
    """Stopped with SIGTERM while publishing to a slow receiver: nothing is ever left `sending`."""
    receiver = Receiver(delay=0.4)
    rng = random.Random(11)
    with ThreadedServer(receiver.app()) as hook:
        _, ids = make_queue(live_server, hook.url + "/hook", 15)
        for _ in range(8):
            time.sleep(rng.uniform(0.3, 1.5))
            assert live_server.stop(signal.SIGTERM) == 0
            assert "sending" not in statuses(live_server, ids).values()
            live_server.start()
        final = wait_settled(live_server, ids, timeout=60)
    check_exactly_once(receiver, [ids], final)
    assert all(s == "sent" for s in final.values()), "a graceful stop lets the publish finish"


@pytest.mark.fault
@pytest.mark.timeout(300)
def test_two_instances_share_and_hand_over(live_server: LiveServer) -> None:
    """Two servers, 20 columns: every card exactly once; killing one hands its columns to the other."""
    receiver = Receiver()
    other = LiveServer(live_server.database_url, live_server.log_path.parent / "other")
    (live_server.log_path.parent / "other").mkdir()
    with ThreadedServer(receiver.app()) as hook:
        other.start()
        try:
            queues = [
                make_queue(live_server, hook.url + "/hook", 3, name=f"col {c}") for c in range(20)
            ]
            ids = [i for _, q in queues for i in q]
            final = wait_settled(live_server, ids, timeout=30)
            assert all(s == "sent" for s in final.values())
            owners = live_server.sql(
                "SELECT count(DISTINCT pid) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 7315002 "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            assert owners[0]["n"] == 2, "both instances lead some columns"
            other.stop(signal.SIGKILL)
            killed_at = time.monotonic()
            more = [
                live_server.command("snippet.create", {"platform_id": pid, "body": "after"})["id"]
                for pid, _ in queues
            ]
            final = wait_settled(live_server, more, timeout=30)
            handover = time.monotonic() - killed_at
            assert all(s == "sent" for s in final.values())
            assert handover < 8, f"columns took {handover:.1f} s to move to the surviving instance"
        finally:
            other.stop()
    per_column = [q + [m] for (_, q), m in zip(queues, more, strict=True)]
    check_exactly_once(receiver, per_column, statuses(live_server, ids + more))

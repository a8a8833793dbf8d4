"""board.breaking on a real database: one story on top of many queues, per-column texts,
"now" past holds and pauses, the hold that goes with it, refusals that change nothing, and
columns that publish side by side, each with its own outcome."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests import db
from tests.fakes.server import serve
from tests.fakes.webhook import Receiver
from tests.test_holds import refused
from tests.timed import LEAD_S, Timed, timed_board

INTERVAL = 600


@pytest.fixture
async def board(database_url: str) -> AsyncIterator[Timed]:
    async with timed_board(database_url) as value:
        yield value


async def sent_once(board: Timed, *pids: int) -> None:
    """Each column has published a first card: the next ones wait a full interval."""
    firsts = [await board.card(pid, "first") for pid in pids]
    await board.clock.advance(LEAD_S)
    for sid in firsts:
        await board.wait_status(sid, "sent")


async def test_breaking_goes_on_top_of_each_queue(board: Timed) -> None:
    """One new card per listed column, first in its queue, with the common text or its
    column's own; other columns are untouched; `result.ids` maps column to card."""
    a, b, c = await board.column("A"), await board.column("B"), await board.column("C")
    waiting = {pid: await board.card(pid, f"scheduled in {pid}") for pid in (a, b, c)}
    result = await board.admin.ok(
        "board.breaking",
        {
            "platform_ids": [a, b],
            "body": "Polls close: results at 22:00",
            "url": "https://news.example/results",
            "bodies": {str(b): "Results at 22:00 #vote"},
        },
    )
    ids = {int(k): v for k, v in result["ids"].items()}
    assert set(ids) == {a, b}
    await board.admin.wait_for(lambda s: all(str(i) in s["snippets"] for i in ids.values()))
    for pid in (a, b):
        assert board.admin.queue(pid) == [ids[pid], waiting[pid]]
        card = board.admin.card(ids[pid])
        assert card["url"] == "https://news.example/results"
        assert "send_now" not in card["meta"]
    assert board.admin.card(ids[a])["body"] == "Polls close: results at 22:00"
    assert board.admin.card(ids[b])["body"] == "Results at 22:00 #vote"
    assert board.admin.queue(c) == [waiting[c]]
    assert len(await board.events("board.breaking")) == 1


async def test_breaking_from_a_material(board: Timed) -> None:
    """With material_id and no body or url, each card takes the material's text and link."""
    async with db.connect(board.running.database_url) as conn:
        material = await conn.fetchval(
            "INSERT INTO materials (external_id, url, title, social_text)"
            " VALUES ('cms-1', 'https://news.example/quake', 'Quake', 'A quake hit the coast')"
            " RETURNING id"
        )
    a = await board.column("A")
    result = await board.admin.ok("board.breaking", {"platform_ids": [a], "material_id": material})
    sid = result["ids"][str(a)]
    await board.admin.wait_for(lambda s: str(sid) in s["snippets"])
    card = board.admin.card(sid)
    assert (card["body"], card["url"], card["material_id"]) == (
        "A quake hit the coast",
        "https://news.example/quake",
        material,
    )


async def test_breaking_now_goes_past_holds_and_pauses(board: Timed) -> None:
    """now: true publishes at once in a paused column, a held one and a running one whose
    next slot is far off; the scheduled cards stay where they were, and the running column's
    next card keeps a full interval after the breaking one."""
    paused, held, running = [await board.column(n) for n in ("paused", "held", "running")]
    await sent_once(board, paused, held, running)
    scheduled = {pid: await board.card(pid, "scheduled") for pid in (paused, held, running)}
    await board.admin.ok("platform.pause", {"id": paused})
    await board.admin.ok("board.hold", {"reason": "story", "platform_ids": [held]})
    await board.clock.advance(100)
    breaking_at = board.clock.now()
    result = await board.admin.ok(
        "board.breaking",
        {"platform_ids": [paused, held, running], "body": "Breaking", "now": True},
    )
    for sid in result["ids"].values():
        await board.wait_status(sid, "sent")
        assert board.admin.card(sid)["finished_at"] == "2026-11-22T10:02:10.000Z"
    await board.settle()
    assert all(board.status(sid) == "pending" for sid in scheduled.values())
    assert board.eta(scheduled[paused]) is None and board.eta(scheduled[held]) is None
    await board.admin.wait_for(
        lambda s: (
            board.eta(scheduled[running]) is not None
            and board.eta(scheduled[running]).timestamp()  # type: ignore[union-attr]
            == (breaking_at.timestamp() + INTERVAL)
        )
    )


async def test_breaking_with_a_hold_is_one_command(board: Timed) -> None:
    """The `hold` extension holds every column that publishes in the same unit of work: the
    breaking cards go now, the scheduled ones wait, and the reply names the hold."""
    a, b = await board.column("A"), await board.column("B")
    await sent_once(board, a, b)
    scheduled = [await board.card(pid, "scheduled") for pid in (a, b)]
    result = await board.admin.ok(
        "board.breaking",
        {"platform_ids": [a], "body": "Breaking", "now": True, "hold": {"reason": "the story"}},
    )
    hold = str(result["hold_id"])
    await board.admin.wait_for(lambda s: hold in s["holds"])
    assert sorted(board.admin.state["holds"][hold]["platform_ids"]) == [a, b]
    await board.wait_status(result["ids"][str(a)], "sent")
    assert all(board.eta(sid) is None for sid in scheduled)
    await board.clock.advance(2 * INTERVAL)
    await board.settle()
    assert all(board.status(sid) == "pending" for sid in scheduled)


async def test_breaking_with_an_expiry(board: Timed) -> None:
    """expires_at is set on every card the command makes."""
    a, b = await board.column("A"), await board.column("B")
    result = await board.admin.ok(
        "board.breaking", {"platform_ids": [a, b], "body": "Live", "expires_at": board.at(3600)}
    )
    await board.admin.wait_for(
        lambda s: all(str(i) in s["snippets"] for i in result["ids"].values())
    )
    assert {board.admin.card(i)["expires_at"] for i in result["ids"].values()} == {
        "2026-11-22T11:00:00.000Z"
    }


Refusal = Callable[[dict[str, int]], dict[str, Any]]


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda c: {"body": "x"}, "platform_ids"),
        (lambda c: {"platform_ids": [], "body": "x"}, "platform_ids"),
        (lambda c: {"platform_ids": [c["a"], 999_999], "body": "x"}, "platform_ids"),
        (lambda c: {"platform_ids": [c["a"], c["inbox"]], "body": "x"}, "platform_ids"),
        (lambda c: {"platform_ids": [c["a"]]}, "body"),
        (lambda c: {"platform_ids": [c["a"]], "body": "x", "url": "ftp://x"}, "url"),
        (lambda c: {"platform_ids": [c["a"]], "body": "x", "bodies": {"77": "y"}}, "bodies"),
        (lambda c: {"platform_ids": [c["a"]], "body": "x", "bodies": {str(c["a"]): 5}}, "bodies"),
        (lambda c: {"platform_ids": [c["a"]], "body": "x", "bodies": []}, "bodies"),
        (lambda c: {"platform_ids": [c["a"]], "body": "x", "now": "yes"}, "now"),
        (lambda c: {"platform_ids": [c["a"]], "body": "x", "expires_at": "soon"}, "expires_at"),
        (
            lambda c: {"platform_ids": [c["a"]], "body": "x", "expires_at": "2026-11-22T09:00:00Z"},
            "expires_at",
        ),
        (lambda c: {"platform_ids": [c["a"]], "body": "x", "hold": {"reason": ""}}, "reason"),
        (
            lambda c: {
                "platform_ids": [c["a"]],
                "body": "x",
                "hold": {"reason": "r", "until": "2026-11-22T09:00:00Z"},
            },
            "until",
        ),
        (lambda c: {"platform_ids": [c["a"]], "body": "x", "hold": "yes"}, "hold"),
    ],
)
async def test_breaking_refusals(board: Timed, make: Refusal, field: str) -> None:
    """Bad input is a bad_request naming the field, and nothing is made or held."""
    columns = {"a": await board.column("A"), "inbox": await board.column("Inbox", kind="drafts")}
    before = dict(board.admin.state["snippets"])
    message = await refused(board.admin, "board.breaking", make(columns))
    assert field in message, message
    await board.settle()
    assert board.admin.state["snippets"] == before and board.admin.state["holds"] == {}


async def test_viewers_may_not_publish_breaking_news(board: Timed) -> None:
    viewer = await board.client("viewer")
    editor = await board.client("editor")
    a = await board.column("A")
    args = {"platform_ids": [a], "body": "x"}
    assert await viewer.fails("board.breaking", args) == "forbidden"
    await editor.ok("board.breaking", args)


@contextlib.asynccontextmanager
async def hook(board: Timed, name: str, **receiver: Any) -> AsyncIterator[tuple[Receiver, int]]:
    rec = Receiver(**receiver)
    async with serve(rec.app()) as base:
        pid = await board.column(
            name, kind="webhook", settings={"url": base + "/hook", "utm": False}
        )
        yield rec, pid


async def test_breaking_columns_publish_side_by_side(board: Timed) -> None:
    """A breaking post to a fast network, one that refuses and one that takes 3 s: the fast
    one is sent within a second, the refusal fails on its own, the slow one is sent late —
    no column waits for another."""
    async with (
        hook(board, "fast") as (fast, a),
        hook(board, "refuses") as (refuses, b),
        hook(board, "slow", delay=3.0) as (slow, c),
    ):
        refuses.script.append((400, {}, {"error": "not today"}))
        started = time.monotonic()
        result = await board.admin.ok(
            "board.breaking", {"platform_ids": [a, b, c], "body": "Breaking", "now": True}
        )
        ids = {int(k): v for k, v in result["ids"].items()}
        await board.wait_status(ids[a], "sent", timeout=1.0)
        await board.wait_status(ids[b], "failed", timeout=1.0)
        fast_done = time.monotonic() - started
        assert board.status(ids[c]) == "sending"
        await board.wait_status(ids[c], "sent", timeout=6.0)
        assert fast_done < 1.0
        assert [r.body["snippet_id"] for r in fast.received] == [ids[a]]
        assert "not today" in board.admin.card(ids[b])["meta"]["error"]

"""Posters in real time against a local webhook receiver: spacing, exactly once, and failures."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.fakes.server import serve
from tests.fakes.webhook import Receiver
from tests.support import Client, Running


@contextlib.asynccontextmanager
async def hook(
    admin: Client, interval_s: int = 1, **settings: Any
) -> AsyncIterator[tuple[Receiver, int]]:
    receiver = Receiver()
    async with serve(receiver.app()) as base:
        pid = (
            await admin.ok(
                "platform.create",
                {
                    "kind": "webhook",
                    "name": "hook",
                    "interval_s": interval_s,
                    "settings": {"url": base + "/hook", "utm": False, **settings},
                },
            )
        )["id"]
        yield receiver, pid


async def add(client: Client, pid: int, n: int, url: str | None = None) -> list[int]:
    ids = []
    for i in range(n):
        args: dict[str, Any] = {"platform_id": pid, "body": f"card {i}"}
        if url:
            args["url"] = url
        ids.append(int((await client.ok("snippet.create", args))["id"]))
    return ids


def status(client: Client, sid: int) -> str | None:
    card = client.card(sid)
    return card["status"] if card else None


async def test_spacing_order_exactly_once(server: Running, admin: Client) -> None:
    """Cards go out in order, one interval apart (±0.3 s), one request each, with the contract's body."""
    await server.services.registry.armed.wait()
    async with hook(admin) as (receiver, pid):
        await admin.ok("platform.pause", {"id": pid})
        ids = await add(admin, pid, 5, url="https://news.example/story")
        await admin.ok("platform.resume", {"id": pid})
        await admin.wait_for(lambda s: all(status(admin, i) == "sent" for i in ids), timeout=15)
        assert receiver.ids() == ids
        gaps = [b.at - a.at for a, b in zip(receiver.received, receiver.received[1:], strict=False)]
        assert all(0.7 <= g <= 1.3 for g in gaps), gaps
        first = receiver.received[0].body
        assert set(first) == {"snippet_id", "platform_id", "body", "url", "text"}
        assert first["text"] == "card 0\n\nhttps://news.example/story"
        card = admin.card(ids[0])
        assert card["meta"]["remote_id"] == f"hook-{ids[0]}"
        assert card["meta"]["remote_url"] == f"https://hooks.example/{ids[0]}"
        assert admin.state["platforms"][str(pid)]["last_sent_at"]


async def test_utm_tags_by_default(server: Running, admin: Client) -> None:
    """A column without a utm setting tags links; the campaign is configurable."""
    receiver = Receiver()
    async with serve(receiver.app()) as base:
        pid = (
            await admin.ok(
                "platform.create",
                {
                    "kind": "webhook",
                    "name": "h",
                    "interval_s": 1,
                    "settings": {"url": base + "/hook", "utm": {"campaign": "night"}},
                },
            )
        )["id"]
        (sid,) = await add(admin, pid, 1, url="https://news.example/a?x=1")
        await admin.wait_for(lambda s: status(admin, sid) == "sent", timeout=10)
    assert receiver.received[0].body["url"] == (
        "https://news.example/a?x=1&utm_source=webhook&utm_medium=social&utm_campaign=night"
    )


async def test_server_error_is_retried(server: Running, admin: Client) -> None:
    """A 500 is retried with backoff; the card is sent once the receiver recovers."""
    async with hook(admin) as (receiver, pid):
        receiver.script.extend([(500, {}, {"error": "down"}), (503, {}, {})])
        (sid,) = await add(admin, pid, 1)
        await admin.wait_for(lambda s: status(admin, sid) == "sent", timeout=15)
        assert len(receiver.received) == 3
        assert len({r.headers["idempotency-key"] for r in receiver.received}) == 1


@pytest.mark.slow
async def test_server_error_gives_up(server: Running, admin: Client) -> None:
    """A receiver that keeps failing makes the card failed after bounded retries; the column goes on."""
    async with hook(admin) as (receiver, pid):
        receiver.script.extend([(500, {}, {"error": "down"})] * 4)
        a, b = await add(admin, pid, 2)
        await admin.wait_for(lambda s: status(admin, a) == "failed", timeout=20)
        assert "500" in admin.card(a)["meta"]["error"]
        await admin.wait_for(lambda s: status(admin, b) == "sent", timeout=10)
        assert receiver.ids().count(a) == 4


async def test_rate_limit_is_waited_out(server: Running, admin: Client) -> None:
    """A 429 with Retry-After is waited out and retried, and is not a failure."""
    async with hook(admin) as (receiver, pid):
        receiver.script.append((429, {"Retry-After": "2"}, {}))
        (sid,) = await add(admin, pid, 1)
        await admin.wait_for(lambda s: status(admin, sid) == "sent", timeout=15)
        assert len(receiver.received) == 2
        assert receiver.received[1].at - receiver.received[0].at >= 2.0


async def test_auth_rejected_stops_the_column(server: Running, admin: Client) -> None:
    """A 401 stops the column with a status saying why; its cards stay pending."""
    async with hook(admin) as (receiver, pid):
        receiver.script.append((401, {}, {"error": "bad token"}))
        a, b = await add(admin, pid, 2)
        await admin.wait_for(
            lambda s: s["platforms"][str(pid)]["status"] == "auth_rejected", timeout=10
        )
        assert "401" in admin.state["platforms"][str(pid)]["status_message"]
        await admin.wait_for(lambda s: status(admin, a) == "pending")
        assert status(admin, b) == "pending" and len(receiver.received) == 1
        # New credentials give the column another chance.
        await admin.ok("platform.update", {"id": pid, "secrets": {"token": "fixed"}})
        await admin.wait_for(
            lambda s: status(admin, a) == "sent" and status(admin, b) == "sent", timeout=10
        )
        assert receiver.received[-1].headers["authorization"] == "Bearer fixed"


async def test_rejected_fails_only_that_card(server: Running, admin: Client) -> None:
    """A 400 fails that card with the network's message; the next card goes out."""
    async with hook(admin) as (receiver, pid):
        receiver.script.append((400, {}, {"error": "text too long"}))
        a, b = await add(admin, pid, 2)
        await admin.wait_for(
            lambda s: status(admin, a) == "failed" and status(admin, b) == "sent", timeout=10
        )
        assert "text too long" in admin.card(a)["meta"]["error"]
        await admin.ok("snippet.retry", {"id": a})
        await admin.wait_for(lambda s: status(admin, a) == "sent", timeout=10)
        assert receiver.ids().count(a) == 2
        keys = [
            r.headers["idempotency-key"] for r in receiver.received if r.body["snippet_id"] == a
        ]
        assert keys[0] != keys[1], "an editor's retry is a new attempt"


async def test_timeout_needs_check(server: Running, admin: Client) -> None:
    """A receiver that never answers: the card becomes needs_check, never resent; mark_sent records it."""
    async with hook(admin, timeout_s=1) as (receiver, pid):
        receiver.script.append("hang")
        a, b = await add(admin, pid, 2)
        await admin.wait_for(lambda s: status(admin, a) == "needs_check", timeout=10)
        await admin.wait_for(lambda s: status(admin, b) == "sent", timeout=10)
        assert receiver.ids().count(a) == 1
        assert "outcome unknown" in admin.card(a)["meta"]["error"]
        await admin.ok(
            "snippet.mark_sent", {"id": a, "remote_url": "https://hooks.example/checked"}
        )
        await admin.wait_for(lambda s: status(admin, a) == "sent")
        assert admin.card(a)["meta"]["remote_url"] == "https://hooks.example/checked"


async def test_editing_a_sending_card_is_a_conflict(server: Running, admin: Client) -> None:
    """While a card is being published, moving, editing or deleting it is refused."""
    async with hook(admin, timeout_s=3) as (receiver, pid):
        receiver.script.append("hang")
        (a,) = await add(admin, pid, 1)
        await admin.wait_for(lambda s: status(admin, a) == "sending", timeout=10)
        assert (
            await admin.fails(
                "snippet.update", {"id": a, "version": admin.card(a)["version"], "body": "x"}
            )
            == "conflict"
        )
        assert await admin.fails("snippet.move", {"id": a, "after_id": None}) == "conflict"
        assert await admin.fails("snippet.delete", {"id": a}) == "conflict"
        await admin.wait_for(lambda s: status(admin, a) == "needs_check", timeout=10)

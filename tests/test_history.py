"""A card's story (board/history.py, GET /api/snippets/{id}/history): the events that changed
it, by whom and when, from its creation to its publication, and no others."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from board.history import touched
from tests.clock import FakeClock
from tests.fakes.server import serve
from tests.fakes.webhook import Receiver
from tests.support import Client, Running, make_user, running_app, session_cookie


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({}, []),
        ({"platforms": {"1": {"paused": True}}}, []),
        ({"snippets": {"5": {"eta": "2026-11-22T10:00:00Z"}, "6": {"eta": None}}}, []),
        ({"snippets": {"7": {"ord": 1.5}}}, []),
        ({"snippets": {"7": {"clicks": 12}, "8": {"eta": None, "eta_before_quiet": None}}}, []),
        ({"snippets": {"7": {"ord": 1.5, "version": 2, "user_id": 1}}}, [7]),
        ({"snippets": {"9": None, "8": {"id": 8, "body": "new"}, "5": {"eta": None}}}, [8, 9]),
        ({"snippets": {"4": {"approval": "approved"}}}, [4]),
    ],
)
def test_an_event_touches_the_cards_it_changed_beyond_bookkeeping(
    patch: dict[str, Any], expected: list[int]
) -> None:
    """Cards whose only change is an eta the walk moved or an ord a renumbering shifted are
    not in the event's story; a card changed in any other way, or gone, is."""
    assert touched(patch) == expected


async def history(server: Running, snippet_id: Any, cookie: str, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient(
        base_url=server.url, cookies={"metronome_session": cookie}
    ) as http:
        return await http.get(f"/api/snippets/{snippet_id}/history", params=params)


async def signed(server: Running, role: str) -> tuple[str, str]:
    email = await make_user(server.database_url, role)
    return email, await session_cookie(server.database_url, email)


async def test_a_cards_story_from_an_author_to_the_network(database_url: str) -> None:
    """Written by an author, edited, approved, moved, held by the network's rate limit, sent:
    each step in order with who did it and when; the neighbour whose time the move shifted has
    none of it in its own story; a refused command is in nobody's story."""
    clock = FakeClock()
    receiver = Receiver()
    # A long rate limit: the poster puts the card back and holds the column (poster.hold).
    receiver.script.append((429, {"Retry-After": "120"}, {}))
    async with running_app(database_url, clock=clock) as server, serve(receiver.app()) as base:
        await server.services.registry.armed.wait()
        author_email, author_cookie = await signed(server, "author")
        editor_email, editor_cookie = await signed(server, "editor")
        admin_email, admin_cookie = await signed(server, "admin")
        async with (
            Client.connect(server, cookie=admin_cookie) as admin,
            Client.connect(server, cookie=author_cookie) as author,
            Client.connect(server, cookie=editor_cookie) as editor,
        ):
            pid = (
                await admin.ok(
                    "platform.create",
                    {
                        "kind": "webhook",
                        "name": "hook",
                        "interval_s": 3600,
                        "paused": True,
                        "settings": {"url": base + "/hook", "utm": False},
                    },
                )
            )["id"]
            neighbour = (await editor.ok("snippet.create", {"platform_id": pid, "body": "o"}))["id"]
            sid = (await author.ok("snippet.create", {"platform_id": pid, "body": "draft"}))["id"]
            await author.ok("snippet.update", {"id": sid, "version": 1, "body": "better"})
            assert await author.fails("snippet.delete", {"id": sid}) == "forbidden"
            await editor.ok("snippet.approve", {"id": sid, "version": 2})
            await editor.ok("snippet.move", {"id": sid, "after_id": None})
            await admin.ok("platform.resume", {"id": pid})
            await admin.wait_for(lambda s: len(receiver.received) == 1, timeout=5)
            await admin.wait_for(lambda s: s["snippets"][str(sid)]["status"] == "pending")
            await clock.advance(121)
            await admin.wait_for(lambda s: s["snippets"][str(sid)]["status"] == "sent", timeout=5)

            response = await history(server, sid, author_cookie)
            assert response.status_code == 200, response.text
            story = response.json()
            assert story["id"] == sid and story["more"] is False
            assert [(e["op"], e["user_email"]) for e in story["events"]] == [
                ("snippet.create", author_email),
                ("snippet.update", author_email),
                ("snippet.approve", editor_email),
                ("snippet.move", editor_email),
                ("poster.take", None),
                ("poster.hold", None),
                ("poster.take", None),
                ("poster.finish", None),
            ]
            events = story["events"]
            assert events[1]["args"]["body"] == "better"
            assert events[5]["args"] == {"id": sid, "retry_after_s": 120.0}
            assert events[7]["args"] == {"id": sid, "status": "sent"}
            assert events[0]["at"] == "2026-11-22T10:00:00.000Z"
            assert events[-1]["at"] == "2026-11-22T10:02:01.000Z"

            other = (await history(server, neighbour, editor_cookie)).json()
            assert [e["op"] for e in other["events"]] == ["snippet.create"], (
                "the move and the resume retimed it, but did not change it"
            )
            limited = (await history(server, sid, editor_cookie, limit=2)).json()
            assert [e["op"] for e in limited["events"]] == ["poster.take", "poster.finish"]
            assert limited["more"] is True


async def test_a_deleted_cards_story_is_still_told(server: Running, admin: Client) -> None:
    """A card that left the board (deleted, restored, deleted again) keeps its story."""
    _, cookie = await signed(server, "viewer")
    pid = (
        await admin.ok(
            "platform.create", {"kind": "log", "name": "c", "interval_s": 3600, "paused": True}
        )
    )["id"]
    sid = (await admin.ok("snippet.create", {"platform_id": pid, "body": "x"}))["id"]
    await admin.ok("snippet.delete", {"id": sid})
    await admin.ok("snippet.restore", {"id": sid})
    await admin.ok("platform.clear", {"id": pid})
    story = (await history(server, sid, cookie)).json()
    assert [e["op"] for e in story["events"]] == [
        "snippet.create",
        "snippet.delete",
        "snippet.restore",
        "platform.clear",
    ]


async def test_history_refusals(server: Running, admin: Client) -> None:
    """Not signed in: 401; a bad id or limit: 400 naming it; a card that never was: 404."""
    _, cookie = await signed(server, "viewer")
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/api/snippets/1/history")).status_code == 401
    for bad, field in (("abc", "id"), ("0", "id"), ("99999999999", "id")):
        response = await history(server, bad, cookie)
        assert response.status_code == 400, (bad, response.text)
        assert field in response.json()["error"]["message"]
    for limit in ("none", "0", "1001"):
        response = await history(server, 1, cookie, limit=limit)
        assert response.status_code == 400 and "limit" in response.json()["error"]["message"]
    response = await history(server, 424242, cookie)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"

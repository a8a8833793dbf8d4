"""Authors and approval (CONTRACT §12): what an author writes waits for an editor; a waiting
card keeps its place, takes no slot and is never published; every refusal is clear."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests import db
from tests.fakes.server import serve
from tests.fakes.webhook import Receiver
from tests.support import Client, Running, make_user, running_app, session_cookie


@contextlib.asynccontextmanager
async def signed_in(server: Running, role: str) -> AsyncIterator[Client]:
    email = await make_user(server.database_url, role)
    cookie = await session_cookie(server.database_url, email)
    async with Client.connect(server, cookie=cookie) as client:
        yield client


@pytest.fixture
async def author(server: Running) -> AsyncIterator[Client]:
    """A WebSocket client signed in as an author."""
    async with signed_in(server, "author") as client:
        yield client


async def column(admin: Client, *, paused: bool = False, interval_s: int = 3600) -> int:
    return int(
        (
            await admin.ok(
                "platform.create",
                {"kind": "log", "name": "c", "interval_s": interval_s, "paused": paused},
            )
        )["id"]
    )


async def create(client: Client, pid: int, body: str, **extra: Any) -> int:
    return int(
        (await client.ok("snippet.create", {"platform_id": pid, "body": body, **extra}))["id"]
    )


async def went_out(client: Client, sid: int) -> None:
    await client.wait_for(lambda s: client.card(sid) and client.card(sid)["status"] == "sent")


def card(client: Client, sid: int) -> dict[str, Any]:
    found = client.card(sid)
    if found is None:  # KeyError: Client.wait_for reads it as "not here yet"
        raise KeyError(f"card {sid} is not in the state")
    return found


async def test_an_authors_card_waits_in_its_place_and_takes_no_slot(
    admin: Client, editor: Client, author: Client
) -> None:
    """An author's card is pending approval: no eta, and the cards behind it move up into its
    slot; an editor's card is approved from the start; approving gives it its slot back."""
    pid = await column(admin)
    await went_out(editor, await create(editor, pid, "out at once: the next go an hour apart"))
    first = await create(editor, pid, "first")
    waiting = await create(author, pid, "an author's story")
    last = await create(editor, pid, "last")
    await editor.wait_for(lambda s: str(last) in s["snippets"] and editor.card(last).get("eta"))
    assert card(editor, first)["approval"] == "approved"
    assert card(editor, waiting)["approval"] == "pending"
    assert "eta" not in card(editor, waiting)
    assert editor.queue(pid) == [first, waiting, last], "it keeps its place"
    slot_of_first, slot_of_last = card(editor, first)["eta"], card(editor, last)["eta"]
    # The next slot after `first` went to `last`: one interval after it.
    assert slot_of_last > slot_of_first
    result = await editor.ok("snippet.approve", {"id": waiting, "version": 1})
    assert result == {"id": waiting, "approval": "approved", "version": 1}
    await editor.wait_for(lambda s: card(editor, waiting).get("eta") == slot_of_last)
    await editor.wait_for(lambda s: card(editor, last)["eta"] > slot_of_last)
    assert card(editor, waiting)["version"] == 1, "approval is not an edit"
    # Approving again changes nothing.
    assert (await editor.ok("snippet.approve", {"id": waiting}))["approval"] == "approved"


async def test_an_approved_card_an_author_edits_waits_again(
    admin: Client, editor: Client, author: Client
) -> None:
    """An author may edit any card: an approved one goes back to waiting and leaves its slot;
    an editor's edit of a waiting card leaves it waiting (approval is explicit)."""
    pid = await column(admin)
    await went_out(editor, await create(editor, pid, "out at once: the next waits an hour"))
    sid = await create(editor, pid, "by the desk")
    await author.wait_for(lambda s: author.card(sid) and author.card(sid).get("eta"))
    await author.ok("snippet.update", {"id": sid, "version": 1, "body": "rewritten by a reporter"})
    await editor.wait_for(lambda s: card(editor, sid)["approval"] == "pending")
    assert "eta" not in card(editor, sid)
    assert card(editor, sid)["user_email"] == author.state["me"]["email"]
    await editor.ok("snippet.update", {"id": sid, "version": 2, "body": "tidied by the desk"})
    await editor.wait_for(lambda s: card(editor, sid)["version"] == 3)
    assert card(editor, sid)["approval"] == "pending"
    await editor.ok("snippet.move", {"id": sid, "after_id": None})
    await editor.wait_for(lambda s: card(editor, sid)["version"] == 4)
    assert card(editor, sid)["approval"] == "pending" and "eta" not in card(editor, sid)
    # An author edits waiting cards too (their own or anyone's), anywhere.
    other = await column(admin, paused=True)
    mine = await create(author, other, "draft")
    await author.ok("snippet.update", {"id": mine, "version": 1, "url": "https://example.org/a"})
    await author.wait_for(lambda s: card(author, mine)["version"] == 2)
    assert card(author, mine)["approval"] == "pending"


async def test_a_stale_approval_is_a_conflict(
    admin: Client, editor: Client, author: Client
) -> None:
    """An editor approves the version they read: if the author changed the card since, the
    approval is refused with the current text, and nothing is approved."""
    pid = await column(admin)
    sid = await create(author, pid, "v1")
    await author.ok("snippet.update", {"id": sid, "version": 1, "body": "v2, unseen"})
    reply = await editor.command("snippet.approve", {"id": sid, "version": 1})
    assert reply["error"]["code"] == "conflict"
    assert reply["error"]["details"]["body"] == "v2, unseen"
    await editor.wait_for(lambda s: card(editor, sid)["version"] == 2)
    assert card(editor, sid)["approval"] == "pending"


async def test_approve_refusals(
    server: Running, admin: Client, editor: Client, author: Client, viewer: Client
) -> None:
    """Authors and viewers may not approve; a deleted card, a missing one and bad arguments
    are refused with the field named."""
    pid = await column(admin)
    sid = await create(author, pid, "mine")
    assert await author.fails("snippet.approve", {"id": sid}) == "forbidden"
    assert await viewer.fails("snippet.approve", {"id": sid}) == "forbidden"
    assert await editor.fails("snippet.approve", {"id": sid + 999}) == "not_found"
    reply = await editor.command("snippet.approve", {"id": "x"})
    assert reply["error"]["code"] == "bad_request" and "id" in reply["error"]["message"]
    reply = await editor.command("snippet.approve", {"id": sid, "version": "one"})
    assert reply["error"]["code"] == "bad_request" and "version" in reply["error"]["message"]
    await editor.ok("snippet.delete", {"id": sid})
    assert await editor.fails("snippet.approve", {"id": sid}) == "conflict"


# Every op but creating and editing cards (and reads) is refused to an author, naming the op.
AUTHOR_REFUSED = [
    ("snippet.move", lambda ids: {"id": ids["card"], "after_id": None}),
    ("snippet.delete", lambda ids: {"id": ids["card"]}),
    ("snippet.restore", lambda ids: {"id": ids["card"]}),
    ("snippet.send_now", lambda ids: {"id": ids["card"]}),
    ("snippet.retry", lambda ids: {"id": ids["card"]}),
    ("snippet.mark_sent", lambda ids: {"id": ids["card"]}),
    ("snippet.approve", lambda ids: {"id": ids["card"]}),
    ("marker.create", lambda ids: {"platform_id": ids["column"], "interval_s": 60}),
    ("platform.pause", lambda ids: {"id": ids["column"]}),
    ("platform.resume", lambda ids: {"id": ids["column"]}),
    ("platform.clear", lambda ids: {"id": ids["column"]}),
    ("platform.restore", lambda ids: {"id": ids["column"], "ids": [ids["card"]]}),
    ("platform.update", lambda ids: {"id": ids["column"], "interval_s": 60}),
    ("platform.create", lambda ids: {"kind": "log", "name": "x", "interval_s": 60}),
    ("platform.delete", lambda ids: {"id": ids["column"]}),
    ("feed.create", lambda ids: {"url": "https://example.org/feed", "interval_s": 600}),
    ("feed.poll", lambda ids: {"id": 1}),
]


async def test_every_other_op_is_refused_to_an_author(
    server: Running, admin: Client, author: Client
) -> None:
    """Authors create and edit cards only: moving, deleting, sending, pausing, clearing and the
    rest are refused as forbidden with a message naming the op and the role; nothing changes."""
    pid = await column(admin, paused=True)
    sid = await create(author, pid, "mine")
    marker = int((await admin.ok("marker.create", {"platform_id": pid, "interval_s": 120}))["id"])
    ids = {"card": sid, "column": pid}
    for op, args in AUTHOR_REFUSED:
        reply = await author.command(op, args(ids))
        assert not reply["ok"], op
        assert reply["error"]["code"] == "forbidden", (op, reply)
        assert op in reply["error"]["message"] and "author" in reply["error"]["message"], reply
    reply = await author.command("snippet.update", {"id": marker, "version": 1, "interval_s": 60})
    assert reply["error"]["code"] == "forbidden" and "interval" in reply["error"]["message"]
    reply = await author.command("snippet.update", {"id": marker, "version": 1, "body": "x"})
    assert reply["error"]["code"] == "forbidden"
    state = author.state
    assert author.queue(pid) == [marker, sid] or author.queue(pid) == [sid, marker]
    assert state["platforms"][str(pid)]["paused"] is True
    assert card(author, sid)["version"] == 1


async def test_a_waiting_card_is_never_published(
    server: Running, admin: Client, editor: Client, author: Client
) -> None:
    """In a running column the poster passes over a waiting card at the head and publishes the
    approved one behind it; "send now" of a waiting card is refused; once approved, it goes."""
    await server.services.registry.armed.wait()
    receiver = Receiver()
    async with serve(receiver.app()) as base:
        pid = int(
            (
                await admin.ok(
                    "platform.create",
                    {
                        "kind": "webhook",
                        "name": "hook",
                        "interval_s": 1,
                        "paused": True,
                        "settings": {"url": base + "/hook", "utm": False},
                    },
                )
            )["id"]
        )
        waiting = await create(author, pid, "not yet")
        approved = await create(editor, pid, "go")
        assert await editor.fails("snippet.send_now", {"id": waiting}) == "conflict"
        await admin.ok("platform.resume", {"id": pid})
        await editor.wait_for(lambda s: card(editor, approved)["status"] == "sent", timeout=10)
        await asyncio.sleep(2.5)  # two more intervals: nothing else may go out
        assert receiver.ids() == [approved]
        assert card(editor, waiting)["status"] == "pending" and "eta" not in card(editor, waiting)
        await editor.ok("snippet.approve", {"id": waiting})
        await editor.wait_for(lambda s: card(editor, waiting)["status"] == "sent", timeout=10)
        assert receiver.ids() == [approved, waiting]


async def test_a_feeds_drafts_wait_for_approval(server: Running, admin: Client) -> None:
    """Cards no person wrote (a material the CMS drops into a drafts inbox) wait, too."""
    inbox = int(
        (
            await admin.ok(
                "platform.create", {"kind": "drafts", "name": "Inbox", "interval_s": 3600}
            )
        )["id"]
    )
    email = await make_user(server.database_url, "editor")
    cookie = await session_cookie(server.database_url, email)
    async with httpx.AsyncClient(
        base_url=server.url, cookies={"metronome_session": cookie}
    ) as http:
        response = await http.post(
            "/api/materials",
            json={
                "external_id": "cms-1",
                "url": "https://news.example.org/a",
                "title": "A story",
                "drafts_platform_id": inbox,
            },
        )
        assert response.status_code == 201, response.text
    await admin.wait_for(lambda s: admin.queue(inbox))
    (draft,) = admin.queue(inbox)
    assert card(admin, draft)["approval"] == "pending"


async def test_authors_upload_media_for_their_cards(server: Running) -> None:
    """An author attaches an image to a card as an editor would; a viewer may not."""
    from tests.mediafiles import PNG, upload

    for role, allowed in (("author", True), ("viewer", False)):
        email = await make_user(server.database_url, role)
        cookie = await session_cookie(server.database_url, email)
        response = await upload(server.url, PNG, "a.png", cookie=cookie)
        if allowed:
            assert response.status_code in (200, 201), response.text
        else:
            assert response.status_code == 403 and "author" in response.text


async def test_the_author_role_in_the_database(database_url: str) -> None:
    """The users_role constraint admits author (migration 0011) and still refuses nonsense."""
    import asyncpg

    await make_user(database_url, "author")
    async with db.connect(database_url) as conn:
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO users (email, password_hash, role) VALUES ('x@example.org', 'h', 'chief')"
            )


async def test_an_ai_draft_enters_as_a_waiting_card(database_url: str) -> None:
    """snippet.draft: the AI's first text for a material becomes a card where asked, waiting
    for approval even when an admin asked; an answer with no usable text, or drafting off,
    creates nothing; an author may ask, a viewer may not."""
    from tests.fakes.openai import FakeOpenAI
    from tests.test_search import ROWS, insert
    from tests.test_suggest import drafting

    fake = FakeOpenAI(content='{"texts": ["Выборы: итоги ночи", "Второй"]}')
    async with drafting(database_url, fake) as admin:
        async with db.connect(database_url) as conn:
            await insert(conn, ROWS[:1])
        material = (await admin.ok("materials.search", {"q": "выборы"}))["items"][0]
        pid = await column(admin, paused=True)
        first = await create(admin, pid, "already here")
        result = await admin.ok(
            "snippet.draft", {"platform_id": pid, "material_id": material["id"], "after_id": None}
        )
        sid = result["id"]
        await admin.wait_for(lambda s: admin.card(sid))
        drafted = card(admin, sid)
        assert drafted["body"] == "Выборы: итоги ночи" and drafted["url"] == material["url"]
        assert drafted["approval"] == "pending" and drafted["meta"]["drafted_by"] == "newsroom-mini"
        assert admin.queue(pid) == [sid, first]
        fake.content = ""
        reply = await admin.command(
            "snippet.draft", {"platform_id": pid, "material_id": material["id"]}
        )
        assert reply["error"]["code"] == "unavailable"
        assert await admin.fails("snippet.draft", {"platform_id": pid}) == "bad_request"
        assert admin.queue(pid) == [sid, first]
    async with running_app(database_url) as app:
        async with signed_in(app, "author") as author:
            reply = await author.command("snippet.draft", {"platform_id": pid, "material_id": 1})
            assert reply["error"]["code"] == "drafting_off"
        async with signed_in(app, "viewer") as viewer:
            assert await viewer.fails("snippet.draft", {"platform_id": pid}) == "forbidden"

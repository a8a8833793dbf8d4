"""A card's text edit in one statement (board/cards.py edit_text) against the same edit in a
unit of work (cards.update_): the same rows, events and state; and where the one-statement
edit declines, it changes nothing and snippet.update still does what the contract says."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from board import cards
from board.args import Args
from board.context import Actor, Event
from tests import test_commands
from tests.support import Client, Running

OP = "snippet.update"
# What two cards made alike differ in whichever path edits them: their place in the queue.
OWN = {"id", "ord", "created_at", "eta"}


# test_commands.py's app: an hour of minimum lead, so no poster takes the cards edited here.
server = test_commands.server


async def _two_cards(client: Client) -> tuple[int, int, int]:
    column = await client.ok(
        "platform.create", {"kind": "log", "name": "Log", "interval_s": 600, "settings": {}}
    )
    pid = int(column["id"])
    ids = []
    for n in range(2):  # unlike texts and links: neither is flagged a duplicate
        created = await client.ok(
            "snippet.create",
            {"platform_id": pid, "body": f"Before {n}", "url": f"https://a.example/{n}"},
        )
        ids.append(int(created["id"]))
    await client.wait_for(lambda s: all(str(i) in s["snippets"] for i in ids))
    return pid, ids[0], ids[1]


def _actor(client: Client) -> Actor:
    me = client.state["me"]
    return Actor(int(me["id"]), me["email"], me["role"])


async def _rows(server: Running, *ids: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dsn = server.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn)
    try:
        snippets = await conn.fetch("SELECT * FROM snippets WHERE id = ANY($1) ORDER BY id", ids)
        events = await conn.fetch(
            "SELECT user_id, op, args::text AS args, ok, created_at, snippet_ids FROM events"
            " WHERE op = $1 ORDER BY id",
            OP,
        )
    finally:
        await conn.close()
    return [dict(r) for r in snippets], [dict(r) for r in events]


def _alike(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in OWN}


async def test_one_statement_and_unit_of_work_make_the_same_edit(
    server: Running, admin: Client
) -> None:
    """Two cards alike, the same edit by each path: the same rows, an event each naming its
    card, and every client's state alike (the one-statement patch names fields that did not
    change too, which a merge patch allows)."""
    _, first, second = await _two_cards(admin)
    actor = _actor(admin)
    commands = server.services.commands
    now = datetime.now(UTC).replace(microsecond=123000)
    edit = {"version": 1, "body": "After, with «quotes» and 'apostrophes'", "url": None}

    raw = {"id": first, **edit}
    done = await cards.edit_text(commands.database, actor, now, Args(raw, OP))
    assert done == {"id": first, "version": 2}

    raw = {"id": second, **edit}
    async with commands.unit(actor, now, Event(OP, raw)) as ctx:
        assert await cards.update_(ctx, Args(raw, OP)) == {"id": second, "version": 2}

    await admin.wait_for(
        lambda s: all(s["snippets"][str(i)]["version"] == 2 for i in (first, second))
    )
    one, other = admin.card(first), admin.card(second)
    assert one is not None and other is not None
    assert _alike(one) == _alike(other)
    assert one["body"] == edit["body"] and one.get("url") is None
    assert one["user_email"] == actor.email

    # Again, by the same editor: neither patch names who edited (it did not change).
    start = len(admin.frames)
    again = {"version": 2, "body": "Again"}
    assert await cards.edit_text(commands.database, actor, now, Args({"id": first, **again}, OP))
    async with commands.unit(actor, now, Event(OP, {"id": second, **again})) as ctx:
        await cards.update_(ctx, Args({"id": second, **again}, OP))
    await admin.wait_for(
        lambda s: all(s["snippets"][str(i)]["version"] == 3 for i in (first, second))
    )
    patched = [
        set(f["patch"]["snippets"][str(i)])
        for f in admin.frames[start:]
        if f["type"] == "patch"
        for i in (first, second)
        if str(i) in f["patch"].get("snippets", {})
    ]
    assert patched and all(not keys & {"user_id", "user_email"} for keys in patched), patched

    (row_one, row_other), events = await _rows(server, first, second)
    assert _alike(row_one) == _alike(row_other)
    assert [e["snippet_ids"] for e in events] == [[first], [second]] * 2
    assert [{k: v for k, v in e.items() if k not in ("args", "snippet_ids")} for e in events] == [
        {"user_id": actor.id, "op": OP, "ok": True, "created_at": now}
    ] * 4


@pytest.mark.parametrize(
    "case",
    ["stale version", "deleted card", "deleted column", "interval change", "media", "no version"],
)
async def test_the_one_statement_edit_declines_and_changes_nothing(
    server: Running, admin: Client, case: str
) -> None:
    """Where the card is not as the editor saw it, or the update is more than text, the
    one-statement edit returns None and nothing changed: snippet.update then goes through
    the unit of work, which refuses or makes it (the contract's answer, checked here too)."""
    pid, card, _ = await _two_cards(admin)
    actor = _actor(admin)
    raw: dict[str, Any] = {"id": card, "version": 1, "body": "Changed"}
    expect = "ok"
    if case == "stale version":
        raw["version"] = 7
        expect = "conflict"
    elif case == "deleted card":
        deleted = await admin.ok("snippet.delete", {"id": card})
        assert deleted == {"id": card}
        expect = "conflict"
    elif case == "deleted column":
        await admin.ok("platform.delete", {"id": pid})
        expect = "not_found"
    elif case == "interval change":
        raw["expires_at"] = "2999-01-01T00:00:00Z"
    elif case == "media":
        raw["media_ids"] = []
    elif case == "no version":
        del raw["version"]
        expect = "bad_request"
    before = await _rows(server, card)
    now = datetime.now(UTC)
    assert (
        await cards.edit_text(server.services.commands.database, actor, now, Args(raw, OP)) is None
    )
    assert await _rows(server, card) == before
    reply = await admin.command(OP, raw)
    assert (reply["ok"] and "ok") or reply["error"]["code"] == expect, reply


async def test_an_author_edit_takes_the_unit_of_work(server: Running, admin: Client) -> None:
    """An author's edit sends the card back for approval: never the one-statement edit."""
    _, card, _ = await _two_cards(admin)
    author = Actor(_actor(admin).id, "author@example.org", "author")
    raw = {"id": card, "version": 1, "body": "By an author"}
    database = server.services.commands.database
    assert await cards.edit_text(database, author, datetime.now(UTC), Args(raw, OP)) is None


async def test_a_text_too_large_for_a_notification_takes_the_unit_of_work(
    server: Running, admin: Client
) -> None:
    """A patch too large for NOTIFY is stored in `changes` by the unit of work: the
    one-statement edit declines it, and snippet.update still makes it and it arrives."""
    _, card, _ = await _two_cards(admin)
    body = "Ж" * cards.MAX_BODY  # 20,000 bytes of UTF-8: over NOTIFY's 8,000
    raw = {"id": card, "version": 1, "body": body}
    database = server.services.commands.database
    assert await cards.edit_text(database, _actor(admin), datetime.now(UTC), Args(raw, OP)) is None
    assert await admin.ok(OP, raw) == {"id": card, "version": 2}
    await admin.wait_for(lambda s: s["snippets"][str(card)]["body"] == body)

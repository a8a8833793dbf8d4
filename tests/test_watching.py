"""What a watcher's look does to the board (board/watching.py), on a real PostgreSQL: external
cards recorded once, our own posts told apart even while their publish is in flight, the
settings refused as commands refuse them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from board import watching
from board.context import Actor, BoardConfig
from board.db import Database
from board.secretbox import SecretBox
from board.unit import unit_of_work
from platforms import KINDS, adapter_class, load_class
from tests.support import Client, make_user, running_app, session_cookie

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
WATCHER = Actor(id=0, email="poster", role="admin")


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    from web.database import open_database

    database = await open_database(database_url, size=4)
    try:
        yield database
    finally:
        await database.close()


CONFIG = BoardConfig(min_interval_s=1, min_lead=timedelta(0), box=SecretBox("k" * 32))


async def column(database: Database, **values: Any) -> int:
    async with database.connect() as db:
        pid: int = await db.fetchval(
            "INSERT INTO platforms (kind, name, interval_s, last_sent_at, paused)"
            " VALUES ('telegram', 'watched', 600, $1, $2) RETURNING id",
            values.get("last_sent_at"),
            values.get("paused", False),
        )
        return pid


async def card(database: Database, pid: int, status: str, **meta: Any) -> int:
    async with database.connect() as db:
        sid: int = await db.fetchval(
            "INSERT INTO snippets (platform_id, ord, body, status, meta) VALUES ($1, 1, 'ours', $2, $3)"
            " RETURNING id",
            pid,
            status,
            meta,
        )
        return sid


async def look(
    database: Database, pid: int, *found: watching.Found, cursor: str | None = "c"
) -> tuple[list[int] | None, dict[str, Any]]:
    async with unit_of_work(database, WATCHER, NOW, CONFIG) as ctx:
        ids = await watching.record(ctx, pid, list(found), cursor)
        return ids, ctx.patch.build()


def post(remote_id: str, minutes_ago: float = 5, url: str | None = None) -> watching.Found:
    return watching.Found(remote_id, NOW - timedelta(minutes=minutes_ago), f"post {remote_id}", url)


async def externals(database: Database, pid: int) -> list[Any]:
    async with database.connect() as db:
        return list(
            await db.fetch(
                "SELECT * FROM snippets WHERE platform_id = $1 AND origin = 'external' ORDER BY id",
                pid,
            )
        )


async def test_an_external_post_becomes_a_sent_card_and_moves_last_sent(
    database: Database,
) -> None:
    """The new card is sent, external, with the post's text, link and time; the column's
    last_sent_at moves to it and the queue's eta follows, all in the unit's patch."""
    pid = await column(database, last_sent_at=NOW - timedelta(hours=1))
    queued = await card(database, pid, "pending")
    ids, patch = await look(database, pid, post("77", url="https://t.me/news/77"))
    assert ids is not None and len(ids) == 1
    [row] = await externals(database, pid)
    assert (row["status"], row["body"], row["finished_at"]) == (
        "sent",
        "post 77",
        NOW - timedelta(minutes=5),
    )
    assert row["meta"] == {"remote_id": "77", "remote_url": "https://t.me/news/77"}
    state = patch["snippets"][str(ids[0])]
    assert state["origin"] == "external" and state["status"] == "sent"
    assert patch["platforms"][str(pid)]["last_sent_at"] == "2026-11-22T09:55:00.000Z"
    assert patch["snippets"][str(queued)]["eta"] == "2026-11-22T10:05:00.000Z"


async def test_recorded_once_however_often_and_by_whomever_seen(database: Database) -> None:
    """The same post seen again, or by two looks at once (two instances), is one card."""
    pid = await column(database)
    await look(database, pid, post("5"))
    assert await look(database, pid, post("5")) == ([], {})
    # Two looks racing (the unique index decides, not the first look's read).
    await asyncio.gather(*(look(database, pid, post("6"), post("5")) for _ in range(4)))
    assert [r["meta"]["remote_id"] for r in await externals(database, pid)] == ["5", "6"]


async def test_our_post_is_not_external_even_before_its_receipt(database: Database) -> None:
    """While a card of the column is `sending`, a look with anything new records nothing and
    keeps its cursor; once the receipt is stored, our post is recognised by its remote id."""
    pid = await column(database)
    taken = await card(database, pid, "sending")
    async with database.connect() as db:
        await db.execute("UPDATE platforms SET watch_cursor = 'before' WHERE id = $1", pid)
    assert await look(database, pid, post("900"), cursor="after") == (None, {})
    async with database.connect() as db:
        assert (
            await db.fetchval("SELECT watch_cursor FROM platforms WHERE id = $1", pid) == "before"
        )
        await db.execute(
            "UPDATE snippets SET status = 'sent', meta = '{\"remote_id\": \"900\"}' WHERE id = $1",
            taken,
        )
    ids, _ = await look(database, pid, post("900"), cursor="after")
    assert ids == [] and await externals(database, pid) == []


async def test_a_look_with_nothing_new_is_not_held_up_by_a_publish(database: Database) -> None:
    """Only new posts wait for a publish in flight: the cursor moves on over known ones."""
    pid = await column(database)
    await card(database, pid, "sent", remote_id="1")
    await card(database, pid, "sending")
    assert await look(database, pid, post("1"), cursor="next") == ([], {})


async def test_unsafe_links_and_characters_are_left_out(database: Database) -> None:
    """Only http(s) links reach the card's meta (the page renders them as links); a NUL in a
    post's text (which PostgreSQL's text refuses) does not stop the look."""
    pid = await column(database)
    odd = watching.Found("c", NOW, "bell\x00end")
    await look(database, pid, post("a", url="javascript:alert(1)"), post("b", url="ftp://x/y"), odd)
    rows = await externals(database, pid)
    assert [r["meta"] for r in rows] == [{"remote_id": "a"}, {"remote_id": "b"}, {"remote_id": "c"}]
    assert rows[2]["body"] == "bell\ufffdend"


async def test_a_failed_look_says_why_once(database: Database) -> None:
    """The column's watch_error is set once per reason, and cleared by the next good look."""
    pid = await column(database)
    for _ in range(2):
        async with unit_of_work(database, WATCHER, NOW, CONFIG) as ctx:
            await watching.failed(ctx, pid, "cannot list: 409 Conflict")
            patch = ctx.patch.build()
    assert patch == {}
    _, patch = await look(database, pid)
    assert patch["platforms"][str(pid)] == {"watch_error": None}


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"watch": "yes"}, "settings.watch"),
        ({"watch_s": 4}, "settings.watch_s"),
        ({"watch_s": 60.5}, "settings.watch_s"),
        ({"watch": True}, "watch"),  # a log column lists nothing
    ],
)
async def test_bad_watch_settings_are_refused(
    database_url: str, settings: dict[str, Any], field: str
) -> None:
    """watch and watch_s are checked like every column setting, with the field named."""
    async with running_app(database_url) as running:
        email = await make_user(database_url, "admin")
        cookie = await session_cookie(database_url, email)
        async with Client.connect(running, cookie=cookie) as client:
            reply = await client.command(
                "platform.create",
                {"kind": "log", "name": "x", "interval_s": 60, "settings": settings},
            )
            assert reply["error"]["code"] == "bad_request"
            assert field in reply["error"]["message"]


def test_the_docs_say_which_kinds_are_watched() -> None:
    """docs/platforms.md's table marks exactly the watchable kinds as watched, and each of their
    sections says what is watched."""
    doc = (Path(__file__).parent.parent / "docs" / "platforms.md").read_text()
    for kind in KINDS:
        row = re.search(rf"^\| \[`{kind}`\].*$", doc, re.M)
        assert row, f"no table row for {kind}"
        cells = [c.strip() for c in row.group(0).strip("|").split("|")]
        watched = adapter_class(kind).watchable
        assert cells[-1].startswith("yes") == watched, f"{kind}: watched column says {cells[-1]}"
        if watched:
            section = re.search(rf"^## [^\n]*\(`{kind}`\)\n(.*?)(?=^## |\Z)", doc, re.M | re.S)
            assert section and "### Watched" in section.group(1), f"{kind}: no Watched part"


async def test_the_instance_that_holds_the_column_watches_it(database_url: str) -> None:
    """With two instances, the column's watcher runs beside its poster on one of them; when
    that one stops, the other takes the column and its watcher."""
    from tests.watch_drivers import telegram

    await load_class("telegram")  # aiogram's first import takes seconds: not within a command's
    async with telegram() as driver, running_app(database_url) as first:
        email = await make_user(database_url, "admin")
        cookie = await session_cookie(database_url, email)
        async with Client.connect(first, cookie=cookie) as client:
            created = await client.ok(
                "platform.create",
                {
                    "kind": "telegram",
                    "name": "watched",
                    "interval_s": 600,
                    "settings": {**driver.settings, "watch_s": 5},
                    "secrets": driver.secrets,
                },
            )
            pid = int(created["id"])
        async with running_app(database_url) as second:
            registries = [first.services.registry, second.services.registry]

            def watching_here() -> list[bool]:
                return [pid in r.watchers and pid in r.leadership.held for r in registries]

            await _eventually(lambda: any(watching_here()))
            assert sorted(watching_here()) == [False, True]
            assert all(pid not in r.watchers for r in registries if pid not in r.leadership.held)
            if watching_here()[0]:
                await first.services.registry.shutdown()
                await _eventually(lambda: pid in second.services.registry.watchers)


async def _eventually(predicate: Any, within: float = 15.0) -> None:
    for _ in range(int(within / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting")

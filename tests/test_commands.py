"""Every board command over the WebSocket, on a real database: what it does and what it refuses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from tests.support import Client, Running, running_app


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[Running]:
    """The app with an hour of minimum lead: no card is due, so posters leave queues alone."""
    async with running_app(
        database_url, METRONOME_WS_RATE="100000", METRONOME_MIN_LEAD_S="3600"
    ) as running:
        yield running


async def column(client: Client, name: str = "Log", interval_s: int = 600, **extra: object) -> int:
    result = await client.ok(
        "platform.create",
        {"kind": "log", "name": name, "interval_s": interval_s, "settings": {}, **extra},
    )
    return int(result["id"])


async def cards(client: Client, platform_id: int, n: int) -> list[int]:
    """New cards at the end of the column, once every one is in the client's state."""
    ids = [
        int(
            (await client.ok("snippet.create", {"platform_id": platform_id, "body": f"card {i}"}))[
                "id"
            ]
        )
        for i in range(n)
    ]
    await client.wait_for(lambda s: all(str(i) in s["snippets"] for i in ids))
    return ids


def eta(client: Client, snippet_id: int) -> datetime | None:
    card = client.card(snippet_id)
    assert card is not None
    value = card.get("eta")
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


async def test_create_column_and_cards(admin: Client) -> None:
    """A new column and its cards appear in the state with etas one interval apart."""
    pid = await column(admin, interval_s=600)
    ids = await cards(admin, pid, 3)
    await admin.wait_for(lambda s: all(str(i) in s["snippets"] for i in ids))
    assert admin.state["platforms"][str(pid)]["kind"] == "log"
    assert admin.queue(pid) == ids
    e = [eta(admin, i) for i in ids]
    assert (
        e[0] is not None
        and (e[1] - e[0]).total_seconds() == 600
        and (e[2] - e[1]).total_seconds() == 600
    )


async def test_create_at_top_and_after(admin: Client) -> None:
    """after_id null puts a card on top; after_id N right after N; none at the end."""
    pid = await column(admin)
    a, b = await cards(admin, pid, 2)
    top = (await admin.ok("snippet.create", {"platform_id": pid, "body": "top", "after_id": None}))[
        "id"
    ]
    mid = (await admin.ok("snippet.create", {"platform_id": pid, "body": "mid", "after_id": a}))[
        "id"
    ]
    await admin.wait_for(lambda s: str(mid) in s["snippets"])
    assert admin.queue(pid) == [top, a, mid, b]


async def test_move_within_and_between_columns(admin: Client) -> None:
    """A move changes only that card's ord (and column); etas below follow."""
    p1, p2 = await column(admin, "one"), await column(admin, "two")
    a, b, c = await cards(admin, p1, 3)
    before = {k: dict(v) for k, v in admin.state["snippets"].items()}
    await admin.ok("snippet.move", {"id": c, "after_id": None})
    await admin.wait_for(lambda s: admin.queue(p1) == [c, a, b])
    assert (
        admin.card(a)["ord"] == before[str(a)]["ord"]
        and admin.card(b)["ord"] == before[str(b)]["ord"]
    )
    assert eta(admin, c) < eta(admin, a) < eta(admin, b)
    await admin.ok("snippet.move", {"id": a, "platform_id": p2})
    await admin.wait_for(lambda s: admin.queue(p2) == [a])
    assert admin.queue(p1) == [c, b]
    await admin.ok("snippet.move", {"id": b, "platform_id": p2, "before_id": a})
    await admin.wait_for(lambda s: admin.queue(p2) == [b, a])
    await admin.ok("snippet.move", {"id": c, "platform_id": p2, "ord": 100.5})
    await admin.wait_for(lambda s: admin.queue(p2) == [b, a, c])


async def test_update_with_version(admin: Client, editor: Client) -> None:
    """An update with the current version applies; a stale one is a conflict naming the editor."""
    pid = await column(admin)
    (sid,) = await cards(admin, pid, 1)
    result = await editor.ok("snippet.update", {"id": sid, "version": 1, "body": "edited"})
    assert result["version"] == 2
    await admin.wait_for(lambda s: s["snippets"][str(sid)]["body"] == "edited")
    reply = await admin.command("snippet.update", {"id": sid, "version": 1, "body": "mine"})
    assert reply["error"]["code"] == "conflict"
    assert editor.state["me"]["email"] in reply["error"]["message"]
    assert reply["error"]["details"]["body"] == "edited"
    assert admin.card(sid)["user_email"] == editor.state["me"]["email"]


async def test_delete_restore_clear(admin: Client) -> None:
    """Delete and clear remove cards from the state; restore puts them back where they were."""
    pid = await column(admin)
    ids = await cards(admin, pid, 3)
    await admin.ok("snippet.delete", {"id": ids[1]})
    await admin.wait_for(lambda s: str(ids[1]) not in s["snippets"])
    await admin.wait_for(
        lambda s: (
            eta(admin, ids[2]) is not None
            and (eta(admin, ids[2]) - eta(admin, ids[0])).total_seconds() == 600
        )
    )
    await admin.ok("snippet.restore", {"id": ids[1]})
    await admin.wait_for(lambda s: admin.queue(pid) == ids)
    cleared = (await admin.ok("platform.clear", {"id": pid}))["cleared"]
    assert sorted(cleared) == sorted(ids)
    await admin.wait_for(lambda s: admin.queue(pid) == [])
    restored = (await admin.ok("platform.restore", {"id": pid, "ids": cleared}))["restored"]
    assert sorted(restored) == sorted(ids)
    await admin.wait_for(lambda s: admin.queue(pid) == ids)


async def test_pause_resume(admin: Client) -> None:
    """A paused column's cards have no eta; resuming gives them back."""
    pid = await column(admin)
    ids = await cards(admin, pid, 2)
    await admin.ok("platform.pause", {"id": pid})
    await admin.wait_for(
        lambda s: (
            s["platforms"][str(pid)]["paused"]
            and all("eta" not in s["snippets"][str(i)] for i in ids)
        )
    )
    await admin.ok("platform.resume", {"id": pid})
    await admin.wait_for(lambda s: all("eta" in s["snippets"][str(i)] for i in ids))


async def test_interval_marker_and_retime(admin: Client) -> None:
    """An interval card changes the spacing below it; a new column interval retimes the queue."""
    pid = await column(admin, interval_s=600)
    a, b, c = await cards(admin, pid, 3)
    await admin.ok("marker.create", {"platform_id": pid, "interval_s": 3600, "after_id": a})
    await admin.wait_for(lambda s: (eta(admin, b) - eta(admin, a)).total_seconds() == 3600)
    assert (eta(admin, c) - eta(admin, b)).total_seconds() == 3600
    await admin.ok("platform.update", {"id": pid, "interval_s": 60})
    await admin.wait_for(lambda s: s["platforms"][str(pid)]["interval_s"] == 60)
    assert (eta(admin, b) - eta(admin, a)).total_seconds() == 3600


@pytest.mark.slow
async def test_ord_renumbering_5000_moves(admin: Client) -> None:
    """5,000 moves into the same gap keep the order right, renumbering when floats run out."""
    pid = await column(admin)
    first, last = await cards(admin, pid, 2)
    moving = await cards(admin, pid, 2)
    expected = [first, last]
    # Always move a card right after `first`: the gap before `last` halves every time.
    for i in range(5000):
        sid = moving[i % 2]
        await admin.ok("snippet.move", {"id": sid, "after_id": first})
        expected = [first, sid] + [x for x in expected[1:] if x != sid]
    await admin.wait_for(lambda s: admin.queue(pid) == expected, timeout=20)
    ords = [admin.card(i)["ord"] for i in expected]
    assert ords == sorted(ords) and len(set(ords)) == len(ords)


@pytest.mark.parametrize(
    ("op", "args", "code"),
    [
        ("snippet.update", {"id": 999999, "version": 1, "body": "x"}, "not_found"),
        ("snippet.move", {"id": 999999, "after_id": None}, "not_found"),
        ("platform.pause", {"id": 999999}, "not_found"),
        ("snippet.create", {"platform_id": "x", "body": "x"}, "bad_request"),
        ("snippet.create", {"body": "x"}, "bad_request"),
        ("platform.create", {"kind": "nope", "name": "n", "interval_s": 60}, "bad_request"),
        ("platform.create", {"kind": "log", "name": "n", "interval_s": 0}, "bad_request"),
        ("no.such.op", {}, "bad_request"),
    ],
)
async def test_refusals(admin: Client, op: str, args: dict[str, object], code: str) -> None:
    """Bad ids, bad arguments and unknown ops are refused with the right code."""
    assert await admin.fails(op, args) == code


async def test_roles(admin: Client, editor: Client, viewer: Client) -> None:
    """Viewers read only; editors manage cards but not columns' accounts; admins do all."""
    pid = await column(admin)
    assert await viewer.fails("snippet.create", {"platform_id": pid, "body": "x"}) == "forbidden"
    assert (
        await editor.fails("platform.create", {"kind": "log", "name": "n", "interval_s": 60})
        == "forbidden"
    )
    assert await editor.fails("platform.update", {"id": pid, "name": "renamed"}) == "forbidden"
    await editor.ok("platform.update", {"id": pid, "interval_s": 120})
    await editor.ok("snippet.create", {"platform_id": pid, "body": "x"})
    await editor.ok("platform.pause", {"id": pid})


async def test_secrets_never_in_state(admin: Client) -> None:
    """Secrets are write-only: never in the state, a patch or the command's reply."""
    pid = await column(admin, secrets={"token": "s3cr3t-value"})
    await admin.ok("platform.update", {"id": pid, "secrets": {"token": "an0ther-s3cret"}})
    raw = repr(admin.frames)
    assert "s3cr3t-value" not in raw and "an0ther-s3cret" not in raw


async def test_two_clients_see_each_other(admin: Client, editor: Client) -> None:
    """A change made by one client reaches the other as a patch."""
    pid = await column(admin)
    await editor.wait_for(lambda s: str(pid) in s["platforms"])
    sid = (await editor.ok("snippet.create", {"platform_id": pid, "body": "from editor"}))["id"]
    await admin.wait_for(lambda s: s["snippets"].get(str(sid), {}).get("body") == "from editor")


async def test_text_edit_refusals(admin: Client) -> None:
    """A text edit of a card that is not as the editor saw it is refused with the reason: a
    stale or impossible version, an impossible id, a deleted card, a deleted column."""
    pid = await column(admin)
    a, b = await cards(admin, pid, 2)
    assert await admin.fails("snippet.update", {"id": a, "version": 7, "body": "x"}) == "conflict"
    assert (
        await admin.fails("snippet.update", {"id": a, "version": 2**40, "body": "x"})
        == "bad_request"
    )
    assert (
        await admin.fails("snippet.update", {"id": 2**40, "version": 1, "body": "x"})
        == "bad_request"
    )
    await admin.ok("snippet.delete", {"id": a})
    assert await admin.fails("snippet.update", {"id": a, "version": 2, "body": "x"}) == "conflict"
    await admin.ok("platform.delete", {"id": pid})
    assert await admin.fails("snippet.update", {"id": b, "version": 1, "body": "x"}) == "not_found"


async def test_text_edit_patch(admin: Client, editor: Client) -> None:
    """A text edit reaches every client as the fields it changed: body or url, the new
    version, who edited and when; nothing else of the card."""
    pid = await column(admin)
    (sid,) = await cards(admin, pid, 1)
    await admin.wait_for(
        lambda s: str(sid) in s["snippets"] and s["snippets"][str(sid)]["eta"] is not None
    )
    before = dict(admin.card(sid))
    start = len(admin.frames)
    await editor.ok(
        "snippet.update",
        {"id": sid, "version": 1, "body": "new text", "url": "https://example.org/a"},
    )
    await admin.wait_for(lambda s: s["snippets"][str(sid)]["version"] == 2)
    patches = [f["patch"] for f in admin.frames[start:] if f["type"] == "patch"]
    changed = {k for p in patches for k in p.get("snippets", {}).get(str(sid), {})}
    assert changed == {"body", "url", "version", "updated_at", "user_id", "user_email"}
    after = admin.card(sid)
    assert after["user_email"] == editor.state["me"]["email"]
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }


async def test_text_edit_recorded_and_spliced(server: Running, admin: Client) -> None:
    """A text edit (one statement) is recorded in events like any command, its patch carries
    the editor's e-mail as the database has it, escapes and all, and a body too large for a
    NOTIFY still reaches the clients (through the `changes` table)."""
    import asyncpg

    from tests.support import login, make_user
    from web.database import asyncpg_dsn

    email = await make_user(server.database_url, "editor", email='o"brien\\desk@example.org')
    cookie = await login(server.url, email)
    pid = await column(admin)
    (sid,) = await cards(admin, pid, 1)
    async with Client.connect(server, cookie=cookie) as editor:
        await editor.ok("snippet.update", {"id": sid, "version": 1, "body": "quick fix"})
        await admin.wait_for(lambda s: s["snippets"][str(sid)]["version"] == 2)
        assert admin.card(sid)["user_email"] == email
        start = len(admin.frames)
        await editor.ok("snippet.update", {"id": sid, "version": 2, "body": "again"})
        await admin.wait_for(lambda s: s["snippets"][str(sid)]["version"] == 3)
        patched = {
            k
            for f in admin.frames[start:]
            if f["type"] == "patch"
            for k in f["patch"].get("snippets", {}).get(str(sid), {})
        }
        assert patched == {
            "body",
            "version",
            "updated_at",
        }  # the same editor: who edited is unchanged
        big = "x" * 7000
        await editor.ok("snippet.update", {"id": sid, "version": 3, "body": big})
        await admin.wait_for(lambda s: s["snippets"][str(sid)]["version"] == 4)
        assert admin.card(sid)["body"] == big
    conn = await asyncpg.connect(asyncpg_dsn(server.database_url))
    try:
        recorded = await conn.fetch(
            "SELECT e.args->>'body' AS body, e.ok, u.email FROM events e JOIN users u ON u.id = e.user_id"
            " WHERE e.op = 'snippet.update' ORDER BY e.id"
        )
    finally:
        await conn.close()
    assert [(r["body"][:9], r["ok"], r["email"]) for r in recorded] == [
        ("quick fix", True, email),
        ("again", True, email),
        ("x" * 9, True, email),
    ]

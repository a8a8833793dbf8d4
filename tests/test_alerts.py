"""Alerts end to end (CONTRACT §10): each event reaches a webhook, a Telegram chat and an
e-mail with its link; the same subject at most once per 30 minutes; one instance sends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

# Imported with the module, not in the first telegram target's command: aiogram takes seconds
# to import on a busy machine, longer than a test client waits for a reply.
import platforms.telegram  # noqa: F401
from alerts.words import EVENTS
from board import tokens
from board.context import Actor
from board.unit import unit_of_work
from tests.fakes.alerting import Hook, smtp_server
from tests.fakes.server import serve
from tests.fakes.telegram import FakeTelegram
from tests.support import Client, Running, make_user, running_app, session_cookie

PUBLIC = "https://board.example"
TOKEN = "123456789:AAHfakeTOKENfor-alerts_0123456789abc"
CHAT = {"id": -1001000000001, "type": "channel", "title": "Night desk", "username": "nightdesk"}
# Conditions are looked for this often in these tests (60 s in production).
CHECK_S = "0.3"


@contextlib.asynccontextmanager
async def app(database_url: str, **env: str | None) -> AsyncIterator[Running]:
    async with running_app(
        database_url,
        METRONOME_WS_RATE="100000",
        METRONOME_PUBLIC_URL=PUBLIC,
        METRONOME_ALERT_CHECK_S=CHECK_S,
        **env,
    ) as running:
        yield running


@contextlib.asynccontextmanager
async def signed_in(running: Running, role: str = "admin") -> AsyncIterator[Client]:
    email = await make_user(running.database_url, role)
    cookie = await session_cookie(running.database_url, email)
    async with Client.connect(running, cookie=cookie) as client:
        yield client


async def column(admin: Client, base: str, mode: str, **settings: Any) -> int:
    args = {
        "kind": "webhook",
        "name": f"Desk {mode}",
        "interval_s": 3600,
        "settings": {"url": f"{base}/column/{mode}", "utm": False, **settings},
    }
    return int((await admin.ok("platform.create", args))["id"])


async def eventually(check: Any, timeout: float = 15.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("not within the time allowed")
        await asyncio.sleep(0.05)


async def webhook_target(admin: Client, base: str, events: list[str]) -> dict[str, Any]:
    """A webhook alert target on the test's receiver (`{base}/alerts`), hearing `events`."""
    return await admin.ok(
        "alert.create",
        {
            "kind": "webhook",
            "name": "hook",
            "settings": {"url": f"{base}/alerts"},
            "events": events,
        },
    )


async def set_token_expiry(running: Running, platform_id: int, at: datetime) -> None:
    """What token health stores when a network says when the column's token ends (the
    keeper's own writer, board/tokens.py, in its own unit of work)."""
    services = running.services
    async with unit_of_work(
        services.database, Actor(0, "token-health", "admin"), datetime.now(UTC), services.config
    ) as ctx:
        await tokens.record(ctx, platform_id, expires_at=at)


async def test_each_event_reaches_webhook_telegram_and_email(database_url: str) -> None:
    """column_stopped, card_failed, card_needs_check, queue_dry, feed_failing and
    token_expiring each reach all three kinds of target, with the board's link."""
    hook = Hook()
    fake = FakeTelegram(TOKEN, [CHAT])
    with smtp_server() as (mailbox, smtp_port):
        async with (
            serve(hook.app()) as base,
            fake.running() as tg_base,
            app(database_url) as running,
            signed_in(running) as admin,
        ):
            for kind, settings, secrets in (
                ("webhook", {"url": f"{base}/alerts"}, None),
                ("telegram", {"chat_id": "@nightdesk", "api_base": tg_base}, {"bot_token": TOKEN}),
                (
                    "email",
                    {
                        "to": "desk@example.org",
                        "host": "127.0.0.1",
                        "port": smtp_port,
                        "tls": "none",
                    },
                    None,
                ),
            ):
                args: dict[str, Any] = {"kind": kind, "name": kind, "settings": settings}
                if secrets:
                    args["secrets"] = secrets
                await admin.ok("alert.create", args)

            stopped = await column(admin, base, "auth")
            failed = await column(admin, base, "reject")
            unsure = await column(admin, base, "hang", timeout_s=1)
            dry = await column(admin, base, "ok")
            expiring = await column(admin, base, "ok")
            cards = {}
            for pid in (stopped, failed, unsure):
                created = await admin.ok(
                    "snippet.create",
                    {
                        "platform_id": pid,
                        "body": f"Night story for column {pid}, with many words after",
                    },
                )
                cards[pid] = int(created["id"])  # a new column sends it at once
            feed = await admin.ok(
                "feed.create",
                {"url": f"{base}/column/broken", "interval_s": 3600, "title": "City wire"},
            )
            await set_token_expiry(running, expiring, datetime.now(UTC) + timedelta(days=3))

            expected = {
                "column_stopped": (stopped, None),
                "card_failed": (failed, cards[failed]),
                "card_needs_check": (unsure, cards[unsure]),
                "queue_dry": (dry, None),
                "feed_failing": (None, None),
                "token_expiring": (expiring, None),
            }
            assert set(expected) == set(EVENTS)

            def link(event: str) -> str:
                pid, sid = expected[event]
                if sid is not None:
                    return f"{PUBLIC}/#snippet-{sid}"
                return f"{PUBLIC}/#platform-{pid}" if pid is not None else f"{PUBLIC}/"

            def matching(event: str) -> list[dict[str, Any]]:
                pid, sid = expected[event]
                return [
                    a
                    for a in hook.of(event)
                    if a["platform_id"] == pid and a.get("snippet_id") == sid
                ]

            await eventually(lambda: all(matching(e) for e in EVENTS), timeout=20)
            for event in EVENTS:
                body = matching(event)[0]
                assert body["link"] == link(event)
                assert set(body) <= {
                    "event",
                    "platform_id",
                    "snippet_id",
                    "feed_id",
                    "text",
                    "link",
                }
                assert body["text"].endswith(".") and "\n" not in body["text"]
            # Within 10 s of the event (CONTRACT §10): the card's end, then the alert's arrival.
            async with running.services.database.connect() as db:
                ended = await db.fetchval(
                    "SELECT finished_at FROM snippets WHERE id = $1", cards[failed]
                )
            arrival = next(a for a in hook.alerts if a.body["event"] == "card_failed")
            assert arrival.at - ended.timestamp() < 10
            assert "Desk auth" in matching("column_stopped")[0]["text"]
            assert "Night story for column" in matching("card_failed")[0]["text"]
            assert "City wire" in matching("feed_failing")[0]["text"]
            assert matching("feed_failing")[0]["feed_id"] == feed["id"]

            await eventually(
                lambda: all(any(link(e) in m["text"] for m in fake.messages) for e in EVENTS)
            )
            await eventually(
                lambda: all(any(link(e) in b for b in mailbox.bodies()) for e in EVENTS)
            )
            texts = {e: matching(e)[0]["text"] for e in EVENTS}
            for event, text in texts.items():
                assert any(text in m["text"] for m in fake.messages), event
                assert any(text in b for b in mailbox.bodies()), event
            assert all(m["To"] == "desk@example.org" for m in mailbox.messages)
            # Every target got through, and says so on the admins' screens.
            await admin.wait_for(lambda s: all(t["status"] == "ok" for t in s["alerts"].values()))


async def test_a_hundred_failures_in_a_minute_make_one_alert(database_url: str) -> None:
    """A column whose network refuses a hundred cards within seconds alerts once."""
    hook = Hook()
    async with serve(hook.app()) as base, app(database_url) as running, signed_in(running) as admin:
        await webhook_target(admin, base, ["card_failed"])
        pid = await column(admin, base, "reject")
        await admin.ok("platform.pause", {"id": pid})
        ids = [
            int((await admin.ok("snippet.create", {"platform_id": pid, "body": f"card {i}"}))["id"])
            for i in range(100)
        ]
        for sid in ids:
            await admin.ok("snippet.send_now", {"id": sid})
        await until_failed(running, pid, 100)
        await eventually(lambda: hook.of("card_failed"))
        await asyncio.sleep(1.5)
        assert len(hook.of("card_failed")) == 1
        assert hook.of("card_failed")[0]["platform_id"] == pid


async def until_failed(running: Running, pid: int, n: int) -> None:
    async def failed() -> int:
        async with running.services.database.connect() as db:
            count: int = await db.fetchval(
                "SELECT count(*) FROM snippets WHERE platform_id = $1 AND status = 'failed'", pid
            )
        return count

    deadline = asyncio.get_running_loop().time() + 60
    while await failed() < n:
        assert asyncio.get_running_loop().time() < deadline, "the cards did not fail in time"
        await asyncio.sleep(0.2)


async def test_claims_are_won_once(server: Running) -> None:
    """A hundred instances claiming one alert at once: one wins; a condition is not claimed
    again while it holds; after it clears, not before 30 minutes."""
    alerter = server.services.extras["alerter"]
    results = await asyncio.gather(
        *(alerter.claim("card_failed", "platform:9", condition=False) for _ in range(100))
    )
    assert results.count(True) == 1
    assert await alerter.claim("queue_dry", "platform:9", condition=True)
    assert not await alerter.claim("queue_dry", "platform:9", condition=True)
    database = server.services.database
    async with database.connect() as db:
        await db.execute(
            "UPDATE alert_marks SET active = false, sent_at = sent_at - interval '31 minutes' WHERE event = 'queue_dry'"
        )
    assert await alerter.claim("queue_dry", "platform:9", condition=True)


async def test_two_instances_send_once(database_url: str) -> None:
    """Two instances hear the same failure and the same dry queue; each alert arrives once."""
    hook = Hook()
    async with serve(hook.app()) as base, app(database_url) as first, app(database_url) as second:
        async with signed_in(first) as admin:
            await webhook_target(admin, base, ["card_failed", "queue_dry"])
            pid = await column(admin, base, "reject")
            # A new column sends its first card at once: refused.
            await admin.ok("snippet.create", {"platform_id": pid, "body": "refused"})
            await eventually(
                lambda: (
                    hook.of("card_failed")
                    and [a for a in hook.of("queue_dry") if a["platform_id"] == pid]
                )
            )
            await asyncio.sleep(1.5)  # five checks of each instance
            assert len(hook.of("card_failed")) == 1
            assert len([a for a in hook.of("queue_dry") if a["platform_id"] == pid]) == 1
            assert second.services.extras["alerter"] is not first.services.extras["alerter"]


async def test_targets_are_admins_only_and_keep_their_secrets(database_url: str) -> None:
    """alert.* is for admins; only admins' state shows targets, never a secret; bad input is
    refused naming the field; a test alert says whether it got through."""
    hook = Hook()
    fake = FakeTelegram(TOKEN, [CHAT])
    async with (
        serve(hook.app()) as base,
        fake.running() as tg_base,
        app(database_url) as running,
        signed_in(running) as admin,
        signed_in(running, "editor") as editor,
    ):
        args = {
            "kind": "telegram",
            "name": "Night desk",
            "settings": {"chat_id": "@nightdesk", "api_base": tg_base},
            "secrets": {"bot_token": TOKEN},
            "events": ["card_failed"],
        }
        assert await editor.fails("alert.create", args) == "forbidden"
        tid = (await admin.ok("alert.create", args))["id"]
        target = await admin.wait_for(lambda s: s["alerts"][str(tid)])
        assert target["kind"] == "telegram" and target["events"] == ["card_failed"]
        assert target["status"] == "new" and TOKEN not in str(admin.state)
        result = await admin.ok("alert.test", {"id": tid})
        assert result == {"id": tid, "delivered": True, "error": None}
        assert "test alert" in fake.messages[-1]["text"]
        await admin.wait_for(
            lambda s: (
                s["alerts"][str(tid)]["status"] == "ok" and s["alerts"][str(tid)]["last_ok_at"]
            )
        )

        hook.hang_alerts = False
        dead = (
            await admin.ok(
                "alert.create",
                {"kind": "webhook", "name": "gone", "settings": {"url": f"{base}/nowhere"}},
            )
        )["id"]
        result = await admin.ok("alert.test", {"id": dead})
        assert result["delivered"] is False and "404" in result["error"]
        failing = await admin.wait_for(
            lambda s: s["alerts"][str(dead)]["status"] == "failing" and s["alerts"][str(dead)]
        )
        assert "404" in failing["last_error"]

        await admin.ok(
            "alert.update",
            {"id": tid, "name": "Night desk 2", "events": ["queue_dry", "card_failed"]},
        )
        await admin.wait_for(
            lambda s: s["alerts"][str(tid)]["events"] == ["card_failed", "queue_dry"]
        )
        assert (
            await admin.fails("alert.create", {"kind": "pager", "name": "x", "settings": {}})
            == "bad_request"
        )
        for bad in (
            {"kind": "webhook", "name": "x", "settings": {"url": "ftp://example.org"}},
            {"kind": "webhook", "name": "x", "settings": {"url": "http://10.1.2.3/hook"}},
            {
                "kind": "webhook",
                "name": "x",
                "settings": {"url": f"{base}/alerts"},
                "events": ["bedtime"],
            },
            {
                "kind": "email",
                "name": "x",
                "settings": {"to": "not an address", "host": "127.0.0.1"},
            },
            {"kind": "email", "name": "x", "settings": {"to": "a@example.org"}},
            {"kind": "telegram", "name": "x", "settings": {"chat_id": "@nightdesk"}},
        ):
            reply = await admin.command("alert.create", bad)
            assert reply["error"]["code"] == "bad_request", bad
        reply = await admin.command(
            "alert.create",
            {"kind": "webhook", "name": "x", "settings": {"url": "http://10.1.2.3/hook"}},
        )
        assert "settings.url" in reply["error"]["message"]

        assert "alerts" not in editor.state
        assert all("alerts" not in f.get("patch", {}) for f in editor.frames)
        await admin.ok("alert.delete", {"id": dead})
        await admin.wait_for(lambda s: str(dead) not in s["alerts"])
        assert await admin.fails("alert.delete", {"id": dead}) == "not_found"
        async with running.services.database.connect() as db:
            sealed = await db.fetchval("SELECT secrets FROM alert_targets WHERE id = $1", tid)
            recorded = await db.fetchval(
                "SELECT args::text FROM events WHERE op = 'alert.create' ORDER BY id LIMIT 1"
            )
        assert TOKEN.encode() not in bytes(sealed) and TOKEN not in recorded


@pytest.mark.parametrize("days,fires", [(3, True), (10, False)])
async def test_token_expiring_a_week_ahead(database_url: str, days: int, fires: bool) -> None:
    """A token expiring within seven days alerts once; one further away does not."""
    hook = Hook()
    async with serve(hook.app()) as base, app(database_url) as running, signed_in(running) as admin:
        await webhook_target(admin, base, ["token_expiring"])
        pid = await column(admin, base, "ok")
        await set_token_expiry(running, pid, datetime.now(UTC) + timedelta(days=days, hours=1))
        await asyncio.sleep(1.5)
        assert len(hook.of("token_expiring")) == (1 if fires else 0)
        if fires:
            assert f"in {days} days" in hook.of("token_expiring")[0]["text"]


async def test_a_refused_delivery_is_retried_and_shows_meanwhile(database_url: str) -> None:
    """A webhook that answers 503 once: the target shows failing with the error, then the retry
    gets the alert through and it shows working again."""
    hook = Hook(refuse_alerts=1)
    async with serve(hook.app()) as base, app(database_url) as running, signed_in(running) as admin:
        tid = (await webhook_target(admin, base, ["card_failed"]))["id"]
        pid = await column(admin, base, "reject")
        await admin.ok("snippet.create", {"platform_id": pid, "body": "refused"})
        failing = await admin.wait_for(
            lambda s: s["alerts"][str(tid)]["status"] == "failing" and s["alerts"][str(tid)]
        )
        assert failing["last_error"] == "the webhook answered HTTP 503"
        await admin.wait_for(lambda s: s["alerts"][str(tid)]["status"] == "ok", timeout=20)
        assert [a["platform_id"] for a in hook.of("card_failed")] == [pid]


async def test_delivery_failures_say_why_and_keep_secrets(database_url: str) -> None:
    """A webhook whose name leads to a loopback address is refused at sending time when
    METRONOME_FETCH_ALLOW does not list it; a revoked bot token is named without its value."""
    hook = Hook()
    fake = FakeTelegram(TOKEN, [CHAT])
    wrong = "987654321:AAHwrongTOKENfor-alerts_0123456789ab"
    async with (
        serve(hook.app()) as base,
        fake.running() as tg_base,
        app(database_url, METRONOME_FETCH_ALLOW="") as running,
        signed_in(running) as admin,
    ):
        port = base.rsplit(":", 1)[1]
        args = {
            "kind": "webhook",
            "name": "local",
            "settings": {"url": f"http://localhost:{port}/alerts"},
        }
        tid = (await admin.ok("alert.create", args))["id"]
        result = await admin.ok("alert.test", {"id": tid})
        assert result["delivered"] is False
        assert result["error"].startswith("refused: localhost (127.0.0.1) is a loopback address")
        assert not hook.alerts
        args = {
            "kind": "telegram",
            "name": "bot",
            "settings": {"chat_id": "@nightdesk", "api_base": tg_base},
            "secrets": {"bot_token": wrong},
        }
        tid = (await admin.ok("alert.create", args))["id"]
        result = await admin.ok("alert.test", {"id": tid})
        assert result["delivered"] is False and "Unauthorized" in result["error"]
        assert wrong not in result["error"] and wrong.split(":")[1] not in str(admin.state)

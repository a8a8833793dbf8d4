"""Token health through the running app (poster/tokens.py): X tokens renewed and stored sealed,
Graph token expiry shown to admins, refused credentials stopping the column."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

import platforms
import platforms.x
import platforms.youtube  # noqa: F401  (imported before the app's loop runs: it takes a while)
from board.rows import platform_row
from board.secretbox import SecretBox
from platforms.tokens import KINDS
from tests.fakes import x as fakex
from tests.fakes.graph import PAGE_ID, FakeGraph
from tests.fakes.server import serve
from tests.fakes.youtube import REFRESH_TOKEN as YT_REFRESH
from tests.fakes.youtube import FakeYouTube
from tests.support import Client, Running

GRAPH_TOKEN = "EAAB-health-page-token"


def test_token_kinds_are_the_adapters_that_keep_tokens() -> None:
    """The registry starts keepers for KINDS alone: exactly the adapters with token_health."""
    keeping = {
        kind for kind in platforms.KINDS if hasattr(platforms.adapter_class(kind), "token_health")
    }
    assert keeping == KINDS


async def stored_row(server: Running, platform_id: int) -> Any:
    async with server.services.database.connect() as db:
        return await platform_row(db, platform_id)


def box(server: Running) -> SecretBox:
    registry = server.services.registry
    result: SecretBox = registry.deps.config.box
    return result


async def eventually(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.fixture
async def x_fake() -> AsyncIterator[tuple[fakex.FakeX, str]]:
    fake = fakex.FakeX()
    async with serve(fake.app) as base:
        yield fake, base
        fake.release()


async def x_column(
    admin: Client, base: str, paused: bool = False, watch: bool = True, watch_s: int = 60
) -> int:
    result = await admin.ok(
        "platform.create",
        {
            "kind": "x",
            "name": "X",
            "interval_s": 1,
            "paused": paused,
            "settings": {
                "api_base": base,
                "username": "citynews",
                "client_id": fakex.CLIENT_ID,
                "watch": watch,
                "watch_s": watch_s,
            },
            "secrets": {
                "access_token": fakex.USER_TOKEN,
                "refresh_token": fakex.REFRESH_TOKEN,
                "client_secret": fakex.CLIENT_SECRET,
            },
        },
    )
    pid: int = result["id"]
    return pid


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r} {getattr(r, '__dict__', {})!r}"
        for r in caplog.records
    )


async def publish_resumed(admin: Client, pid: int, body: str) -> str:
    """A card on the paused column, the column resumed: the card's outcome (sent or failed)."""
    sid = (await admin.ok("snippet.create", {"platform_id": pid, "body": body}))["id"]
    await admin.ok("platform.resume", {"id": pid})
    card = await admin.wait_for(
        lambda s: (
            s["snippets"][str(sid)]["status"] in ("sent", "failed") and s["snippets"][str(sid)]
        ),
        30,
    )
    status: str = card["status"]
    return status


async def test_expired_x_token_is_renewed_stored_sealed_and_used(
    server: Running,
    admin: Client,
    x_fake: tuple[fakex.FakeX, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An X column whose access token expired: its keeper renews it with the refresh token
    (Basic auth, the confidential client), stores the new pair sealed, the next publish uses
    the new token, and neither token is in any log line."""
    caplog.set_level(logging.DEBUG)
    fake, base = x_fake
    fake.expire(fakex.USER_TOKEN)
    pid = await x_column(admin, base)

    async def renewed() -> Any:
        row = await stored_row(server, pid)
        secrets = box(server).open(row.secrets)
        return secrets if secrets["access_token"] != fakex.USER_TOKEN else None

    secrets = await eventually(renewed)
    (call,) = fake.renewals()
    assert call.form == {
        "grant_type": "refresh_token",
        "refresh_token": fakex.REFRESH_TOKEN,
        "client_id": fakex.CLIENT_ID,
    }
    assert call.headers["authorization"].startswith("Basic ")
    access, refresh = secrets["access_token"], secrets["refresh_token"]
    assert fake.access[access] > time.time() and refresh in fake.refresh
    assert fakex.REFRESH_TOKEN not in fake.refresh  # spent: the stored one is the live one
    assert secrets["client_secret"] == fakex.CLIENT_SECRET  # the rest is kept
    raw = bytes((await stored_row(server, pid)).secrets)
    for plain in (access, refresh, fakex.CLIENT_SECRET):
        assert plain.encode() not in raw
    assert "token_expires_at" not in admin.state["platforms"][str(pid)]  # X does not say

    sid = (await admin.ok("snippet.create", {"platform_id": pid, "body": "After renewal"}))["id"]
    await admin.wait_for(lambda s: s["snippets"][str(sid)]["status"] == "sent", 30)
    (tweet,) = [c for c in fake.calls if c.path == "/2/tweets"]
    assert tweet.headers["authorization"] == f"Bearer {access}"
    text = logged(caplog)
    assert "renewed" in text  # the renewal is logged, without its tokens
    for secret in (access, refresh, fakex.REFRESH_TOKEN, fakex.CLIENT_SECRET):
        assert secret not in text


async def test_a_401_while_publishing_renews_once_and_stores_the_pair(
    server: Running, admin: Client, x_fake: tuple[fakex.FakeX, str]
) -> None:
    """A token X refuses at publish time is renewed there, the card goes out with the new one,
    and the new pair is stored (the refresh token rotated: the old one is spent)."""
    fake, base = x_fake
    # Unwatched: a watcher's look refused the expired token would have the keeper renew it
    # before the publish meets it (test_watching_and_publishing_share_one_renewal has both).
    pid = await x_column(admin, base, paused=True, watch=False)

    async def first_pair() -> Any:
        secrets = box(server).open((await stored_row(server, pid)).secrets)
        return secrets if secrets["access_token"] != fakex.USER_TOKEN else None

    first = await eventually(first_pair)
    fake.expire(first["access_token"])
    assert await publish_resumed(admin, pid, "Refused, then out") == "sent"
    second = box(server).open((await stored_row(server, pid)).secrets)
    assert second["access_token"] not in (first["access_token"], fakex.USER_TOKEN)
    assert second["refresh_token"] in fake.refresh and first["refresh_token"] not in fake.refresh
    tweets = [c for c in fake.calls if c.path == "/2/tweets"]
    assert [c.headers["authorization"] for c in tweets] == [
        f"Bearer {first['access_token']}",
        f"Bearer {second['access_token']}",
    ]
    assert admin.state["platforms"][str(pid)]["status"] == "ok"


async def test_a_spent_refresh_token_stops_the_column(
    server: Running, admin: Client, x_fake: tuple[fakex.FakeX, str]
) -> None:
    """X refusing the refresh token stops the column with a message saying what to do."""
    fake, base = x_fake
    fake.refresh.clear()  # used elsewhere, or revoked
    pid = await x_column(admin, base, paused=True)
    column = await admin.wait_for(
        lambda s: (
            s["platforms"][str(pid)]["status"] == "auth_rejected" and s["platforms"][str(pid)]
        ),
        30,
    )
    assert "X refused the refresh token" in column["status_message"]
    assert "authorize the column again" in column["status_message"]


async def graph_column(admin: Client, base: str, kind: str = "facebook") -> int:
    settings = {"page_id": PAGE_ID} if kind == "facebook" else {"ig_user_id": "17841400000000001"}
    result = await admin.ok(
        "platform.create",
        {
            "kind": kind,
            "name": kind,
            "interval_s": 60,
            "paused": True,
            "settings": {**settings, "api_base": base},
            "secrets": {"access_token": GRAPH_TOKEN},
        },
    )
    pid: int = result["id"]
    return pid


@pytest.mark.parametrize("kind", ["facebook", "instagram"])
async def test_debug_token_expiry_is_shown_to_admins(
    server: Running, admin: Client, kind: str
) -> None:
    """debug_token's earlier end (the token's, or its data access's) becomes token_expires_at."""
    graph = FakeGraph()
    ends, data_ends = int(time.time()) + 5 * 86400, int(time.time()) + 50 * 86400
    graph.token_info[GRAPH_TOKEN] = {"expires_at": ends, "data_access_expires_at": data_ends}
    async with serve(graph.app) as base:
        pid = await graph_column(admin, base, kind)
        expected = datetime.fromtimestamp(ends, UTC).isoformat(timespec="milliseconds")
        expected = expected.replace("+00:00", "Z")
        await admin.wait_for(
            lambda s: s["platforms"][str(pid)].get("token_expires_at") == expected, 15
        )
        (call,) = graph.called("debug_token")
        assert call.query["input_token"] == GRAPH_TOKEN
        assert (await stored_row(server, pid)).token_expires_at == datetime.fromtimestamp(ends, UTC)
        # A new token that never expires: the admin's edit is checked at once, the field leaves.
        graph.token_info["EAAB-health-new-token"] = {"expires_at": 0, "data_access_expires_at": 0}
        await admin.ok(
            "platform.update", {"id": pid, "secrets": {"access_token": "EAAB-health-new-token"}}
        )
        await admin.wait_for(lambda s: "token_expires_at" not in s["platforms"][str(pid)], 30)


async def test_debug_token_invalid_stops_the_column(server: Running, admin: Client) -> None:
    """A token debug_token calls invalid stops the column with Meta's reason."""
    graph = FakeGraph()
    graph.token_info[GRAPH_TOKEN] = {
        "is_valid": False,
        "error": {"code": 190, "message": "The user has changed their password."},
    }
    async with serve(graph.app) as base:
        pid = await graph_column(admin, base)
        column = await admin.wait_for(
            lambda s: (
                s["platforms"][str(pid)]["status"] == "auth_rejected" and s["platforms"][str(pid)]
            ),
            30,
        )
    assert "no longer valid: The user has changed their password." in column["status_message"]


async def test_revoked_youtube_refresh_token_stops_the_column(
    server: Running, admin: Client
) -> None:
    """Google refusing the stored refresh token (invalid_grant) stops the column at once, with
    a message an admin can act on, before any video fails on it."""
    youtube = FakeYouTube()
    youtube.revoked = True
    async with serve(youtube.app) as base:
        pid = (
            await admin.ok(
                "platform.create",
                {
                    "kind": "youtube",
                    "name": "YT",
                    "interval_s": 60,
                    "settings": {"api_base": base, "token_uri": f"{base}/token", "timeout_s": 5},
                    "secrets": {
                        "refresh_token": YT_REFRESH,
                        "client_id": "123.apps.googleusercontent.com",
                        "client_secret": "GOCSPX-health-client-secret",
                    },
                },
            )
        )["id"]
        column = await admin.wait_for(
            lambda s: (
                s["platforms"][str(pid)]["status"] == "auth_rejected" and s["platforms"][str(pid)]
            ),
            30,
        )
    message = column["status_message"]
    assert "invalid_grant" in message and "Token has been expired or revoked" in message
    assert "authorize the column again" in message
    assert [c.form.get("refresh_token") for c in youtube.calls if c.path == "/token"] == [
        YT_REFRESH
    ]


async def test_x_keeper_renews_again_before_each_token_ends(
    server: Running,
    admin: Client,
    x_fake: tuple[fakex.FakeX, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The keeper renews when the last renewal said to (here: a second before the two hours
    end, shrunk), each time with the refresh token it stored last, and stores each new pair."""
    monkeypatch.setattr(platforms.x, "RENEW_AHEAD_S", fakex.ACCESS_LIFETIME - 0.3)
    monkeypatch.setattr(platforms.x, "MIN_RENEW_S", 0.3)
    fake, base = x_fake
    pid = await x_column(admin, base, paused=True)

    async def third_stored() -> Any:
        secrets = box(server).open((await stored_row(server, pid)).secrets)
        return len(fake.renewals()) >= 3 and secrets["refresh_token"] in fake.refresh and secrets

    secrets = await eventually(third_stored)
    used = [c.form["refresh_token"] for c in fake.renewals()]
    assert used[0] == fakex.REFRESH_TOKEN and len(set(used)) == len(used)  # each one spent once
    assert fake.access[secrets["access_token"]] > time.time()


def external_cards(admin: Client, pid: int) -> list[dict[str, Any]]:
    return [
        s
        for s in admin.state["snippets"].values()
        if s["platform_id"] == pid and s.get("origin") == "external"
    ]


def bearers(calls: list[fakex.Call]) -> list[str]:
    return [c.headers["authorization"].removeprefix("Bearer ") for c in calls]


async def test_watching_and_publishing_share_one_renewal(
    server: Running,
    admin: Client,
    x_fake: tuple[fakex.FakeX, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An X column watched and publishing when its access token ends: the refresh token is
    spent once (one renewal, whoever meets the refusal first), the publish and the watcher's
    next looks use the new token, and the column neither stops nor reports a watching error."""
    fake, base = x_fake
    pid = await x_column(admin, base, paused=True, watch_s=5)

    async def first_pair() -> Any:
        secrets = box(server).open((await stored_row(server, pid)).secrets)
        return secrets if secrets["access_token"] != fakex.USER_TOKEN else None

    first = await eventually(first_pair)

    async def looked() -> bool:
        return bool(fake.timelines())

    await eventually(looked)  # the watcher waited for the keeper: it looked with the new pair
    assert set(bearers(fake.timelines())) == {first["access_token"]}
    assert len(fake.renewals()) == 1
    fake.expire(first["access_token"])
    remote_id = fake.hand_post("Posted by hand as the token ended")
    assert await publish_resumed(admin, pid, "Ours, renewed") == "sent"
    [external] = await admin.wait_for(lambda s: external_cards(admin, pid), 30)
    assert external["meta"]["remote_id"] == remote_id
    second = box(server).open((await stored_row(server, pid)).secrets)
    assert len(fake.renewals()) == 2  # the keeper's first check, and this one
    assert second["refresh_token"] in fake.refresh and first["refresh_token"] not in fake.refresh
    assert bearers([c for c in fake.calls if c.path == "/2/tweets"])[-1] == second["access_token"]

    async def looked_again() -> bool:
        return second["access_token"] in bearers(fake.timelines())

    await eventually(looked_again)
    column = admin.state["platforms"][str(pid)]
    assert column["status"] == "ok" and not column.get("watch_error")
    assert "refused the refresh token" not in logged(caplog)


async def test_a_watcher_refused_its_token_has_the_keeper_renew_it(
    server: Running, admin: Client, x_fake: tuple[fakex.FakeX, str]
) -> None:
    """A watched column that publishes nothing: the token X refuses to the watcher is renewed
    by the column's keeper (the watcher renews nothing itself), and the watcher looks again at
    once with the new token and finds what was posted by hand."""
    fake, base = x_fake
    pid = await x_column(admin, base, paused=True, watch_s=5)

    async def looked() -> bool:
        return bool(fake.timelines())

    await eventually(looked)
    first = box(server).open((await stored_row(server, pid)).secrets)
    fake.expire(first["access_token"])
    before = len(fake.calls)
    remote_id = fake.hand_post("Posted by hand, found after the renewal")
    [external] = await admin.wait_for(lambda s: external_cards(admin, pid), 30)
    assert external["meta"]["remote_id"] == remote_id
    after = [c for c in fake.calls[before:] if c.path.startswith("/2/users/")]
    assert first["access_token"] in bearers(after), "the watcher met the expired token"
    assert len(fake.renewals()) == 2  # the keeper's first check, and the one the refusal asked
    second = box(server).open((await stored_row(server, pid)).secrets)
    assert second["refresh_token"] in fake.refresh
    assert bearers(fake.timelines())[-1] == second["access_token"]
    column = admin.state["platforms"][str(pid)]
    assert column["status"] == "ok" and not column.get("watch_error")

"""A column publishes with its own credentials only, and its settings are checked on save."""

from __future__ import annotations

from typing import Any

import pytest

# Adapter modules import heavy libraries (aiogram, googleapiclient): import them before the
# app's loop runs, so the first platform.create of a kind does not stall its commands.
import platforms.bluesky
import platforms.telegram
import platforms.youtube  # noqa: F401
from board.rows import platform_row
from tests.fakes.server import serve
from tests.fakes.telegram import FakeTelegram
from tests.fakes.webhook import Receiver
from tests.support import Client, Running

TOKEN_A = "111111111:AAcolumnA-token-000000000000000000aa"
TOKEN_B = "222222222:BBcolumnB-token-111111111111111111bb"
CHANNEL = {"id": -1004445556667, "type": "channel", "title": "News", "username": "newsroom"}


async def test_moved_card_goes_out_with_the_target_columns_bot(admin: Client) -> None:
    """A card moved from bot A's column to bot B's is sent by bot B only; bot A's API sees nothing."""
    bot_a, bot_b = FakeTelegram(TOKEN_A, [CHANNEL]), FakeTelegram(TOKEN_B, [CHANNEL])
    async with bot_a.running(), bot_b.running():
        ids = []
        for fake, token, paused in ((bot_a, TOKEN_A, True), (bot_b, TOKEN_B, False)):
            ids.append(
                (
                    await admin.ok(
                        "platform.create",
                        {
                            "kind": "telegram",
                            "name": f"bot {token[:3]}",
                            "interval_s": 1,
                            "paused": paused,
                            # Not watched: bot A's API must see no call at all.
                            "settings": {
                                "chat_id": "@newsroom",
                                "api_base": fake.base_url,
                                "watch": False,
                            },
                            "secrets": {"bot_token": token},
                        },
                    )
                )["id"]
            )
        a, b = ids
        sid = (await admin.ok("snippet.create", {"platform_id": a, "body": "From A's queue"}))["id"]
        await admin.ok("snippet.move", {"id": sid, "platform_id": b})
        card = await admin.wait_for(
            lambda s: s["snippets"][str(sid)]["status"] == "sent" and s["snippets"][str(sid)], 15
        )
    assert bot_a.requests == []
    (call,) = bot_b.calls("/sendMessage")
    assert call.path == f"/bot{TOKEN_B}/sendMessage" and call.fields["text"] == "From A's queue"
    assert card["meta"]["remote_url"] == "https://t.me/newsroom/100"


async def test_webhook_tokens_follow_the_column(server: Running, admin: Client) -> None:
    """Two webhook columns on one receiver: each card carries the token of the column it is sent from."""
    receiver = Receiver()
    async with serve(receiver.app()) as base:
        columns = {}
        for name in ("a", "b"):
            columns[name] = (
                await admin.ok(
                    "platform.create",
                    {
                        "kind": "webhook",
                        "name": name,
                        "interval_s": 1,
                        "paused": True,
                        "settings": {"url": base + "/hook"},
                        "secrets": {"token": f"webhook-token-of-column-{name}"},
                    },
                )
            )["id"]
        first = (await admin.ok("snippet.create", {"platform_id": columns["a"], "body": "one"}))[
            "id"
        ]
        second = (await admin.ok("snippet.create", {"platform_id": columns["b"], "body": "two"}))[
            "id"
        ]
        await admin.ok("snippet.move", {"id": first, "platform_id": columns["b"]})
        await admin.ok("snippet.move", {"id": second, "platform_id": columns["a"]})
        for pid in columns.values():
            await admin.ok("platform.resume", {"id": pid})
        await admin.wait_for(
            lambda s: all(s["snippets"][str(i)]["status"] == "sent" for i in (first, second)), 15
        )
    tokens = {r.body["snippet_id"]: r.headers["authorization"] for r in receiver.received}
    assert tokens == {
        first: "Bearer webhook-token-of-column-b",
        second: "Bearer webhook-token-of-column-a",
    }


async def adapter(server: Running, platform_id: int) -> Any:
    """What the column's poster gets: the registry's adapter for the column's current row."""
    async with server.services.database.connect() as db:
        row = await platform_row(db, platform_id)
    return (await server.services.registry.adapter_for(row))[0]


async def test_adapter_cache_is_per_column_and_account(server: Running, admin: Client) -> None:
    """Each column gets its own adapter with its own secrets; new secrets rebuild only that column's."""
    ids = [
        (
            await admin.ok(
                "platform.create",
                {
                    "kind": "webhook",
                    "name": name,
                    "interval_s": 1,
                    "paused": True,
                    "settings": {"url": "http://127.0.0.1:9/hook"},
                    "secrets": {"token": f"cache-token-{name}"},
                },
            )
        )["id"]
        for name in ("a", "b")
    ]
    a, b = [await adapter(server, i) for i in ids]
    assert a is not b and (a.column.id, b.column.id) == tuple(ids)
    assert (a.column.secrets, b.column.secrets) == (
        {"token": "cache-token-a"},
        {"token": "cache-token-b"},
    )
    assert await adapter(server, ids[0]) is a
    await admin.ok("platform.update", {"id": ids[1], "secrets": {"token": "cache-token-b2"}})
    b2 = await adapter(server, ids[1])
    assert b2 is not b and b2.column.secrets == {"token": "cache-token-b2"}
    assert await adapter(server, ids[0]) is a


# kind -> (settings, secrets) that validate, and the fields each needs.
VALID: dict[str, tuple[dict[str, Any], dict[str, str], list[str]]] = {
    "log": ({}, {}, []),
    "drafts": ({}, {}, []),
    "webhook": ({"url": "https://hooks.example/metronome"}, {}, ["url"]),
    "telegram": ({"chat_id": "@newsroom"}, {"bot_token": TOKEN_A}, ["chat_id", "bot_token"]),
    "vk": (
        {"group_id": 12345},
        {"access_token": "vk1.a.validation-token"},
        ["group_id", "access_token"],
    ),
    "facebook": (
        {"page_id": "1234567890"},
        {"access_token": "EAAB-validation-token"},
        ["page_id", "access_token"],
    ),
    "instagram": (
        {"ig_user_id": "17841400000000000"},
        {"access_token": "IGQV-validation-token"},
        ["ig_user_id", "access_token"],
    ),
    "x": ({}, {"access_token": "x-validation-token"}, ["access_token"]),
    "youtube": (
        {},
        {
            "refresh_token": "1//validation-refresh",
            "client_id": "id.apps.googleusercontent.com",
            "client_secret": "validation-client-secret",
        },
        ["refresh_token", "client_id", "client_secret"],
    ),
    "mastodon": (
        {"instance_url": "https://mastodon.example"},
        {"access_token": "mastodon-validation-token"},
        ["instance_url", "access_token"],
    ),
    "bluesky": (
        {"handle": "newsroom.bsky.social"},
        {"app_password": "abcd-efgh-ijkl-mnop"},
        ["handle", "app_password"],
    ),
}


@pytest.mark.parametrize("kind", list(VALID))
async def test_settings_checked_on_save(admin: Client, kind: str) -> None:
    """A complete column is saved; without any one required field, create and update name that field."""
    settings, secrets, required = VALID[kind]
    created = await admin.ok(
        "platform.create",
        {
            "kind": kind,
            "name": kind,
            "interval_s": 60,
            "paused": True,
            "settings": settings,
            "secrets": secrets,
        },
    )
    for name in required:
        where = "settings" if name in settings else "secrets"
        args = {
            "kind": kind,
            "name": kind,
            "interval_s": 60,
            "settings": settings,
            "secrets": secrets,
        }
        args[where] = {k: v for k, v in args[where].items() if k != name}
        reply = await admin.command("platform.create", args)
        assert not reply["ok"] and reply["error"]["code"] == "bad_request"
        assert reply["error"]["message"].startswith(f"platform.create: {name}: "), reply["error"][
            "message"
        ]
        removal = {where: args[where]} if where == "settings" else {"secrets": {name: None}}
        reply = await admin.command("platform.update", {"id": created["id"], **removal})
        assert not reply["ok"] and reply["error"]["message"].startswith(
            f"platform.update: {name}: "
        )

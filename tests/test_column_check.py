"""platform.check ("Check connection"): the network's answer or refusal, saved or unsaved
settings, and no transaction held while the network is asked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from tests.fakes.server import free_port, serve
from tests.fakes.telegram import FakeTelegram
from tests.fakes.webhook import Receiver
from tests.support import Client, login, make_user

TOKEN = "123456789:AAHfakeTOKENfor-tests_0123456789abcd"
OTHER_TOKEN = "987654321:AAHotherTOKENfor-tests_0123456789ab"
CHANNEL = {"id": -1001234567890, "type": "channel", "title": "News", "username": "newsroom"}


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN, [CHANNEL])
    async with fake.running():
        yield fake


def telegram_args(fake: FakeTelegram, token: str = TOKEN, **settings: Any) -> dict[str, Any]:
    return {
        "kind": "telegram",
        "settings": {"chat_id": "@newsroom", "api_base": fake.base_url, **settings},
        "secrets": {"bot_token": token},
    }


async def check(client: Client, args: dict[str, Any]) -> dict[str, Any]:
    """platform.check's result; the first check of a kind imports its client library in a
    thread (seconds on a busy machine), so the reply may take longer than a command's."""
    reply = await client.command("platform.check", args, timeout=30)
    assert reply["ok"], reply
    result: dict[str, Any] = reply["result"]
    return result


async def saved(admin: Client, args: dict[str, Any]) -> int:
    """A paused column made with these kind, settings and secrets; its id."""
    result = await admin.ok(
        "platform.create", {"name": "Telegram", "interval_s": 3600, "paused": True, **args}
    )
    return int(result["id"])


async def test_unsaved_telegram_settings(admin: Client, telegram: FakeTelegram) -> None:
    """Before the column exists: the bot and the channel by name; a refused token names bot_token."""
    result = await check(admin, telegram_args(telegram))
    assert result == {
        "ok": True,
        "account": "@metronome_bot",
        "target": "News (@newsroom)",
        "url": "https://t.me/newsroom",
    }
    refused = await check(admin, telegram_args(telegram, OTHER_TOKEN))
    assert refused["ok"] is False
    assert refused["error"]["type"] == "refused" and refused["error"]["field"] == "bot_token"
    assert OTHER_TOKEN not in refused["error"]["message"]
    unknown = await check(admin, telegram_args(telegram, chat_id="@elsewhere"))
    assert (unknown["error"]["type"], unknown["error"]["field"]) == ("refused", "chat_id")
    assert telegram.messages == [], "a check publishes nothing"
    assert "platforms" not in admin.state or admin.state["platforms"] == {}


async def test_malformed_settings_are_a_bad_request_naming_the_field(
    admin: Client, telegram: FakeTelegram
) -> None:
    """Settings the adapter refuses before asking anyone: bad_request, the field named first."""
    reply = await admin.command(
        "platform.check", telegram_args(telegram, chat_id="not a chat"), timeout=30
    )
    assert reply["error"]["code"] == "bad_request"
    assert reply["error"]["message"].startswith("platform.check: chat_id: ")
    assert await admin.fails("platform.check", {"kind": "myspace", "settings": {}}) == "bad_request"
    assert await admin.fails("platform.check", {"id": 424242}) == "not_found"


async def test_saved_column_with_a_new_secret(
    admin: Client, editor: Client, telegram: FakeTelegram
) -> None:
    """A saved column is checked as saved, or with the dialog's new secret merged in; editors
    may check it as saved, not with changes."""
    column = await saved(admin, telegram_args(telegram, OTHER_TOKEN))
    as_saved = await check(editor, {"id": column})
    assert as_saved["ok"] is False and as_saved["error"]["field"] == "bot_token"
    fixed = await check(admin, {"id": column, "secrets": {"bot_token": TOKEN}})
    assert fixed["ok"] is True and fixed["account"] == "@metronome_bot"
    assert (
        await editor.fails("platform.check", {"id": column, "secrets": {"bot_token": TOKEN}})
        == "forbidden"
    )
    still = await check(admin, {"id": column})
    assert still["ok"] is False, "checking a change stores nothing"


async def test_webhook_answers_unreachable_and_missing(admin: Client) -> None:
    """A webhook's check: the address answers (405 to a GET is fine); 404 names url; nothing listening is unreachable."""
    receiver = Receiver()
    async with serve(receiver.app()) as base:
        ok = await check(admin, {"kind": "webhook", "settings": {"url": f"{base}/hook"}})
        assert ok == {
            "ok": True,
            "account": f"{base.removeprefix('http://')}/hook",
            "url": f"{base}/hook",
        }
        missing = await check(admin, {"kind": "webhook", "settings": {"url": f"{base}/nothing"}})
        assert (missing["error"]["type"], missing["error"]["field"]) == ("rejected", "url")
    assert receiver.received == [], "a check posts nothing"
    down = await check(
        admin,
        {"kind": "webhook", "settings": {"url": f"http://127.0.0.1:{free_port()}/h"}},
    )
    assert down["error"]["type"] == "unreachable"


async def test_no_transaction_is_held_while_the_network_is_asked(
    server: Any, admin: Client, telegram: FakeTelegram
) -> None:
    """While a check waits on a network that does not answer, the app holds no transaction and
    the same connection's other commands are answered; the check ends as no_answer."""
    column = await saved(admin, telegram_args(telegram, timeout_s=4))
    telegram.hang_next("getMe")
    pending = await admin.send_command("platform.check", {"id": column})
    await asyncio.sleep(0.5)
    assert not pending.done()
    probe = await asyncpg.connect(server.database_url.replace("+asyncpg", ""))
    try:
        holding = await probe.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = 'metronome' AND xact_start IS NOT NULL"
        )
    finally:
        await probe.close()
    assert holding == 0
    await admin.ok("platform.pause", {"id": column})  # not queued behind the check
    assert not pending.done()
    reply = await asyncio.wait_for(pending, 10)
    telegram.release()
    assert reply["ok"] and reply["result"]["ok"] is False
    assert reply["result"]["error"]["type"] == "no_answer"


async def test_viewers_cannot_check(server: Any) -> None:
    """A viewer may not ask the network anything on the board's behalf."""
    cookie = await login(server.url, await make_user(server.database_url, "viewer"))
    async with Client.connect(server, cookie=cookie) as viewer:
        assert await viewer.fails("platform.check", {"id": 1}) == "forbidden"


async def test_log_and_drafts_have_no_account_to_ask_about(admin: Client) -> None:
    """The server log and a drafts inbox answer at once, asking no one."""
    assert await check(admin, {"kind": "log", "settings": {}}) == {
        "ok": True,
        "account": "the server log",
    }
    assert (await check(admin, {"kind": "drafts"}))["account"] == "nowhere (an inbox)"


async def test_secret_names_never_values(
    admin: Client, editor: Client, telegram: FakeTelegram
) -> None:
    """The dialog learns which secrets are set, by name; never a value; admins only."""
    column = await saved(admin, telegram_args(telegram))
    assert await admin.ok("platform.secret_names", {"id": column}) == {
        "id": column,
        "names": ["bot_token"],
    }
    assert await editor.fails("platform.secret_names", {"id": column}) == "forbidden"

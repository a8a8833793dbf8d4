"""AI drafts: snippet.suggest against a local OpenAI-protocol server; prompts, limits, timeouts, errors."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from board import prompts
from tests import db
from tests.fakes.openai import FakeOpenAI
from tests.fakes.server import serve
from tests.support import Client, login, make_user, running_app
from tests.test_search import ROWS, insert

MASTODON = {
    "kind": "mastodon",
    "name": "Mastodon",
    "interval_s": 600,
    "settings": {"instance_url": "http://127.0.0.1:9"},
    "secrets": {"access_token": "t"},
}
X = {"kind": "x", "name": "X", "interval_s": 600, "settings": {}, "secrets": {"access_token": "t"}}


@contextlib.asynccontextmanager
async def drafting(
    database_url: str, fake: FakeOpenAI, timeout_s: str = "5"
) -> AsyncIterator[Client]:
    """An app whose AI drafts go to ``fake``, and an admin connected to it."""
    async with (
        serve(fake.app()) as base,
        running_app(
            database_url,
            METRONOME_WS_RATE="1000",
            METRONOME_OPENAI_API_KEY="sk-test",
            METRONOME_OPENAI_BASE_URL=f"{base}/v1",
            METRONOME_OPENAI_MODEL="newsroom-mini",
            METRONOME_OPENAI_TIMEOUT_S=timeout_s,
        ) as app,
    ):
        cookie = await login(app.url, await make_user(database_url, "admin"))
        async with Client.connect(app, cookie=cookie) as client:
            try:
                yield client
            finally:
                fake.release.set()


async def paused(client: Client, spec: dict[str, Any]) -> int:
    """A column that never publishes during the test (its network is not reachable here)."""
    platform_id = int((await client.ok("platform.create", spec))["id"])
    await client.ok("platform.pause", {"id": platform_id})
    return platform_id


async def draft_card(client: Client) -> int:
    """A card in a drafts inbox (no timer: it stays pending)."""
    inbox = (
        await client.ok("platform.create", {"kind": "drafts", "name": "Inbox", "settings": {}})
    )["id"]
    card = await client.ok(
        "snippet.create",
        {
            "platform_id": inbox,
            "body": "Итоги выборов в регионах",
            "url": "https://news.example/a/1",
        },
    )
    return int(card["id"])


async def test_suggest_for_a_card_fits_the_network(database_url: str) -> None:
    """Three texts for an X column: the X tone and room (280 less the link) are asked for and enforced."""
    fake = FakeOpenAI(
        content='```json\n{"texts": ["Короткий текст", "%s", "Третий"]}\n```' % ("слово " * 80)
    )
    async with drafting(database_url, fake) as admin:
        card = await draft_card(admin)
        x = await paused(admin, X)
        result = await admin.ok("snippet.suggest", {"snippet_id": card, "platform_id": x})
    assert result["limit"] == 280 - 23 - 1 and result["model"] == "newsroom-mini"
    assert len(result["texts"]) == 3 and result["texts"][0] == "Короткий текст"
    assert all(len(t) <= 256 for t in result["texts"]) and result["texts"][1].endswith("…")
    (request,) = fake.requests
    system, user = request["messages"]
    assert request["model"] == "newsroom-mini" and "news tweet" in system["content"]
    assert "at most 256 characters" in system["content"] and "Итоги выборов" in user["content"]
    assert fake.headers[0]["authorization"] == "Bearer sk-test"


async def test_suggest_for_a_material_in_a_mastodon_column(database_url: str) -> None:
    """From a material: its title and lead go in, a Mastodon tone is asked for; a numbered list answer is read."""
    fake = FakeOpenAI(content="1. Первый вариант\n2. Второй вариант\n3. «Третий вариант»")
    async with drafting(database_url, fake) as admin:
        mastodon = await paused(admin, MASTODON)
        async with db.connect(database_url) as conn:
            await insert(conn, ROWS[:1])
        found = (await admin.ok("materials.search", {"q": "выборы"}))["items"][0]
        result = await admin.ok(
            "snippet.suggest", {"material_id": found["id"], "platform_id": mastodon}
        )
    assert result["texts"] == ["Первый вариант", "Второй вариант", "Третий вариант"]
    system, user = fake.requests[0]["messages"]
    assert (
        "Mastodon post" in system["content"]
        and "at most 500 characters" not in system["content"]
        and "Подсчёт голосов" in user["content"]
    )


async def test_slow_answer_times_out_with_a_clear_error(database_url: str) -> None:
    """An AI server slower than METRONOME_OPENAI_TIMEOUT_S gets an `unavailable` reply saying so."""
    fake = FakeOpenAI(mode="slow")
    async with drafting(database_url, fake, timeout_s="0.5") as admin:
        card = await draft_card(admin)
        reply = await admin.command("snippet.suggest", {"snippet_id": card})
    assert not reply["ok"] and reply["error"]["code"] == "unavailable"
    assert "did not answer within 0.5 s" in reply["error"]["message"]


async def test_server_error_is_a_clear_error(database_url: str) -> None:
    """A 500 from the AI server is an `unavailable` reply carrying its status and message."""
    fake = FakeOpenAI(mode="error")
    async with drafting(database_url, fake) as admin:
        card = await draft_card(admin)
        reply = await admin.command("snippet.suggest", {"snippet_id": card})
        assert await admin.fails("snippet.suggest", {}) == "bad_request"
        assert await admin.fails("snippet.suggest", {"material_id": 999}) == "not_found"
    assert reply["error"]["code"] == "unavailable"
    assert (
        "HTTP 500" in reply["error"]["message"]
        and "error while processing" in reply["error"]["message"]
    )
    assert len(fake.requests) == 1  # max_retries=0: one attempt, the editor decides


async def test_without_a_key_drafting_is_off(editor: Client) -> None:
    """With no METRONOME_OPENAI_API_KEY the op answers that drafting is off."""
    reply = await editor.command("snippet.suggest", {"material_id": 1})
    assert (
        reply["error"]["code"] == "drafting_off"
        and "METRONOME_OPENAI_API_KEY" in reply["error"]["message"]
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"texts": ["a", "b"]}', ["a", "b"]),
        ('Here you go: ["a", "b", "c", "d"]', ["a", "b", "c"]),
        ("- a\n- b\n- a", ["a", "b"]),
        ('{"variants": [{"text": "a"}, {"text": "b"}]}', ["a", "b"]),
        ("", []),
    ],
)
def test_reading_answers(content: str, expected: list[str]) -> None:
    """JSON as asked, JSON in prose, a bulleted list: distinct texts, at most three."""
    assert prompts.texts(content, 100) == expected


async def test_two_apps_in_one_process_keep_their_own_ai_settings(database_url: str) -> None:
    """Each app's op table is built from its own settings: two apps side by side in one process
    draft with their own model, key and server, whichever started last."""
    first, second = (
        FakeOpenAI(content="1. From the first"),
        FakeOpenAI(content="1. From the second"),
    )
    async with drafting(database_url, first) as one:
        card = await draft_card(one)
        async with (
            serve(second.app()) as base,
            running_app(
                database_url,
                METRONOME_OPENAI_API_KEY="sk-second",
                METRONOME_OPENAI_BASE_URL=f"{base}/v1",
                METRONOME_OPENAI_MODEL="second-model",
            ) as app,
        ):
            cookie = await login(app.url, await make_user(database_url, "editor"))
            async with Client.connect(app, cookie=cookie) as two:
                from_one = await one.ok("snippet.suggest", {"snippet_id": card})
                from_two = await two.ok("snippet.suggest", {"snippet_id": card})
    assert from_one["texts"] == ["From the first"] and from_one["model"] == "newsroom-mini"
    assert from_two["texts"] == ["From the second"] and from_two["model"] == "second-model"
    assert [h["authorization"] for h in first.headers] == ["Bearer sk-test"]
    assert [h["authorization"] for h in second.headers] == ["Bearer sk-second"]

"""Each adapter's ``recent_posts`` against its fake: what counts as the account's post, the
cursor, and the refusals a watcher shows (CONTRACT §9)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from platforms.base import Column, RateLimited, Rejected
from platforms.bluesky import BlueskyAdapter
from platforms.mastodon import MastodonAdapter, html_text
from platforms.telegram import TelegramAdapter
from platforms.vk import VKAdapter
from tests import watch_drivers as drivers
from tests.fakes.bluesky import FakePDS
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import serve
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVK

OTHER = {"id": -1007777777777, "type": "channel", "title": "Other", "username": "other"}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def day_ago() -> datetime:
    return datetime.now(UTC) - timedelta(days=1)


async def test_telegram_reads_its_channels_posts_and_confirms_them(
    http: httpx.AsyncClient,
) -> None:
    """Only channel_post updates of the column's channel count; the cursor is the next offset,
    and asking from it drops what was read; a webhook on the bot is a clear refusal."""
    fake = FakeTelegram(drivers.TELEGRAM_TOKEN, [drivers.CHANNEL, OTHER])
    async with fake.running() as base:
        column = Column(
            3,
            "telegram",
            "t",
            {"chat_id": "@newsroom", "api_base": base},
            {"bot_token": drivers.TELEGRAM_TOKEN},
        )
        adapter = TelegramAdapter(column, http)
        try:
            mine = fake.post_by_hand(drivers.CHANNEL, "Ours to count")
            fake.post_by_hand(OTHER, "Another channel's")
            seen = await adapter.recent_posts(day_ago(), None)
            assert [(p.remote_id, p.text) for p in seen.posts] == [
                (str(mine["message_id"]), "Ours to count")
            ]
            assert seen.posts[0].remote_url == f"https://t.me/newsroom/{mine['message_id']}"
            [call] = fake.calls("/getUpdates")
            assert json.loads(call.fields["allowed_updates"]) == ["channel_post"]
            again = await adapter.recent_posts(day_ago(), seen.cursor)
            assert again.posts == () and again.cursor == seen.cursor
            assert fake.updates == []  # confirmed by the second call's offset
            fake.webhook_url = "https://example.org/hook"
            with pytest.raises(Rejected, match="webhook is active"):
                await adapter.recent_posts(day_ago(), seen.cursor)
        finally:
            await adapter.aclose()


async def test_vk_reads_new_wall_posts_past_an_old_pinned_one(http: httpx.AsyncClient) -> None:
    """An old pinned post at the top does not hide the new ones; the cursor is the newest id."""
    fake = FakeVK()
    async with serve(fake.app) as base:
        fake.base = base
        adapter = VKAdapter(
            Column(4, "vk", "v", {"group_id": "12345", "api_base": base}, {"access_token": "t"}),
            http,
        )
        old = fake.post_by_hand(
            "Pinned long ago", int((datetime.now(UTC) - timedelta(days=30)).timestamp())
        )
        first = fake.post_by_hand("New one")
        fake.wall.insert(0, {**fake.wall.pop(1), "is_pinned": 1})
        seen = await adapter.recent_posts(day_ago(), None)
        assert [p.remote_id for p in seen.posts] == [str(first)]
        assert seen.cursor == str(first) and old < first
        second = fake.post_by_hand("Newer")
        seen = await adapter.recent_posts(day_ago(), seen.cursor)
        assert [p.text for p in seen.posts] == ["Newer"] and seen.cursor == str(second)
        fake.fail("wall.get", "rate_limit")
        with pytest.raises(RateLimited):
            await adapter.recent_posts(day_ago(), seen.cursor)


async def test_mastodon_leaves_out_boosts_and_replies_to_others(http: httpx.AsyncClient) -> None:
    """Boosts and replies to other accounts are not the column's posts; a thread of its own
    is. The status's HTML becomes plain text; since_id is the cursor."""
    fake = FakeMastodon(drivers.MASTODON_TOKEN)
    async with fake.running() as base:
        adapter = MastodonAdapter(
            Column(
                5, "mastodon", "m", {"instance_url": base}, {"access_token": drivers.MASTODON_TOKEN}
            ),
            http,
        )
        at = datetime.now(UTC) - timedelta(minutes=10)
        own = fake.post_by_hand("Line one\nLine <two> & more", at)
        fake.post_by_hand("A boost", at + timedelta(minutes=1), reblog={"id": "9"})
        fake.post_by_hand("To someone", at + timedelta(minutes=2), in_reply_to_account_id="77")
        thread = fake.post_by_hand(
            "Our thread goes on", at + timedelta(minutes=3), in_reply_to_account_id="1"
        )
        seen = await adapter.recent_posts(day_ago(), None)
        assert [p.remote_id for p in seen.posts] == [own["id"], thread["id"]]
        assert seen.posts[0].text == "Line one\nLine <two> & more"
        assert seen.cursor == thread["id"]
        assert (await adapter.recent_posts(day_ago(), seen.cursor)).posts == ()
        assert fake.calls("/statuses")[-1].query["since_id"] == thread["id"]
    assert html_text("<p>a</p><p>b<br>c</p>") == "a\n\nb\nc"


async def test_bluesky_lists_its_repo_and_leaves_out_replies_to_others(
    http: httpx.AsyncClient,
) -> None:
    """Records of the account's repo newest first; a reply to another account is left out;
    the cursor is the newest record key, and a later look passes over what it saw."""
    fake = FakePDS(drivers.BLUESKY_HANDLE, drivers.BLUESKY_PASSWORD)
    async with fake.running() as base:
        adapter = BlueskyAdapter(
            Column(
                6,
                "bluesky",
                "b",
                {"service": base, "handle": drivers.BLUESKY_HANDLE},
                {"app_password": drivers.BLUESKY_PASSWORD},
            ),
            http,
        )
        uri = fake.post_by_hand("From the app", datetime.now(UTC) - timedelta(minutes=2))
        reply = fake.post_by_hand("A reply", datetime.now(UTC) - timedelta(minutes=1))
        rkey = reply.rsplit("/", 1)[1]
        fake.records[rkey]["value"]["reply"] = {
            "root": {"uri": "at://did:plc:someoneelse/app.bsky.feed.post/3k", "cid": "x"},
            "parent": {"uri": "at://did:plc:someoneelse/app.bsky.feed.post/3k", "cid": "x"},
        }
        seen = await adapter.recent_posts(day_ago(), None)
        assert [p.remote_id for p in seen.posts] == [uri]
        assert seen.posts[0].remote_url.endswith(f"/post/{uri.rsplit('/', 1)[1]}")
        assert seen.cursor == rkey
        assert (await adapter.recent_posts(day_ago(), seen.cursor)).posts == ()

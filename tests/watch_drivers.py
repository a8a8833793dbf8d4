"""One small driver per watched network, so tests/test_watchers.py runs the same checks on each.

A driver serves its network's fake (tests/fakes/) and knows three things about it: how an
editor makes a post by hand there, how many times the watcher has listed the account, and how
to make the next listing a rate limit. A network joins the watcher tests with one entry in
``DRIVERS``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.fakes.bluesky import FakePDS
from tests.fakes.bluesky import rate_limited as bluesky_rate_limited
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon import rate_limited as mastodon_rate_limited
from tests.fakes.server import serve
from tests.fakes.telegram import FakeTelegram, api_error
from tests.fakes.vk import FakeVK


@dataclass
class Driver:
    kind: str
    settings: dict[str, Any]
    secrets: dict[str, str]
    # (text, when) -> the post's remote id, as the watcher will report it.
    post_by_hand: Callable[[str, datetime], str]
    # How many times the account's posts have been listed.
    listings: Callable[[], int]
    # Script the next listing as the network's rate-limit answer; returns the seconds it asks for.
    rate_limit: Callable[[], float]
    # How far the wait the watcher reads may be from that (a reset given as a time, to the second).
    slack: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


TELEGRAM_TOKEN = "123456789:AAHfakeTOKENfor-watch_0123456789abcd"
CHANNEL = {"id": -1001234567890, "type": "channel", "title": "News", "username": "newsroom"}


@contextlib.asynccontextmanager
async def telegram() -> AsyncIterator[Driver]:
    fake = FakeTelegram(TELEGRAM_TOKEN, [CHANNEL])
    async with fake.running() as base:

        def by_hand(text: str, at: datetime) -> str:
            return str(fake.post_by_hand(CHANNEL, text, int(at.timestamp()))["message_id"])

        def rate_limit() -> float:
            fake.fail_next(
                api_error(429, "Too Many Requests: retry after 40", retry_after=40),
                path="/getUpdates",
            )
            return 40.0

        yield Driver(
            "telegram",
            {"chat_id": "@newsroom", "api_base": base},
            {"bot_token": TELEGRAM_TOKEN},
            by_hand,
            lambda: len(fake.calls("/getUpdates")),
            rate_limit,
        )


@contextlib.asynccontextmanager
async def vk() -> AsyncIterator[Driver]:
    fake = FakeVK()
    async with serve(fake.app) as base:
        fake.base = base

        def rate_limit() -> float:
            fake.fail("wall.get", "daily")  # error 29: the method's daily limit
            return 3600.0

        yield Driver(
            "vk",
            {"group_id": "12345", "api_base": base},
            {"access_token": "vk1.watch-secret-token"},
            lambda text, at: str(fake.post_by_hand(text, int(at.timestamp()))),
            lambda: len(fake.called("wall.get")),
            rate_limit,
        )
        fake.release()


MASTODON_TOKEN = "WaTcH-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8"


@contextlib.asynccontextmanager
async def mastodon() -> AsyncIterator[Driver]:
    fake = FakeMastodon(MASTODON_TOKEN)
    async with fake.running() as base:

        def rate_limit() -> float:
            fake.fail_next(mastodon_rate_limited(40), path="/accounts/1/statuses")
            return 40.0

        yield Driver(
            "mastodon",
            {"instance_url": base},
            {"access_token": MASTODON_TOKEN},
            lambda text, at: str(fake.post_by_hand(text, at)["id"]),
            lambda: len(fake.calls("/accounts/1/statuses")),
            rate_limit,
            slack=1.5,
        )


BLUESKY_HANDLE = "newsroom.bsky.social"
BLUESKY_PASSWORD = "wtch-efgh-ijkl-mnop"


@contextlib.asynccontextmanager
async def bluesky() -> AsyncIterator[Driver]:
    fake = FakePDS(BLUESKY_HANDLE, BLUESKY_PASSWORD)
    async with fake.running() as base:

        def rate_limit() -> float:
            fake.fail_next(bluesky_rate_limited(40), path="/com.atproto.repo.listRecords")
            return 40.0

        yield Driver(
            "bluesky",
            {"service": base, "handle": BLUESKY_HANDLE},
            {"app_password": BLUESKY_PASSWORD},
            fake.post_by_hand,
            lambda: len(fake.calls("/com.atproto.repo.listRecords")),
            rate_limit,
            slack=1.5,
        )


# kind -> the driver's context. facebook, instagram, x and youtube join here (issue 16).
DRIVERS: dict[str, Callable[[], contextlib.AbstractAsyncContextManager[Driver]]] = {
    "telegram": telegram,
    "vk": vk,
    "mastodon": mastodon,
    "bluesky": bluesky,
}

"""One small driver per watched network, so the watcher tests run the same checks on each:
tests/test_watchers.py through the running app, tests/test_platform_watch.py on the adapters.

``async with DRIVERS[kind]() as driver`` serves its network's fake (tests/fakes/); the driver
knows a column on it (``settings``, ``secrets``), how an editor makes a post by hand there (at a
given time), how many times the account's posts have been listed, and how to make the next
listing a rate limit. A network joins the watcher tests with one entry in ``DRIVERS``.

The rate limits chosen are answers after which the adapter holds off by the wait it reports
alone (no hold of its own in real time, which a test's injected clock could not end).

YouTube's fake is served over TLS (google-api-python-client uploads over https whatever the
endpoint): while the driver runs, httplib2's default CA bundle is the fake's certificate, so
the adapters the app builds trust it; an adapter built by a test may pass ``ca_certs``.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httplib2

from tests.fakes import graph, x, youtube
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
    # The fake itself, for what the table does not cover.
    fake: Any = None
    # What a card of ours needs on this network besides text: "image" (by public URL), "video".
    media: str | None = None
    # The CA certificate of a fake served over TLS.
    ca_certs: str | None = None


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


GRAPH_TOKEN = "EAAB-watched-page-token"


@contextlib.asynccontextmanager
async def graph_driver(kind: str) -> AsyncIterator[Driver]:
    fake = graph.FakeGraph()
    instagram = kind == "instagram"
    edge = "media" if instagram else "posts"
    async with serve(fake.app) as base:

        def rate_limit() -> float:
            fake.fail(edge, "rate_limit_613")
            return 300.0  # no usage header: the adapter's default wait

        settings: dict[str, Any] = {"api_base": base}
        if instagram:
            settings.update(ig_user_id=graph.IG_USER_ID, poll_interval_s=0.05)
        else:
            settings["page_id"] = graph.PAGE_ID
        yield Driver(
            kind,
            settings,
            {"access_token": GRAPH_TOKEN},
            lambda text, at: fake.hand_post(text, instagram=instagram, at=at),
            lambda: len(fake.listings(edge)),
            rate_limit,
            fake=fake,
            media="image" if instagram else None,
        )
        fake.release()


@contextlib.asynccontextmanager
async def facebook() -> AsyncIterator[Driver]:
    async with graph_driver("facebook") as driver:
        yield driver


@contextlib.asynccontextmanager
async def instagram() -> AsyncIterator[Driver]:
    async with graph_driver("instagram") as driver:
        yield driver


@contextlib.asynccontextmanager
async def x_driver() -> AsyncIterator[Driver]:
    fake = x.FakeX()
    async with serve(fake.app) as base:

        def rate_limit() -> float:
            fake.fail("timeline", "rate_limit_other")
            return float(fake.reset_in)  # x-rate-limit-reset, seconds from now

        yield Driver(
            "x",
            {"api_base": base, "username": "citynews"},
            {"access_token": x.USER_TOKEN},
            fake.hand_post,
            lambda: len(fake.timelines()),
            rate_limit,
            slack=1.5,  # the reset is a whole second
            fake=fake,
        )
        fake.release()


YOUTUBE_CLIENT_SECRET = "GOCSPX-watched-client-secret"


@contextlib.asynccontextmanager
async def youtube_driver() -> AsyncIterator[Driver]:
    fake = youtube.FakeYouTube()
    with tempfile.TemporaryDirectory() as directory:
        cert, key = youtube.self_signed_cert(Path(directory))
        bundle = httplib2.CA_CERTS
        async with serve(fake.app, ssl_certfile=cert, ssl_keyfile=key) as base:
            fake.base = base  # the upload session's address
            httplib2.CA_CERTS = cert
            try:

                def rate_limit() -> float:
                    fake.fail("list", "rate_limit")
                    return 60.0  # rateLimitExceeded: the adapter waits a minute

                yield Driver(
                    "youtube",
                    {"api_base": base, "token_uri": f"{base}/token", "timeout_s": 5},
                    {
                        "refresh_token": youtube.REFRESH_TOKEN,
                        "client_id": "123.apps.googleusercontent.com",
                        "client_secret": YOUTUBE_CLIENT_SECRET,
                    },
                    fake.hand_post,
                    lambda: len(fake.listings()),
                    rate_limit,
                    fake=fake,
                    media="video",
                    ca_certs=cert,
                )
            finally:
                httplib2.CA_CERTS = bundle
                fake.release()


# kind -> the driver's context: every watched network (CONTRACT §9).
DRIVERS: dict[str, Callable[[], contextlib.AbstractAsyncContextManager[Driver]]] = {
    "telegram": telegram,
    "vk": vk,
    "mastodon": mastodon,
    "bluesky": bluesky,
    "facebook": facebook,
    "instagram": instagram,
    "x": x_driver,
    "youtube": youtube_driver,
}

"""recent_posts of Facebook, Instagram, X and YouTube against their fakes (the drivers of
tests/watch_drivers.py): what a watcher sees of an account, one look after another. (Telegram,
VK, Mastodon and Bluesky: tests/test_recent_posts.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from media.local import FileSource
from platforms import adapter_class
from platforms.base import Adapter, Column, Media, Post, RateLimited, Seen
from tests.watch_drivers import DRIVERS, Driver

KINDS = ["facebook", "instagram", "x", "youtube"]


@pytest.fixture(params=KINDS)
async def network(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Driver, Adapter]]:
    async with DRIVERS[request.param]() as driver, httpx.AsyncClient() as http:
        column = Column(
            id=9,
            kind=driver.kind,
            name=driver.kind,
            settings=driver.settings,
            secrets=driver.secrets,
        )
        cls = adapter_class(driver.kind)
        extra: dict[str, Any] = {"ca_certs": driver.ca_certs} if driver.ca_certs else {}
        adapter = cls(column, http, **extra)
        assert cls.watchable
        yield driver, adapter
        await adapter.aclose()


def day_ago() -> datetime:
    return datetime.now(UTC) - timedelta(days=1)


def our_post(kind: str, tmp_path: Path) -> Post:
    """A card each network takes: Instagram wants an image by URL, YouTube a video file."""
    media: tuple[Media, ...] = ()
    if kind == "instagram":
        media = (Media("image", "image/jpeg", "a.jpg", 10, public_url="https://cdn.example/a.jpg"),)
    if kind == "youtube":
        (tmp_path / "v.mp4").write_bytes(b"\0" * 1000)
        media = (Media("video", "video/mp4", "v.mp4", 1000, source=FileSource(tmp_path / "v.mp4")),)
    return Post(
        snippet_id=1,
        platform_id=9,
        body="Our own story",
        url="https://news.example/ours",
        text="Our own story https://news.example/ours",
        title="Our own story",
        media=media,
    )


def check_shape(seen: Seen) -> None:
    times = [p.posted_at for p in seen.posts]
    assert times == sorted(times), "oldest first"
    for post in seen.posts:
        assert post.posted_at.tzinfo is not None and post.posted_at.utcoffset() == timedelta(0)
        assert post.remote_url is None or post.remote_url.startswith(("https://", "http://"))


async def test_a_hand_made_post_is_listed_once(network: tuple[Driver, Adapter]) -> None:
    """The first look lists a post made by hand; the next look, from its cursor, does not."""
    driver, adapter = network
    first_id = driver.post_by_hand("Posted by hand at the desk", datetime.now(UTC))
    seen = await adapter.recent_posts(day_ago(), None)
    check_shape(seen)
    assert [p.remote_id for p in seen.posts] == [first_id]
    assert "Posted by hand at the desk" in seen.posts[0].text
    assert seen.cursor
    again = await adapter.recent_posts(day_ago(), seen.cursor)
    assert again.posts == () and again.cursor == seen.cursor
    second_id = driver.post_by_hand("Another one by hand", datetime.now(UTC))
    third_id = driver.post_by_hand("And a third, in the same second", datetime.now(UTC))
    later = await adapter.recent_posts(day_ago(), again.cursor)
    check_shape(later)
    assert [p.remote_id for p in later.posts] == [second_id, third_id]
    assert (await adapter.recent_posts(day_ago(), later.cursor)).posts == ()


async def test_our_own_post_carries_its_receipt_id(
    network: tuple[Driver, Adapter], tmp_path: Path
) -> None:
    """What publish answered is the id the account lists the post under: the watcher knows it."""
    driver, adapter = network
    receipt = await adapter.publish(our_post(driver.kind, tmp_path))
    hand = driver.post_by_hand("By hand, after ours", datetime.now(UTC))
    seen = await adapter.recent_posts(day_ago(), None)
    check_shape(seen)
    assert [p.remote_id for p in seen.posts] == [receipt.remote_id, hand]


async def test_since_leaves_out_older_posts(network: tuple[Driver, Adapter]) -> None:
    """A look lists nothing posted before ``since``."""
    driver, adapter = network
    driver.post_by_hand("Before the column existed", datetime.now(UTC))
    seen = await adapter.recent_posts(datetime.now(UTC) + timedelta(seconds=2), None)
    assert seen.posts == ()


async def test_a_rate_limit_raises_with_the_networks_delay(
    network: tuple[Driver, Adapter],
) -> None:
    """The network's rate-limit answer is RateLimited carrying the wait the network asked for."""
    driver, adapter = network
    driver.post_by_hand("Waiting to be seen", datetime.now(UTC))
    expected = driver.rate_limit()
    looks = driver.listings()
    with pytest.raises(RateLimited) as caught:
        await adapter.recent_posts(day_ago(), None)
    assert abs(caught.value.retry_after - expected) <= driver.slack + 1
    assert driver.listings() == looks + 1


async def test_the_youtube_driver_is_trusted_by_adapters_built_as_the_app_builds_them(
    tmp_path: Path,
) -> None:
    """The app's registry builds a YouTube adapter without a CA bundle: while the driver runs,
    such an adapter reaches the TLS fake (so an app-level watcher test can publish and watch)."""
    async with DRIVERS["youtube"]() as driver, httpx.AsyncClient() as http:
        column = Column(9, "youtube", "YT", driver.settings, driver.secrets)
        adapter = adapter_class("youtube")(column, http)
        receipt = await adapter.publish(our_post("youtube", tmp_path))
        seen = await adapter.recent_posts(day_ago(), None)
    assert [p.remote_id for p in seen.posts] == [receipt.remote_id]

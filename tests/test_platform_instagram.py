"""The Instagram adapter against a local Graph API (tests/fakes/graph.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from platforms.base import (
    AuthRejected,
    Column,
    InvalidSettings,
    Media,
    OutcomeUnknown,
    Post,
    RateLimited,
    Rejected,
    Transient,
)
from platforms.instagram import InstagramAdapter
from tests.fakes.graph import IG_USER_ID, FakeGraph
from tests.fakes.server import serve

TOKEN = "IGQV-user-token-secret"
IMAGE = Media(
    kind="image",
    content_type="image/jpeg",
    filename="a.jpg",
    size=10,
    public_url="https://cdn.example/a.jpg",
)
VIDEO = Media(
    kind="video",
    content_type="video/mp4",
    filename="v.mp4",
    size=10,
    public_url="https://cdn.example/v.mp4",
)


@pytest.fixture
async def ig() -> AsyncIterator[tuple[FakeGraph, InstagramAdapter]]:
    fake = FakeGraph()
    async with serve(fake.app) as base, httpx.AsyncClient() as client:
        settings = {
            "ig_user_id": IG_USER_ID,
            "api_base": base,
            "poll_interval_s": 0.02,
            "poll_timeout_s": 0.2,
            "timeout_s": 0.3,
        }
        yield (
            fake,
            InstagramAdapter(
                Column(
                    id=4,
                    kind="instagram",
                    name="IG",
                    settings=settings,
                    secrets={"access_token": TOKEN},
                ),
                client,
            ),
        )
        fake.release()


def post(*media: Media) -> Post:
    return Post(
        snippet_id=1,
        platform_id=4,
        body="Big news",
        url="https://n.example/a",
        text="Big news https://n.example/a",
        media=media,
    )


def edges(fake: FakeGraph) -> list[str]:
    return [f"{c.method} {c.edge}" for c in fake.calls]


async def test_image_post_container_then_publish(ig: tuple[FakeGraph, InstagramAdapter]) -> None:
    """An image: quota check, container with image_url and caption, status, media_publish, permalink."""
    fake, adapter = ig
    receipt = await adapter.publish(post(IMAGE))
    container_id, media_id = "9001", "9002"
    assert edges(fake) == [
        "GET content_publishing_limit",
        "POST media",
        f"GET {container_id}",
        "POST media_publish",
        f"GET {media_id}",
    ]
    assert fake.calls[0].query == {"fields": "config,quota_usage", "access_token": TOKEN}
    assert fake.calls[1].path == f"/v25.0/{IG_USER_ID}/media"
    assert fake.calls[1].form == {
        "caption": "Big news https://n.example/a",
        "image_url": IMAGE.public_url,
        "access_token": TOKEN,
    }
    assert fake.calls[3].form == {"creation_id": container_id, "access_token": TOKEN}
    assert fake.calls[4].query["fields"] == "permalink"
    assert receipt.remote_id == media_id
    assert receipt.remote_url == f"https://www.instagram.com/p/C{media_id}/"


async def test_video_post_is_a_reel_polled_until_finished(
    ig: tuple[FakeGraph, InstagramAdapter],
) -> None:
    """A video container (REELS, video_url) is polled until FINISHED before it is published."""
    fake, adapter = ig
    fake.container_states = ["IN_PROGRESS", "IN_PROGRESS", "FINISHED"]
    await adapter.publish(post(VIDEO))
    assert fake.called("media")[0].form["media_type"] == "REELS"
    assert fake.called("media")[0].form["video_url"] == VIDEO.public_url
    assert len(fake.called("9001")) == 3 and len(fake.called("media_publish")) == 1


async def test_card_without_media_is_rejected(ig: tuple[FakeGraph, InstagramAdapter]) -> None:
    """Instagram has no text-only posts: such a card fails clearly, nothing is sent."""
    fake, adapter = ig
    with pytest.raises(Rejected, match="need an image or a video"):
        await adapter.publish(post())
    assert fake.calls == []


async def test_media_without_public_url_is_rejected(ig: tuple[FakeGraph, InstagramAdapter]) -> None:
    """Instagram fetches by URL: media only on local disk cannot go."""
    fake, adapter = ig
    local = Media(kind="image", content_type="image/jpeg", filename="a.jpg", size=1)
    with pytest.raises(Rejected, match="no public URL"):
        await adapter.publish(post(local))
    assert fake.calls == []


async def test_used_quota_waits_before_any_container(
    ig: tuple[FakeGraph, InstagramAdapter],
) -> None:
    """A used-up content_publishing_limit raises RateLimited before a container is made."""
    fake, adapter = ig
    fake.quota_usage, fake.quota_total = 25, 25
    with pytest.raises(RateLimited) as caught:
        await adapter.publish(post(IMAGE))
    assert caught.value.retry_after == 86400 / 25 and edges(fake) == [
        "GET content_publishing_limit"
    ]


async def test_container_error_is_rejected(ig: tuple[FakeGraph, InstagramAdapter]) -> None:
    """A container Instagram could not process fails the card and is never published."""
    fake, adapter = ig
    fake.container_states = ["IN_PROGRESS", "ERROR"]
    with pytest.raises(Rejected, match="2207026"):
        await adapter.publish(post(VIDEO))
    assert not fake.called("media_publish")


async def test_container_never_ready_is_transient(ig: tuple[FakeGraph, InstagramAdapter]) -> None:
    """Polling is bounded; an unfinished container was not published, so it is safe to retry."""
    fake, adapter = ig
    fake.container_states = ["IN_PROGRESS"] * 100
    with pytest.raises(Transient, match="still processing"):
        await adapter.publish(post(VIDEO))
    assert not fake.called("media_publish")


@pytest.mark.parametrize(
    ("edge", "kind", "error"),
    [
        ("media_publish", "publish_limit", RateLimited),
        ("media", "auth", AuthRejected),
        ("media", "rejected", Rejected),
        ("media_publish", "hang", OutcomeUnknown),
        ("media", "hang", Transient),
        ("content_publishing_limit", "transient", Transient),
    ],
)
async def test_errors_map_to_typed_errors(
    ig: tuple[FakeGraph, InstagramAdapter], edge: str, kind: str, error: type[Exception]
) -> None:
    """Only media_publish without an answer is unknown; failures before it are safe to retry."""
    fake, adapter = ig
    fake.fail(edge, kind)
    with pytest.raises(error) as caught:
        await adapter.publish(post(IMAGE))
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("settings", "field", "words"),
    [
        ({}, "ig_user_id", "numeric Instagram professional account id"),
        ({"ig_user_id": "1", "poll_interval_s": "soon"}, "poll_interval_s", "above 0"),
        ({"ig_user_id": "1", "poll_timeout_s": 0}, "poll_timeout_s", "above 0"),
    ],
)
def test_validate_names_the_bad_field(settings: dict[str, Any], field: str, words: str) -> None:
    """validate() names the first unusable field and says what it expected."""
    with pytest.raises(InvalidSettings) as caught:
        InstagramAdapter.validate(settings, {"access_token": "t"})
    assert caught.value.field == field and words in str(caught.value)


def test_validate_requires_a_token() -> None:
    """A column without its token is refused up front."""
    with pytest.raises(InvalidSettings, match="access_token: required"):
        InstagramAdapter.validate({"ig_user_id": "1"}, {})


async def test_check_names_the_instagram_account(ig: tuple[FakeGraph, InstagramAdapter]) -> None:
    """Check connection: Graph /me, then the account's username; an unknown account names ig_user_id."""
    fake, adapter = ig
    identity = await adapter.check()
    assert (identity.account, identity.url) == ("@citynews", "https://www.instagram.com/citynews/")
    assert [c.path.rsplit("/", 1)[1] for c in fake.calls] == ["me", IG_USER_ID]
    del fake.nodes[IG_USER_ID]
    with pytest.raises(Rejected) as unknown:
        await adapter.check()
    assert unknown.value.field == "ig_user_id"

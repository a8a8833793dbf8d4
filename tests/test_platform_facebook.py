"""The Facebook Page adapter against a local Graph API (tests/fakes/graph.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from media.local import FileSource
from platforms.base import (
    AuthRejected,
    Column,
    InvalidSettings,
    Media,
    OutcomeUnknown,
    PlatformError,
    Post,
    RateLimited,
    Rejected,
    Transient,
)
from platforms.facebook import FacebookAdapter
from tests.fakes.graph import PAGE_ID, FakeGraph
from tests.fakes.server import free_port, serve

TOKEN = "EAAB-page-token-secret"
LINK = "https://news.example/a?utm_source=facebook"


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeGraph, str]]:
    fake = FakeGraph()
    async with serve(fake.app) as base:
        yield fake, base
        fake.release()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def adapter(base: str, client: httpx.AsyncClient, **settings: Any) -> FacebookAdapter:
    column = Column(
        id=3,
        kind="facebook",
        name="FB",
        settings={"page_id": PAGE_ID, "api_base": base, **settings},
        secrets={"access_token": TOKEN},
    )
    return FacebookAdapter(column, client)


def post(*media: Media, url: str | None = LINK) -> Post:
    return Post(
        snippet_id=1,
        platform_id=3,
        body="Big news",
        url=url,
        text=f"Big news {url}" if url else "Big news",
        title="Title",
        media=media,
    )


def media(tmp_path: Path, kind: str, public_url: str | None = None) -> Media:
    name, ctype = ("a.jpg", "image/jpeg") if kind == "image" else ("v.mp4", "video/mp4")
    (tmp_path / name).write_bytes(b"bytes-of-" + kind.encode())
    return Media(
        kind=kind,
        content_type=ctype,
        filename=name,
        size=len(b"bytes-of-" + kind.encode()),
        source=FileSource(tmp_path / name),
        public_url=public_url,
    )


async def test_link_post_goes_to_feed(
    fake: tuple[FakeGraph, str], client: httpx.AsyncClient
) -> None:
    """A text+link card is POST /{version}/{page}/feed with message and link, then its permalink."""
    graph, base = fake
    receipt = await adapter(base, client).publish(post())
    feed, read = graph.calls
    assert (feed.method, feed.path) == ("POST", f"/v25.0/{PAGE_ID}/feed")
    assert feed.form == {"message": "Big news", "link": LINK, "access_token": TOKEN}
    assert (read.method, read.query["fields"]) == ("GET", "permalink_url")
    assert receipt.remote_id == f"{PAGE_ID}_9001"
    assert receipt.remote_url == f"https://www.facebook.com/{PAGE_ID}_9001"


async def test_text_only_post_and_graph_version(
    fake: tuple[FakeGraph, str], client: httpx.AsyncClient
) -> None:
    """Without a link only the message goes; the Graph version comes from the column."""
    graph, base = fake
    await adapter(base, client, graph_version="v26.0").publish(post(url=None))
    assert graph.calls[0].path == f"/v26.0/{PAGE_ID}/feed"
    assert graph.calls[0].form == {"message": "Big news", "access_token": TOKEN}


async def test_photo_by_url(
    fake: tuple[FakeGraph, str], client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """A photo with a public URL is fetched by Facebook; the receipt is the photo's post."""
    graph, base = fake
    image = media(tmp_path, "image", public_url="https://cdn.example/a.jpg")
    receipt = await adapter(base, client).publish(post(image))
    photos = graph.called("photos")[0]
    assert photos.form == {
        "caption": f"Big news {LINK}",
        "published": "true",
        "url": "https://cdn.example/a.jpg",
        "access_token": TOKEN,
    }
    assert photos.files == {}
    assert receipt.remote_id == f"{PAGE_ID}_9001"


async def test_photo_upload(
    fake: tuple[FakeGraph, str], client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """A photo without a public URL is uploaded as the multipart ``source``."""
    graph, base = fake
    await adapter(base, client).publish(post(media(tmp_path, "image")))
    assert graph.called("photos")[0].files == {"source": ("a.jpg", "image/jpeg", b"bytes-of-image")}


async def test_video_upload_goes_to_video_host(
    fake: tuple[FakeGraph, str], client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """Videos go to video_api_base; an unreachable permalink read still returns the post."""
    graph, base = fake
    fb = adapter(f"http://127.0.0.1:{free_port()}", client, video_api_base=base)
    receipt = await fb.publish(post(media(tmp_path, "video")))
    [videos] = graph.calls
    assert videos.path == f"/v25.0/{PAGE_ID}/videos"
    assert videos.form == {
        "description": f"Big news {LINK}",
        "title": "Title",
        "access_token": TOKEN,
    }
    assert videos.files == {"source": ("v.mp4", "video/mp4", b"bytes-of-video")}
    assert receipt.remote_url == f"https://www.facebook.com/{receipt.remote_id}"


async def test_video_relative_permalink(
    fake: tuple[FakeGraph, str], client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """A video's site-relative permalink_url becomes an absolute facebook.com URL."""
    graph, base = fake
    receipt = await adapter(base, client).publish(post(media(tmp_path, "video")))
    assert receipt.remote_url == f"https://www.facebook.com/{PAGE_ID}/videos/{receipt.remote_id}/"


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("rate_limit", RateLimited),
        ("auth", AuthRejected),
        ("permission", AuthRejected),
        ("rejected", Rejected),
        ("duplicate", OutcomeUnknown),
        ("transient", Transient),
    ],
)
async def test_graph_errors_map_to_typed_errors(
    fake: tuple[FakeGraph, str], client: httpx.AsyncClient, kind: str, error: type[PlatformError]
) -> None:
    """Graph error codes become typed errors whose message names the code and never the token."""
    graph, base = fake
    graph.fail("feed", kind)
    with pytest.raises(error) as caught:
        await adapter(base, client).publish(post())
    assert "Graph error" in caught.value.message and TOKEN not in caught.value.message
    if kind == "rate_limit":
        assert caught.value.retry_after == 7 * 60  # type: ignore[attr-defined]


async def test_usage_header_holds_off_the_next_call(
    fake: tuple[FakeGraph, str], client: httpx.AsyncClient
) -> None:
    """A success whose usage header says 100 % makes the next publish wait without calling Meta."""
    graph, base = fake
    graph.usage_headers = {
        "x-app-usage": json.dumps({"call_count": 100, "total_time": 5, "total_cputime": 5})
    }
    fb = adapter(base, client)
    await fb.publish(post())
    sent = len(graph.calls)
    with pytest.raises(RateLimited) as caught:
        await fb.publish(post())
    assert len(graph.calls) == sent and 299 < caught.value.retry_after <= 300


async def test_timeout_is_outcome_unknown(
    fake: tuple[FakeGraph, str], client: httpx.AsyncClient
) -> None:
    """A feed post that never gets an answer may be out: OutcomeUnknown, no token in the message."""
    graph, base = fake
    graph.fail("feed", "hang")
    with pytest.raises(OutcomeUnknown) as caught:
        await adapter(base, client, timeout_s=0.3).publish(post())
    assert TOKEN not in caught.value.message


@pytest.mark.parametrize(
    ("settings", "secrets", "field", "words"),
    [
        ({}, {"access_token": "t"}, "page_id", "numeric Facebook Page id"),
        (
            {"page_id": "1", "api_base": "graph.facebook.com"},
            {"access_token": "t"},
            "api_base",
            "http(s) URL",
        ),
        (
            {"page_id": "1", "video_api_base": "ftp://x"},
            {"access_token": "t"},
            "video_api_base",
            "http(s) URL",
        ),
        ({"page_id": "1", "graph_version": "25"}, {"access_token": "t"}, "graph_version", "v25.0"),
        ({"page_id": "1", "timeout_s": -1}, {"access_token": "t"}, "timeout_s", "above 0"),
        ({"page_id": "1"}, {}, "access_token", "required"),
    ],
)
def test_validate_names_the_bad_field(
    settings: dict[str, Any], secrets: dict[str, str], field: str, words: str
) -> None:
    """validate() names the first unusable field and says what it expected."""
    with pytest.raises(InvalidSettings) as caught:
        FacebookAdapter.validate(settings, secrets)
    assert caught.value.field == field and words in str(caught.value)


async def test_check_asks_whose_token_it_is(
    fake: tuple[FakeGraph, str], client: httpx.AsyncClient
) -> None:
    """Check connection is Graph /me: the Page's token passes; someone else's warns; a bad one names access_token."""
    graph, base = fake
    identity = await adapter(base, client).check()
    assert (identity.account, identity.url, identity.warning) == (
        "City News",
        f"https://www.facebook.com/{PAGE_ID}",
        None,
    )
    assert [(c.method, c.path, c.query["fields"]) for c in graph.calls] == [
        ("GET", "/v25.0/me", "id,name")
    ]
    graph.nodes["me"] = {"id": "555", "name": "Ann Editor"}
    assert "not the Page" in ((await adapter(base, client).check()).warning or "")
    bad = FacebookAdapter(
        Column(
            id=3,
            kind="facebook",
            name="FB",
            settings={"page_id": PAGE_ID, "api_base": base},
            secrets={"access_token": "bad-token"},
        ),
        client,
    )
    with pytest.raises(AuthRejected) as refused:
        await bad.check()
    assert refused.value.field == "access_token"

"""The X adapter against a local server speaking X API v2 (tests/fakes/x.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from media.local import FileSource
from platforms import x as xmod
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
from platforms.x import XAdapter, weighted_length
from tests.fakes.server import serve
from tests.fakes.x import USER_TOKEN, FakeX

TEXT = "Big news https://news.example/a?utm_source=x"


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeX, str]]:
    fake = FakeX()
    async with serve(fake.app) as base:
        yield fake, base
        fake.release()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def adapter(
    base: str, client: httpx.AsyncClient, token: str = USER_TOKEN, **settings: Any
) -> XAdapter:
    column = Column(
        id=5,
        kind="x",
        name="X",
        settings={"api_base": base, "username": "newsroom", **settings},
        secrets={"access_token": token},
    )
    return XAdapter(column, client)


def post(*media: Media, text: str = TEXT) -> Post:
    return Post(
        snippet_id=1,
        platform_id=5,
        body="Big news",
        url="https://news.example/a",
        text=text,
        media=media,
    )


def media(tmp_path: Path, kind: str, size: int = 10) -> Media:
    name, ctype = ("a.png", "image/png") if kind == "image" else ("v.mp4", "video/mp4")
    (tmp_path / name).write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    return Media(
        kind=kind, content_type=ctype, filename=name, size=size, source=FileSource(tmp_path / name)
    )


async def test_text_post(fake: tuple[FakeX, str], client: httpx.AsyncClient) -> None:
    """A text card is one JSON POST /2/tweets with the user's bearer token; the URL names the account."""
    server, base = fake
    receipt = await adapter(base, client).publish(post())
    [call] = server.calls
    assert (call.method, call.path, call.json) == ("POST", "/2/tweets", {"text": TEXT})
    assert call.headers["authorization"] == f"Bearer {USER_TOKEN}"
    assert receipt.remote_url == f"https://x.com/newsroom/status/{receipt.remote_id}"


async def test_url_without_username(fake: tuple[FakeX, str], client: httpx.AsyncClient) -> None:
    """Without a username setting the permalink uses /i/web/status/."""
    _, base = fake
    receipt = await adapter(base, client, username="").publish(post())
    assert receipt.remote_url == f"https://x.com/i/web/status/{receipt.remote_id}"


async def test_image_chunked_upload_then_post(
    fake: tuple[FakeX, str], client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """An image goes INIT/APPEND/FINALIZE, then its media id rides on the post."""
    server, base = fake
    await adapter(base, client).publish(post(media(tmp_path, "image")))
    init, append, final, tweet = server.calls
    assert init.form == {
        "command": "INIT",
        "media_type": "image/png",
        "total_bytes": "10",
        "media_category": "tweet_image",
    }
    assert init.headers["content-type"].startswith("multipart/form-data")
    media_id = final.form["media_id"]
    assert append.form == {"command": "APPEND", "media_id": media_id, "segment_index": "0"}
    assert append.files["media"][2] == (tmp_path / "a.png").read_bytes()
    assert final.form == {"command": "FINALIZE", "media_id": media_id}
    assert tweet.json == {"text": TEXT, "media": {"media_ids": [media_id]}}


async def test_video_in_chunks_waits_for_processing(
    fake: tuple[FakeX, str],
    client: httpx.AsyncClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A video is appended in chunks and posted only after STATUS says succeeded."""
    server, base = fake
    monkeypatch.setattr(xmod, "CHUNK_BYTES", 1000)
    await adapter(base, client).publish(post(media(tmp_path, "video", size=2500)))
    commands = [c.command or c.path for c in server.calls]
    assert commands == [
        "INIT",
        "APPEND",
        "APPEND",
        "APPEND",
        "FINALIZE",
        "STATUS",
        "STATUS",
        "/2/tweets",
    ]
    assert [c.form["segment_index"] for c in server.calls if c.command == "APPEND"] == [
        "0",
        "1",
        "2",
    ]
    assert server.calls[0].form["media_category"] == "tweet_video"
    assert (
        server.calls[5].method == "GET"
        and server.calls[5].query["media_id"] == server.calls[4].form["media_id"]
    )


async def test_failed_processing_is_rejected(
    fake: tuple[FakeX, str], client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """A video X cannot process fails the card before any post is made."""
    server, base = fake
    server.processing = ["in_progress", "failed"]
    with pytest.raises(Rejected, match="Unsupported video format"):
        await adapter(base, client).publish(post(media(tmp_path, "video")))
    assert all(c.path != "/2/tweets" for c in server.calls)


async def test_rate_limit_uses_reset_header(
    fake: tuple[FakeX, str], client: httpx.AsyncClient
) -> None:
    """A 429 waits until x-rate-limit-reset, and later publishes wait too without calling X."""
    server, base = fake
    server.fail("tweets", "rate_limit")
    x = adapter(base, client)
    with pytest.raises(RateLimited) as caught:
        await x.publish(post())
    assert 890 <= caught.value.retry_after <= 900
    with pytest.raises(RateLimited):
        await x.publish(post())
    assert len(server.calls) == 1


async def test_exhausted_window_on_success_holds_the_next_post(
    fake: tuple[FakeX, str], client: httpx.AsyncClient
) -> None:
    """x-rate-limit-remaining: 0 on a success makes the next publish wait for the reset, unsent."""
    server, base = fake
    server.remaining, server.reset_in = 0, 30
    x = adapter(base, client)
    await x.publish(post())
    with pytest.raises(RateLimited) as caught:
        await x.publish(post())
    assert 25 <= caught.value.retry_after <= 30 and len(server.calls) == 1


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("auth", AuthRejected),
        ("duplicate", OutcomeUnknown),
        ("forbidden", Rejected),
        ("client_forbidden", AuthRejected),
        ("invalid", Rejected),
        ("server_error", Transient),
    ],
)
async def test_errors_map_to_typed_errors(
    fake: tuple[FakeX, str], client: httpx.AsyncClient, kind: str, error: type[PlatformError]
) -> None:
    """X's problem answers become typed errors; a duplicate is never retried blindly."""
    server, base = fake
    server.fail("tweets", kind)
    with pytest.raises(error) as caught:
        await adapter(base, client).publish(post())
    assert caught.value.message.startswith("X ") and USER_TOKEN not in caught.value.message


async def test_wrong_token_is_auth_rejected(
    fake: tuple[FakeX, str], client: httpx.AsyncClient
) -> None:
    """A token X does not know stops the column, and its value is not in the message."""
    _, base = fake
    with pytest.raises(AuthRejected) as caught:
        await adapter(base, client, token="expired-secret-token").publish(post())
    assert "expired-secret-token" not in caught.value.message


async def test_timeout_on_post_is_outcome_unknown(
    fake: tuple[FakeX, str], client: httpx.AsyncClient
) -> None:
    """A post that never gets an answer may be out."""
    server, base = fake
    server.fail("tweets", "hang")
    with pytest.raises(OutcomeUnknown):
        await adapter(base, client, timeout_s=0.3).publish(post())


async def test_timeout_on_media_is_transient(
    fake: tuple[FakeX, str], client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """A media upload without an answer posted nothing: safe to retry."""
    server, base = fake
    server.fail("media", "hang")
    with pytest.raises(Transient):
        await adapter(base, client, timeout_s=0.3).publish(post(media(tmp_path, "image")))


async def test_too_long_text_is_rejected_before_sending(
    fake: tuple[FakeX, str], client: httpx.AsyncClient
) -> None:
    """Over 280 weighted characters the card fails without calling X."""
    server, base = fake
    with pytest.raises(Rejected, match="281 characters"):
        await adapter(base, client).publish(
            post(text="a" * 257 + " https://example.org/" + "x" * 100)
        )
    assert server.calls == []


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        ("see https://example.org/a/very/long/path?x=1", 4 + 23),
        ("日本語", 6),
        ("café", 4),
    ],
)
def test_weighted_length(text: str, length: int) -> None:
    """Links count 23 and CJK characters 2, as X counts them."""
    assert weighted_length(text) == length


@pytest.mark.parametrize(
    ("settings", "secrets", "field", "words"),
    [
        ({"api_base": "api.x.com"}, {"access_token": "t"}, "api_base", "http(s) URL"),
        ({"username": "not a handle"}, {"access_token": "t"}, "username", "handle"),
        ({"media_timeout_s": 0}, {"access_token": "t"}, "media_timeout_s", "above 0"),
        ({}, {}, "access_token", "OAuth 2.0 user access token"),
    ],
)
def test_validate_names_the_bad_field(
    settings: dict[str, Any], secrets: dict[str, str], field: str, words: str
) -> None:
    """validate() names the first unusable field and says what it expected."""
    with pytest.raises(InvalidSettings) as caught:
        XAdapter.validate(settings, secrets)
    assert caught.value.field == field and words in str(caught.value)


def test_validate_accepts_a_handle_with_at() -> None:
    """@newsroom and newsroom are both fine."""
    XAdapter.validate({"username": "@newsroom"}, {"access_token": "t"})
    XAdapter.validate({"username": "newsroom"}, {"access_token": "t"})


async def test_check_names_the_account(fake: tuple[FakeX, str], client: httpx.AsyncClient) -> None:
    """Check connection is GET /2/users/me; a username setting that is not the token's warns; a bad token names access_token."""
    x, base = fake
    identity = await adapter(base, client, username="citynews").check()
    assert (identity.account, identity.url, identity.warning) == (
        "City News (@citynews)",
        "https://x.com/citynews",
        None,
    )
    assert [(c.method, c.path) for c in x.calls] == [("GET", "/2/users/me")]
    assert "posts as @citynews" in ((await adapter(base, client).check()).warning or "")
    with pytest.raises(AuthRejected) as refused:
        await adapter(base, client, token="wrong").check()
    assert refused.value.field == "access_token"

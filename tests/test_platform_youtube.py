"""The YouTube adapter (google-api-python-client) against a local TLS server (tests/fakes/youtube.py)."""

from __future__ import annotations

import datetime as dt
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
from platforms.youtube import CHUNK_UNIT, YouTubeAdapter, until_quota_reset
from tests.fakes.server import free_port, serve
from tests.fakes.youtube import ACCESS_TOKEN, REFRESH_TOKEN, FakeYouTube, self_signed_cert

CLIENT_SECRET = "GOCSPX-client-secret"
VIDEO_BYTES = bytes(range(256)) * 2400  # 600 KiB: three 256 KiB chunks


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
async def fake(tls: tuple[str, str]) -> AsyncIterator[FakeYouTube]:
    fake = FakeYouTube()
    async with serve(fake.app, ssl_certfile=tls[0], ssl_keyfile=tls[1]) as base:
        fake.base = base
        yield fake
        fake.release()


@pytest.fixture
def video(tmp_path: Path) -> Media:
    (tmp_path / "v.mp4").write_bytes(VIDEO_BYTES)
    return Media(
        kind="video",
        content_type="video/mp4",
        filename="v.mp4",
        size=len(VIDEO_BYTES),
        source=FileSource(tmp_path / "v.mp4"),
    )


def adapter(
    base: str, tls: tuple[str, str], secrets: dict[str, str] | None = None, **settings: Any
) -> YouTubeAdapter:
    secrets = (
        secrets
        if secrets is not None
        else {
            "refresh_token": REFRESH_TOKEN,
            "client_id": "123.apps.googleusercontent.com",
            "client_secret": CLIENT_SECRET,
            "scope": "https://www.googleapis.com/auth/youtube.upload",
        }
    )
    column = Column(
        id=6,
        kind="youtube",
        name="YT",
        secrets=secrets,
        settings={
            "api_base": base,
            "token_uri": f"{base}/token",
            "chunk_size": CHUNK_UNIT,
            "timeout_s": 5,
            **settings,
        },
    )
    return YouTubeAdapter(column, httpx.AsyncClient(), ca_certs=tls[0])


def post(*media: Media, title: str | None = "Budget <vote> tonight") -> Post:
    return Post(
        snippet_id=1,
        platform_id=6,
        body="The vote",
        url="https://n.example/a",
        text="The vote https://n.example/a",
        title=title,
        media=media,
    )


async def test_resumable_upload_with_refresh_token(
    fake: FakeYouTube, tls: tuple[str, str], video: Media
) -> None:
    """Refresh the token, start a resumable session with the metadata, PUT 256 KiB chunks, get the id."""
    receipt = await adapter(fake.base, tls).publish(post(video))
    token = fake.calls[0]
    assert token.path == "/token"
    assert token.form == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
        "client_id": "123.apps.googleusercontent.com",
        "client_secret": CLIENT_SECRET,
        "scope": "https://www.googleapis.com/auth/youtube.upload",
    }
    [start] = fake.called("POST")
    assert start.query["uploadType"] == "resumable" and start.query["part"] == "snippet,status"
    assert start.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert start.headers["x-upload-content-type"] == "video/mp4"
    assert start.headers["x-upload-content-length"] == str(len(VIDEO_BYTES))
    assert start.json == {
        "snippet": {
            "title": "Budget ‹vote› tonight",
            "description": "The vote https://n.example/a",
            "categoryId": "25",
        },
        "status": {"privacyStatus": "public", "selfDeclaredMadeForKids": False},
    }
    puts = fake.called("PUT")
    assert [p.headers["content-range"] for p in puts] == [
        *(f"bytes {a}-{a + CHUNK_UNIT - 1}/{len(VIDEO_BYTES)}" for a in (0, CHUNK_UNIT)),
        f"bytes {2 * CHUNK_UNIT}-{len(VIDEO_BYTES) - 1}/{len(VIDEO_BYTES)}",
    ]
    assert b"".join(p.body for p in puts) == VIDEO_BYTES
    assert receipt.remote_url == f"https://www.youtube.com/watch?v={receipt.remote_id}"


async def test_access_token_only_and_scheduled_private(
    fake: FakeYouTube, tls: tuple[str, str], video: Media
) -> None:
    """A bare access token needs no refresh; publish_delay_s uploads private with publishAt."""
    yt = adapter(
        fake.base,
        tls,
        {"access_token": ACCESS_TOKEN},
        privacy_status="private",
        publish_delay_s=3600,
        chunk_size=4 * CHUNK_UNIT,
    )
    await yt.publish(post(video, title=None))
    assert all(c.path != "/token" for c in fake.calls)
    status = fake.called("POST")[0].json["status"]
    assert status["privacyStatus"] == "private"
    publish_at = dt.datetime.fromisoformat(status["publishAt"].replace("Z", "+00:00"))
    assert 3590 < (publish_at - dt.datetime.now(dt.UTC)).total_seconds() <= 3600
    assert fake.called("POST")[0].json["snippet"]["title"] == "The vote"
    assert len(fake.called("PUT")) == 1


async def test_card_without_video_is_rejected(fake: FakeYouTube, tls: tuple[str, str]) -> None:
    """YouTube takes only videos: a card without one fails clearly and nothing is sent."""
    with pytest.raises(Rejected, match="no video"):
        await adapter(fake.base, tls).publish(post())
    assert fake.calls == []


@pytest.mark.parametrize(
    ("stage", "kind", "error"),
    [
        ("start", "quota", RateLimited),
        ("start", "rate_limit", RateLimited),
        ("start", "upload_limit", RateLimited),
        ("start", "rejected", Rejected),
        ("start", "server_error", Transient),
        ("upload", "server_error", Transient),
        ("upload", "rejected", Rejected),
    ],
)
async def test_errors_map_to_typed_errors(
    fake: FakeYouTube,
    tls: tuple[str, str],
    video: Media,
    stage: str,
    kind: str,
    error: type[PlatformError],
) -> None:
    """Google's error reasons become typed errors; the quota waits until it resets."""
    fake.fail(stage, kind)
    with pytest.raises(error) as caught:
        await adapter(fake.base, tls).publish(post(video))
    assert caught.value.message.startswith("YouTube ")
    if kind == "quota":
        assert abs(caught.value.retry_after - until_quota_reset()) < 5  # type: ignore[attr-defined]
    if kind in ("rate_limit", "upload_limit"):
        assert caught.value.retry_after == {"rate_limit": 60, "upload_limit": 86400}[kind]  # type: ignore[attr-defined]


async def test_revoked_refresh_token_is_auth_rejected(
    fake: FakeYouTube, tls: tuple[str, str], video: Media
) -> None:
    """invalid_grant from the token endpoint stops the column; no secret in the message."""
    secrets = {
        "refresh_token": "1//revoked-secret",
        "client_id": "c",
        "client_secret": CLIENT_SECRET,
    }
    with pytest.raises(AuthRejected, match="invalid_grant") as caught:
        await adapter(fake.base, tls, secrets).publish(post(video))
    assert (
        "revoked-secret" not in caught.value.message and CLIENT_SECRET not in caught.value.message
    )
    assert fake.called("POST") == []


async def test_rejected_access_token_is_auth_rejected(
    fake: FakeYouTube, tls: tuple[str, str], video: Media
) -> None:
    """A 401 for a bare access token (nothing to refresh with) stops the column."""
    with pytest.raises(AuthRejected) as caught:
        await adapter(fake.base, tls, {"access_token": "ya29.expired-secret"}).publish(post(video))
    assert "expired-secret" not in caught.value.message


async def test_last_chunk_without_answer_is_outcome_unknown(
    fake: FakeYouTube, tls: tuple[str, str], video: Media
) -> None:
    """The final chunk creates the video: no answer to it leaves the outcome unknown."""
    fake.fail("upload", "hang")
    with pytest.raises(OutcomeUnknown):
        await adapter(
            fake.base, tls, {"access_token": ACCESS_TOKEN}, timeout_s=0.5, chunk_size=4 * CHUNK_UNIT
        ).publish(post(video))


async def test_session_start_without_answer_is_transient(
    fake: FakeYouTube, tls: tuple[str, str], video: Media
) -> None:
    """No session means no bytes were taken: nothing can have been published."""
    fake.fail("start", "hang")
    with pytest.raises(Transient):
        await adapter(fake.base, tls, {"access_token": ACCESS_TOKEN}, timeout_s=0.5).publish(
            post(video)
        )


async def test_unreachable_server_is_transient(tls: tuple[str, str], video: Media) -> None:
    """A refused connection reached nobody."""
    with pytest.raises(Transient, match="could not reach YouTube"):
        await adapter(
            f"https://127.0.0.1:{free_port()}", tls, {"access_token": ACCESS_TOKEN}
        ).publish(post(video))


@pytest.mark.parametrize(
    ("now", "wait"),
    [
        (dt.datetime(2026, 11, 22, 7, 0, tzinfo=dt.UTC), 3600.0),  # 23:00 PST
        (dt.datetime(2026, 7, 1, 6, 30, tzinfo=dt.UTC), 1800.0),  # 23:30 PDT
    ],
)
def test_until_quota_reset(now: dt.datetime, wait: float) -> None:
    """The daily quota resets at midnight Pacific time, summer or winter."""
    assert until_quota_reset(now) == wait


@pytest.mark.parametrize(
    ("settings", "secrets", "field", "words"),
    [
        (
            {"privacy_status": "hidden"},
            {"access_token": "t"},
            "privacy_status",
            "public, unlisted, private",
        ),
        (
            {"publish_delay_s": 60},
            {"access_token": "t"},
            "publish_delay_s",
            "only with privacy_status private",
        ),
        ({"category_id": "news"}, {"access_token": "t"}, "category_id", "numeric"),
        ({"chunk_size": 1000}, {"access_token": "t"}, "chunk_size", "256 KiB"),
        ({"token_uri": "oauth2.googleapis.com"}, {"access_token": "t"}, "token_uri", "http(s) URL"),
        ({}, {"refresh_token": "r", "client_id": "c"}, "client_secret", "refresh token"),
        ({}, {}, "refresh_token", "required"),
    ],
)
def test_validate_names_the_bad_field(
    settings: dict[str, Any], secrets: dict[str, str], field: str, words: str
) -> None:
    """validate() names the first unusable field and says what it expected."""
    with pytest.raises(InvalidSettings) as caught:
        YouTubeAdapter.validate(settings, secrets)
    assert caught.value.field == field and words in str(caught.value)


async def test_check_names_the_channel(fake: FakeYouTube, tls: tuple[str, str]) -> None:
    """Check connection refreshes the token for every granted scope, then channels.list mine."""
    identity = await adapter(fake.base, tls).check()
    assert (identity.account, identity.url) == (
        "City News",
        "https://www.youtube.com/channel/UCfakeChannel0000000000",
    )
    token, listed = fake.calls
    assert token.path == "/token" and "scope" not in token.form
    assert (listed.path, listed.query["mine"], listed.query["part"]) == (
        "/youtube/v3/channels",
        "true",
        "snippet",
    )
    assert fake.called("POST") == [] and fake.called("PUT") == []


async def test_check_with_the_upload_scope_alone_passes_with_a_warning(
    fake: FakeYouTube, tls: tuple[str, str]
) -> None:
    """A token that may upload but not read the channel is a working column; the answer says what it cannot see."""
    fake.can_read = False
    identity = await adapter(fake.base, tls).check()
    assert identity.warning and "youtube.readonly" in identity.warning


async def test_check_with_a_revoked_refresh_token_names_it(
    fake: FakeYouTube, tls: tuple[str, str]
) -> None:
    """Google's invalid_grant names refresh_token."""
    secrets = {
        "refresh_token": "1//revoked",
        "client_id": "123.apps.googleusercontent.com",
        "client_secret": CLIENT_SECRET,
    }
    with pytest.raises(AuthRejected) as refused:
        await adapter(fake.base, tls, secrets).check()
    assert refused.value.field == "refresh_token" and "invalid_grant" in refused.value.message

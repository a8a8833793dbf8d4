"""The Mastodon adapter over httpx against a local instance (tests/fakes/mastodon.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

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
from platforms.mastodon import IDEMPOTENCY_TRUST_S, MastodonAdapter
from tests.fakes.mastodon import FakeMastodon, mastodon_error, rate_limited
from tests.fakes.server import free_port
from tests.fakes.telegram import Clock, media_file

TOKEN = "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0"
URL = "https://example.org/news/1?utm_source=mastodon&utm_medium=social"


@pytest.fixture
async def fake() -> AsyncIterator[FakeMastodon]:
    fake = FakeMastodon(TOKEN)
    async with fake.running():
        yield fake


@pytest.fixture
async def make(fake: FakeMastodon) -> AsyncIterator[Callable[..., MastodonAdapter]]:
    async with httpx.AsyncClient() as http:

        def make(
            token: str = TOKEN, clock: Callable[[], float] | None = None, **settings: Any
        ) -> MastodonAdapter:
            settings = {"instance_url": fake.base_url, **settings}
            column = Column(
                id=5,
                kind="mastodon",
                name="Mastodon",
                settings=settings,
                secrets={"access_token": token},
            )
            return MastodonAdapter(column, http, poll_interval=0.01, clock=clock or Clock())

        yield make


def make_post(
    text: str = f"Big news {URL}", media: tuple[Media, ...] = (), key: str = "card-17-try-1"
) -> Post:
    return Post(
        snippet_id=17,
        platform_id=5,
        body="Big news",
        url=URL,
        text=text,
        media=media,
        idempotency_key=key,
    )


async def test_text_with_link_is_one_status(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter]
) -> None:
    """A text card is one form-encoded POST /api/v1/statuses carrying the card's idempotency key."""
    receipt = await make().publish(make_post())
    [seen] = fake.requests
    assert (seen.method, seen.path) == ("POST", "/api/v1/statuses")
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["idempotency-key"] == "card-17-try-1"
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert seen.fields == {"status": f"Big news {URL}"}
    [status_id] = fake.statuses
    assert receipt.remote_id == status_id
    assert receipt.remote_url == f"{fake.base_url}/@newsroom/{status_id}"


async def test_photo_is_uploaded_then_attached(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter], tmp_path: Path
) -> None:
    """An image goes to /api/v2/media (processed at once) and its id into media_ids[]."""
    await make().publish(make_post(media=(media_file(tmp_path),)))
    upload, status = fake.requests
    assert upload.path == "/api/v2/media"
    assert upload.files["file"].data == b"\xff\xd8\xffjpeg"
    assert (upload.files["file"].filename, upload.files["file"].content_type) == (
        "photo.jpg",
        "image/jpeg",
    )
    [media_id] = fake.media
    assert status.fields == {"status": f"Big news {URL}", "media_ids[]": [media_id]}
    assert fake.statuses[next(iter(fake.statuses))]["media_attachments"][0]["id"] == media_id


async def test_video_is_polled_until_processed(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter], tmp_path: Path
) -> None:
    """A video answers 202; the adapter polls GET /api/v1/media/:id past the 206s before posting."""
    await make().publish(make_post(media=(media_file(tmp_path, "video"),)))
    [media_id] = fake.media
    assert [(s.method, s.path) for s in fake.requests] == [
        ("POST", "/api/v2/media"),
        ("GET", f"/api/v1/media/{media_id}"),
        ("GET", f"/api/v1/media/{media_id}"),
        ("GET", f"/api/v1/media/{media_id}"),
        ("POST", "/api/v1/statuses"),
    ]
    assert fake.requests[-1].fields["media_ids[]"] == [media_id]


async def test_media_without_stored_bytes_is_rejected(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter]
) -> None:
    """Media with no stored copy (only a URL) is refused before any request: Mastodon takes uploads only."""
    media = Media(
        kind="image",
        content_type="image/jpeg",
        filename="cdn.jpg",
        size=7,
        public_url=f"{fake.base_url}/files/cdn.jpg",
    )
    with pytest.raises(Rejected, match="cdn.jpg has no stored copy"):
        await make().publish(make_post(media=(media,)))
    assert fake.requests == []


async def test_video_that_never_finishes_is_transient(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter], tmp_path: Path
) -> None:
    """Processing past the deadline is retried later; no status is posted."""
    fake.processing_polls = 10**6

    class Racing(Clock):
        def __call__(self) -> float:
            self.now += 100.0
            return self.now

    with pytest.raises(Transient, match="still processing"):
        await make(clock=Racing()).publish(make_post(media=(media_file(tmp_path, "video"),)))
    assert fake.calls("/api/v1/statuses") == []


async def test_retry_with_the_same_key_posts_once(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter], tmp_path: Path
) -> None:
    """Publishing the same card twice sends the same request and key; the instance keeps one status."""
    adapter = make()
    first = await adapter.publish(make_post(media=(media_file(tmp_path),)))
    second = await adapter.publish(make_post(media=(media_file(tmp_path),)))
    assert first == second
    assert len(fake.statuses) == 1
    assert len(fake.calls("/api/v2/media")) == 1  # the retry did not upload again
    assert {s.headers["idempotency-key"] for s in fake.calls("/api/v1/statuses")} == {
        "card-17-try-1"
    }


async def test_timeout_is_unknown_then_reconciled_by_the_same_request(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter]
) -> None:
    """No answer raises OutcomeUnknown; reconcile() re-sends the same key and gets the one status."""
    adapter = make(timeout_s=0.3)
    fake.hang_next()
    with pytest.raises(OutcomeUnknown):
        await adapter.publish(make_post())
    receipt = await adapter.reconcile(make_post())
    assert receipt is not None and receipt.remote_id in fake.statuses
    assert await adapter.reconcile(make_post()) == receipt  # asked again: still the same status
    assert len(fake.statuses) == 1
    assert [s.headers["idempotency-key"] for s in fake.calls("/api/v1/statuses")] == [
        "card-17-try-1"
    ] * 3


async def test_reconcile_gives_up_when_the_key_may_have_expired(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter]
) -> None:
    """Past Mastodon's key lifetime, or for a key this process never sent, reconcile() answers None."""
    clock = Clock()
    adapter = make(clock=clock)
    await adapter.publish(make_post())
    clock.now += IDEMPOTENCY_TRUST_S + 1
    assert await adapter.reconcile(make_post()) is None
    assert await make().reconcile(make_post(key="never-sent")) is None
    assert len(fake.calls("/api/v1/statuses")) == 1


async def test_429_becomes_rate_limited_until_the_reset(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter]
) -> None:
    """A 429 waits until X-RateLimit-Reset, measured from the server's Date header."""
    fake.fail_next(rate_limited(reset_in=42))
    with pytest.raises(RateLimited) as caught:
        await make().publish(make_post())
    # The Date header has whole seconds, so the wait is 42 s give or take that second.
    assert caught.value.retry_after == pytest.approx(42, abs=1.01)


async def test_bad_token_is_auth_rejected(make: Callable[..., MastodonAdapter]) -> None:
    """A 401 (revoked or wrong token) raises AuthRejected."""
    with pytest.raises(AuthRejected, match="access token is invalid"):
        await make(token="wrong-token").publish(make_post())


async def test_content_refusal_is_rejected(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter], tmp_path: Path
) -> None:
    """A 422 refuses this card: an unsupported file, or text the instance will not take."""
    with pytest.raises(Rejected, match="content type is invalid"):
        await make().publish(
            make_post(media=(media_file(tmp_path, content_type="application/pdf"),))
        )
    fake.fail_next(mastodon_error(422, "Validation failed: Text character limit of 500 exceeded"))
    with pytest.raises(Rejected, match="limit of 500"):
        await make().publish(make_post(key="other"))


async def test_length_counts_links_as_23(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter]
) -> None:
    """A long link counts 23: 470 letters and a 70-character link fit, 480 letters and it do not."""
    await make().publish(make_post(text="a" * 470 + " " + URL))
    with pytest.raises(Rejected, match="links count 23"):
        await make().publish(make_post(text="a" * 480 + " " + URL, key="other"))
    assert len(fake.requests) == 1


async def test_server_errors_and_refused_connections_are_transient(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter]
) -> None:
    """A 5xx or a refused connection: nothing was posted, try again."""
    fake.fail_next(mastodon_error(503, "Service Unavailable"))
    with pytest.raises(Transient):
        await make().publish(make_post())
    with pytest.raises(Transient):
        await make(instance_url=f"http://127.0.0.1:{free_port()}").publish(make_post())


async def test_wrong_instance_url_stops_the_column(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter]
) -> None:
    """A 404 on /api/v1/statuses means instance_url is not a Mastodon API: AuthRejected."""
    with pytest.raises(AuthRejected, match="instance_url"):
        await make(instance_url=f"{fake.base_url}/not-mastodon").publish(make_post())


@pytest.mark.parametrize(
    ("settings", "secrets", "field", "message"),
    [
        ({}, {"access_token": TOKEN}, "instance_url", "expected an http(s) URL"),
        (
            {"instance_url": "mastodon.social"},
            {"access_token": TOKEN},
            "instance_url",
            "got 'mastodon.social'",
        ),
        (
            {"instance_url": "https://mastodon.social", "timeout_s": "soon"},
            {"access_token": TOKEN},
            "timeout_s",
            "above 0",
        ),
        ({"instance_url": "https://mastodon.social"}, {}, "access_token", "write:statuses"),
        (
            {"instance_url": "https://mastodon.social"},
            {"access_token": f"Bearer {TOKEN}"},
            "access_token",
            "without 'Bearer'",
        ),
    ],
)
def test_validate_names_the_bad_field(
    settings: dict[str, Any], secrets: dict[str, str], field: str, message: str
) -> None:
    """validate() raises InvalidSettings naming the field, never echoing the token."""
    with pytest.raises(InvalidSettings) as caught:
        MastodonAdapter.validate(settings, secrets)
    assert caught.value.field == field
    assert message in str(caught.value)
    assert TOKEN not in str(caught.value)


async def test_token_never_appears_in_errors(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter]
) -> None:
    """No raised message carries the access token."""
    scripted = [
        rate_limited(5),
        mastodon_error(401, "The access token is invalid"),
        mastodon_error(500, "oops"),
    ]
    for response in scripted:
        fake.fail_next(response)
    fake.hang_next()
    adapter = make(timeout_s=0.3)
    for _ in range(len(scripted) + 1):
        with pytest.raises(PlatformError) as caught:
            await adapter.publish(make_post())
        assert TOKEN not in str(caught.value)


async def test_check_names_the_account(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter]
) -> None:
    """Check connection asks verify_credentials and posts nothing."""
    identity = await make().check()
    host = httpx.URL(fake.base_url).host
    assert identity.account == f"City News (@newsroom@{host})"
    assert identity.url == f"{fake.base_url}/@newsroom" and identity.warning is None
    assert [seen.path for seen in fake.requests] == ["/api/v1/accounts/verify_credentials"]
    assert fake.statuses == {}


async def test_check_with_write_scopes_only_still_passes(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter]
) -> None:
    """A token that may post but not read its account passes, saying it cannot name the account."""
    fake.scopes = {"write:statuses", "write:media"}
    identity = await make().check()
    assert identity.warning and "profile scope" in identity.warning


async def test_check_refusals_name_the_field(
    fake: FakeMastodon, make: Callable[..., MastodonAdapter]
) -> None:
    """A revoked token names access_token; an address that is not an instance names instance_url."""
    with pytest.raises(AuthRejected) as refused:
        await make(token="revoked-token").check()
    assert refused.value.field == "access_token"
    with pytest.raises(PlatformError) as wrong:
        await make(instance_url=f"{fake.base_url}/not-mastodon").check()
    assert wrong.value.field == "instance_url"
    with pytest.raises(Transient):
        await make(instance_url=f"http://127.0.0.1:{free_port()}").check()

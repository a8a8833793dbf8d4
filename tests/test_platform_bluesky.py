"""The Bluesky adapter over httpx against a local PDS (tests/fakes/bluesky.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
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
from platforms.bluesky import BlueskyAdapter, graphemes, link_facets, record_key
from tests.fakes.bluesky import TID_RE, FakePDS, rate_limited, xrpc_error
from tests.fakes.server import free_port
from tests.fakes.telegram import Clock, media_file

HANDLE = "newsroom.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"
URL = "https://example.org/news/1?utm_source=bluesky&utm_medium=social"
CREATE = "com.atproto.repo.createRecord"


@pytest.fixture
async def fake() -> AsyncIterator[FakePDS]:
    fake = FakePDS(HANDLE, PASSWORD)
    async with fake.running():
        yield fake


@pytest.fixture
async def make(fake: FakePDS) -> AsyncIterator[Callable[..., BlueskyAdapter]]:
    async with httpx.AsyncClient() as http:

        def make(
            password: str = PASSWORD, clock: Callable[[], float] | None = None, **settings: Any
        ) -> BlueskyAdapter:
            settings = {"service": fake.base_url, "handle": HANDLE, **settings}
            column = Column(
                id=7,
                kind="bluesky",
                name="Bluesky",
                settings=settings,
                secrets={"app_password": password},
            )
            return BlueskyAdapter(column, http, clock=clock or Clock())

        yield make


def make_post(
    text: str = f"Big news {URL}",
    media: tuple[Media, ...] = (),
    key: str = "card-17-try-1",
    **kw: Any,
) -> Post:
    fields = {
        "body": "Big news",
        "url": URL,
        "title": "Big news",
        "description": "What happened",
        **kw,
    }
    return Post(snippet_id=17, platform_id=7, text=text, media=media, idempotency_key=key, **fields)


def created(fake: FakePDS) -> list[dict[str, Any]]:
    return [seen.fields for seen in fake.calls(CREATE)]


async def test_text_with_link_is_a_post_with_a_link_card(
    fake: FakePDS, make: Callable[..., BlueskyAdapter]
) -> None:
    """A text card logs in once and creates app.bsky.feed.post with a link facet and an external embed."""
    receipt = await make().publish(make_post())
    assert [s.path for s in fake.requests] == [
        "/xrpc/com.atproto.server.createSession",
        f"/xrpc/{CREATE}",
    ]
    assert fake.requests[0].fields == {"identifier": HANDLE, "password": PASSWORD}
    [body] = created(fake)
    rkey = record_key(make_post())
    assert TID_RE.match(rkey) and body["rkey"] == rkey
    assert (body["repo"], body["collection"]) == (fake.did, "app.bsky.feed.post")
    record = body["record"]
    assert record["$type"] == "app.bsky.feed.post" and record["text"] == f"Big news {URL}"
    assert record["createdAt"].endswith("Z")
    assert record["facets"] == [
        {
            "index": {"byteStart": 9, "byteEnd": 9 + len(URL)},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": URL}],
        }
    ]
    assert record["embed"] == {
        "$type": "app.bsky.embed.external",
        "external": {"uri": URL, "title": "Big news", "description": "What happened"},
    }
    assert receipt.remote_id == f"at://{fake.did}/app.bsky.feed.post/{rkey}"
    assert receipt.remote_url == f"https://bsky.app/profile/{HANDLE}/post/{rkey}"


async def test_facets_count_utf8_bytes(fake: FakePDS, make: Callable[..., BlueskyAdapter]) -> None:
    """Cyrillic and emoji before a link move its facet by their UTF-8 bytes, not by characters."""
    text = f"Новости 🎉 дня 👩‍💻: {URL}. Подробнее 🇺🇦"
    await make().publish(make_post(text=text))
    [facet] = created(fake)[0]["record"]["facets"]
    start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
    assert text.encode()[start:end] == URL.encode()  # the trailing "." is not part of the link
    assert start == len("Новости 🎉 дня 👩‍💻: ".encode()) != len("Новости 🎉 дня 👩‍💻: ")


async def test_photo_is_uploaded_as_a_blob_and_embedded(
    fake: FakePDS, make: Callable[..., BlueskyAdapter], tmp_path: Any
) -> None:
    """An image goes up raw with its content type; the record embeds the blob ref the PDS returned."""
    await make().publish(make_post(media=(media_file(tmp_path),)))
    [upload] = fake.calls("com.atproto.repo.uploadBlob")
    assert upload.body == b"\xff\xd8\xffjpeg" and upload.headers["content-type"] == "image/jpeg"
    [cid] = fake.blobs
    embed = created(fake)[0]["record"]["embed"]
    assert embed == {
        "$type": "app.bsky.embed.images",
        "images": [
            {
                "image": {
                    "$type": "blob",
                    "ref": {"$link": cid},
                    "mimeType": "image/jpeg",
                    "size": 7,
                },
                "alt": "Big news",
            }
        ],
    }


async def test_video_is_uploaded_as_a_blob_and_embedded(
    fake: FakePDS, make: Callable[..., BlueskyAdapter], tmp_path: Any
) -> None:
    """A video goes up with uploadBlob and is embedded as app.bsky.embed.video."""
    await make().publish(make_post(media=(media_file(tmp_path, "video"),)))
    embed = created(fake)[0]["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.video"
    assert (
        embed["video"]["mimeType"] == "video/mp4" and embed["video"]["ref"]["$link"] in fake.blobs
    )


async def test_session_is_kept_and_refreshed(
    fake: FakePDS, make: Callable[..., BlueskyAdapter]
) -> None:
    """One login for many posts; an expired access token is refreshed, not a new login."""
    adapter = make()
    await adapter.publish(make_post(key="a"))
    await adapter.publish(make_post(key="b"))
    fake.expire_access()
    await adapter.publish(make_post(key="c"))
    paths = [s.path.removeprefix("/xrpc/com.atproto.") for s in fake.requests]
    assert paths == [
        "server.createSession",
        "repo.createRecord",
        "repo.createRecord",
        "repo.createRecord",
        "server.refreshSession",
        "repo.createRecord",
    ]
    assert len(fake.records) == 3


async def test_refused_refresh_logs_in_again(
    fake: FakePDS, make: Callable[..., BlueskyAdapter]
) -> None:
    """When the refresh token is refused too, the adapter logs in again and posts."""
    adapter = make()
    await adapter.publish(make_post(key="a"))
    fake.expire_access()
    fake.expire_refresh()
    await adapter.publish(make_post(key="b"))
    assert len(fake.calls("createSession")) == 2 and len(fake.records) == 2


async def test_31st_login_in_5_minutes_waits_without_a_request(
    fake: FakePDS, make: Callable[..., BlueskyAdapter]
) -> None:
    """createSession allows 30 per 5 minutes: the 31st raises RateLimited locally."""
    clock = Clock()
    adapter = make(clock=clock)
    for _ in range(30):
        await adapter.login()
        clock.now += 1
    fake.expire_access()
    fake.expire_refresh()
    with pytest.raises(RateLimited) as caught:
        await adapter.publish(make_post())
    assert len(fake.calls("createSession")) == 30
    assert caught.value.retry_after == pytest.approx(270.0)


async def test_429_becomes_rate_limited_until_the_reset(
    fake: FakePDS, make: Callable[..., BlueskyAdapter]
) -> None:
    """A 429 waits until RateLimit-Reset (epoch seconds), measured from the server's Date."""
    fake.fail_next(rate_limited(reset_in=42), path=CREATE)
    with pytest.raises(RateLimited) as caught:
        await make().publish(make_post())
    assert caught.value.retry_after == pytest.approx(42, abs=1.01)  # Date has whole seconds


async def test_wrong_app_password_is_auth_rejected(make: Callable[..., BlueskyAdapter]) -> None:
    """A refused login raises AuthRejected, without the password in it."""
    with pytest.raises(AuthRejected, match="Invalid identifier or password") as caught:
        await make(password="wxyz-wxyz-wxyz-wxyz").publish(make_post())
    assert "wxyz-wxyz" not in caught.value.message


async def test_content_refusal_is_rejected(
    fake: FakePDS, make: Callable[..., BlueskyAdapter]
) -> None:
    """A 400 InvalidRequest for the record fails this card only."""
    fake.fail_next(
        xrpc_error(
            400,
            "InvalidRequest",
            "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes",
        ),
        path=CREATE,
    )
    with pytest.raises(Rejected, match="300 graphemes"):
        await make().publish(make_post())


async def test_text_over_300_graphemes(
    fake: FakePDS, make: Callable[..., BlueskyAdapter], tmp_path: Any
) -> None:
    """Over 300 graphemes the body goes out with the link as its card; with media it is refused."""
    long_text = "б" * 280 + " " + URL
    await make().publish(make_post(text=long_text, body="б" * 280))
    record = created(fake)[0]["record"]
    assert (
        record["text"] == "б" * 280
        and "facets" not in record
        and record["embed"]["external"]["uri"] == URL
    )
    with pytest.raises(Rejected, match="allows 300"):
        await make().publish(make_post(text=long_text, key="other", media=(media_file(tmp_path),)))


async def test_timeout_is_unknown_then_reconciled(
    fake: FakePDS, make: Callable[..., BlueskyAdapter]
) -> None:
    """createRecord without an answer raises OutcomeUnknown; reconcile() finds no record, posts it under the same key."""
    adapter = make(timeout_s=0.3)
    fake.hang_next(path=CREATE)
    with pytest.raises(OutcomeUnknown):
        await adapter.publish(make_post())
    receipt = await adapter.reconcile(make_post())
    rkey = record_key(make_post())
    assert (
        receipt is not None
        and receipt.remote_url == f"https://bsky.app/profile/{HANDLE}/post/{rkey}"
    )
    assert list(fake.records) == [rkey]
    assert {body["rkey"] for body in created(fake)} == {rkey}


async def test_check_logs_in_and_names_the_handle(
    fake: FakePDS, make: Callable[..., BlueskyAdapter]
) -> None:
    """Check connection is one createSession; a wrong app password names app_password."""
    identity = await make().check()
    assert (identity.account, identity.url) == (f"@{HANDLE}", f"https://bsky.app/profile/{HANDLE}")
    assert [seen.path for seen in fake.requests] == ["/xrpc/com.atproto.server.createSession"]
    with pytest.raises(AuthRejected) as refused:
        await make(password="wxyz-wxyz-wxyz-wxyz").check()
    assert refused.value.field == "app_password"


async def test_duplicate_record_key_is_unknown_and_reconciled_by_lookup(
    fake: FakePDS, make: Callable[..., BlueskyAdapter]
) -> None:
    """A second create under the card's key is refused (500): OutcomeUnknown("duplicate"); reconcile() looks it up."""
    adapter = make()
    first = await adapter.publish(make_post())
    with pytest.raises(OutcomeUnknown, match="duplicate"):
        await adapter.publish(make_post())
    assert await adapter.reconcile(make_post()) == first
    assert len(fake.records) == 1
    fake.fail_next(xrpc_error(409, "RecordAlreadyExists", "Record already exists"), path=CREATE)
    with pytest.raises(OutcomeUnknown, match="duplicate"):
        await adapter.publish(make_post(key="another"))


async def test_server_errors_and_refused_connections_are_transient(
    fake: FakePDS, make: Callable[..., BlueskyAdapter], tmp_path: Any
) -> None:
    """A 5xx with no record under the key, a refused connection, or an unanswered upload: Transient."""
    adapter = make(timeout_s=0.3)
    fake.fail_next(xrpc_error(502, "UpstreamFailure", "Bad Gateway"), path=CREATE)
    with pytest.raises(Transient):
        await adapter.publish(make_post())
    fake.hang_next(path="uploadBlob")
    with pytest.raises(Transient):
        await adapter.publish(make_post(media=(media_file(tmp_path),)))
    with pytest.raises(Transient):
        await make(service=f"http://127.0.0.1:{free_port()}").publish(make_post())
    assert fake.records == {}


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Привет", 6),
        ("e\u0301", 1),
        ("👍🏽", 1),
        ("🇺🇦🇵🇱", 2),
        ("👨‍👩‍👧", 1),
        ("a\r\nb", 3),
        ("❤️", 1),
    ],
)
def test_graphemes_count_what_readers_see(text: str, count: int) -> None:
    """Combining marks, skin tones, flags, ZWJ sequences and CRLF count as one character each."""
    assert graphemes(text) == count


def test_record_key_is_a_stable_tid_per_card() -> None:
    """The same card gets the same TID-shaped key; another attempt or column gets another."""
    key = record_key(make_post())
    assert TID_RE.match(key) and key == record_key(make_post())
    assert key != record_key(make_post(key="card-17-try-2"))
    assert link_facets("no links here") == []


@pytest.mark.parametrize(
    ("settings", "secrets", "field", "message"),
    [
        (
            {"service": "bsky.social", "handle": HANDLE},
            {"app_password": PASSWORD},
            "service",
            "expected an http(s) URL",
        ),
        ({}, {"app_password": PASSWORD}, "handle", "such as newsroom.bsky.social"),
        ({"handle": "news room"}, {"app_password": PASSWORD}, "handle", "got 'news room'"),
        ({"handle": HANDLE, "timeout_s": -1}, {"app_password": PASSWORD}, "timeout_s", "above 0"),
        ({"handle": HANDLE}, {}, "app_password", "xxxx-xxxx-xxxx-xxxx"),
        (
            {"handle": HANDLE},
            {"app_password": "my main password"},
            "app_password",
            "not the account's password",
        ),
    ],
)
def test_validate_names_the_bad_field(
    settings: dict[str, Any], secrets: dict[str, str], field: str, message: str
) -> None:
    """validate() raises InvalidSettings naming the field, never echoing the password."""
    with pytest.raises(InvalidSettings) as caught:
        BlueskyAdapter.validate(settings, secrets)
    assert caught.value.field == field and message in str(caught.value)
    assert "my main password" not in str(caught.value)


def test_validate_accepts_good_settings() -> None:
    """A handle (with or without @) and an app password are enough; service defaults to bsky.social."""
    BlueskyAdapter.validate({"handle": f"@{HANDLE}"}, {"app_password": PASSWORD})


async def test_secrets_never_appear_in_errors(
    fake: FakePDS, make: Callable[..., BlueskyAdapter]
) -> None:
    """No raised message carries the app password or a session token."""
    adapter = make(timeout_s=0.3)
    await adapter.login()
    fake.fail_next(rate_limited(5), path=CREATE)
    fake.fail_next(xrpc_error(400, "InvalidRequest", "bad record"), path=CREATE)
    fake.hang_next(path=CREATE)
    messages = []
    for key in ("a", "b", "c"):
        with pytest.raises(PlatformError) as caught:
            await adapter.publish(make_post(key=key))
        messages.append(str(caught.value))
    with pytest.raises(AuthRejected) as caught:
        await make(password="wxyz-wxyz-wxyz-wxyz").login()
    messages.append(str(caught.value))
    tokens = list(fake.access) + list(fake.refresh)
    assert not [
        m for m in messages if PASSWORD in m or "wxyz-wxyz" in m or any(t in m for t in tokens)
    ]

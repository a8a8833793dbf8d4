"""The VK adapter against a local server speaking the VK API (tests/fakes/vk.py)."""

from __future__ import annotations

import dataclasses
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
from platforms.limits import SlidingWindow
from platforms.vk import VKAdapter
from tests.fakes.server import free_port, serve
from tests.fakes.vk import FakeVK

TOKEN = "vk1.secret-token-value"
LINK = "https://news.example/a?utm_source=vk"


@pytest.fixture
async def fake() -> AsyncIterator[FakeVK]:
    fake = FakeVK()
    async with serve(fake.app) as base:
        fake.base = base
        yield fake
        fake.release()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def adapter(base: str, client: httpx.AsyncClient, **settings: Any) -> VKAdapter:
    column = Column(
        id=7,
        kind="vk",
        name="VK",
        settings={"group_id": 123, "api_base": base, **settings},
        secrets={"access_token": TOKEN},
    )
    return VKAdapter(column, client)


def post(*media: Media, url: str | None = LINK) -> Post:
    return Post(
        snippet_id=1,
        platform_id=7,
        body="Big news",
        url=url,
        text=f"Big news {url}" if url else "Big news",
        title="Title",
        media=media,
    )


def media(tmp_path: Path, kind: str) -> Media:
    name, ctype = ("a.jpg", "image/jpeg") if kind == "image" else ("v.mp4", "video/mp4")
    path = tmp_path / name
    path.write_bytes(b"\x00bytes-of-" + kind.encode())
    return Media(
        kind=kind,
        content_type=ctype,
        filename=name,
        size=path.stat().st_size,
        source=FileSource(path),
    )


async def test_link_post_sends_wall_post(fake: FakeVK, client: httpx.AsyncClient) -> None:
    """A text+link card is one wall.post on the community's wall with the link attached."""
    receipt = await adapter(fake.base, client).publish(post())
    [call] = fake.calls
    assert call.method == "wall.post"
    assert call.form == {
        "owner_id": "-123",
        "from_group": "1",
        "message": "Big news",
        "attachments": LINK,
        "v": "5.199",
        "access_token": TOKEN,
    }
    assert receipt.remote_url == f"https://vk.com/wall-123_{receipt.remote_id}"


async def test_text_only_post_keeps_the_text(fake: FakeVK, client: httpx.AsyncClient) -> None:
    """Without a link the message is the whole text and nothing is attached."""
    await adapter(fake.base, client).publish(post(url=None))
    assert fake.called("wall.post")[0].form["message"] == "Big news"
    assert "attachments" not in fake.called("wall.post")[0].form


async def test_photo_post_uploads_then_attaches(
    fake: FakeVK, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """A photo goes getWallUploadServer -> upload -> saveWallPhoto, then rides on wall.post."""
    receipt = await adapter(fake.base, client).publish(post(media(tmp_path, "image")))
    assert [c.method if c.path.startswith("/method/") else c.path for c in fake.calls] == [
        "photos.getWallUploadServer",
        "/upload/photo",
        "photos.saveWallPhoto",
        "wall.post",
    ]
    assert fake.calls[0].form["group_id"] == "123"
    assert fake.calls[1].files["photo"] == ("a.jpg", "image/jpeg", b"\x00bytes-of-image")
    saved = fake.calls[2].form
    assert (saved["server"], saved["hash"], saved["group_id"]) == ("777", "h4sh", "123")
    photo_id = 101
    assert fake.calls[3].form["attachments"] == f"photo-123_{photo_id},{LINK}"
    assert receipt.remote_id == "102"


async def test_video_post_saves_uploads_then_attaches(
    fake: FakeVK, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """A video goes video.save (no auto wall post) -> upload, then rides on wall.post."""
    await adapter(fake.base, client).publish(post(media(tmp_path, "video")))
    save, upload, wall = fake.calls
    assert save.method == "video.save"
    assert (
        save.form["wallpost"] == "0"
        and save.form["name"] == "Title"
        and save.form["group_id"] == "123"
    )
    assert upload.files["video_file"] == ("v.mp4", "video/mp4", b"\x00bytes-of-video")
    assert wall.form["attachments"] == f"video-123_101,{LINK}"


@pytest.mark.parametrize(
    ("kind", "error", "wait"),
    [
        ("rate_limit", RateLimited, 1.0),
        ("flood", RateLimited, 3600.0),
        ("auth", AuthRejected, None),
        ("rejected", Rejected, None),
        ("internal", Transient, None),
    ],
)
async def test_vk_errors_map_to_typed_errors(
    fake: FakeVK,
    client: httpx.AsyncClient,
    kind: str,
    error: type[PlatformError],
    wait: float | None,
) -> None:
    """VK's HTTP-200 error bodies become the typed errors, with VK's code in the message."""
    fake.fail("wall.post", kind)
    with pytest.raises(error) as caught:
        await adapter(fake.base, client).publish(post())
    if wait is not None:
        assert caught.value.retry_after == wait  # type: ignore[attr-defined]
    assert "VK error" in caught.value.message and TOKEN not in caught.value.message


async def test_timeout_on_wall_post_is_outcome_unknown(
    fake: FakeVK, client: httpx.AsyncClient
) -> None:
    """wall.post that never answers may have posted: the outcome is unknown, not retried."""
    fake.fail("wall.post", "hang")
    with pytest.raises(OutcomeUnknown) as caught:
        await adapter(fake.base, client, timeout_s=0.3).publish(post())
    assert TOKEN not in caught.value.message


async def test_reconcile_finds_the_post_after_a_timeout(
    fake: FakeVK, client: httpx.AsyncClient
) -> None:
    """After an unanswered wall.post, reconcile finds the post on the wall by its text."""
    vk = adapter(fake.base, client, timeout_s=0.3)
    fake.fail("wall.post", "hang")
    with pytest.raises(OutcomeUnknown):
        await vk.publish(post())
    receipt = await vk.reconcile(post())
    assert (
        receipt is not None and receipt.remote_url == f"https://vk.com/wall-123_{receipt.remote_id}"
    )
    assert fake.called("wall.get")[0].form["owner_id"] == "-123"


async def test_reconcile_without_the_post_is_none(fake: FakeVK, client: httpx.AsyncClient) -> None:
    """A wall without the card's text means the editor decides (needs_check)."""
    vk = adapter(fake.base, client)
    await vk.publish(dataclasses.replace(post(), body="Other news"))
    assert await vk.reconcile(post()) is None


async def test_timeout_on_upload_is_transient(
    fake: FakeVK, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """An upload that never answers published nothing: safe to retry."""
    fake.fail("upload", "hang")
    with pytest.raises(Transient):
        await adapter(fake.base, client, timeout_s=0.3).publish(post(media(tmp_path, "image")))
    assert not fake.called("wall.post")


async def test_unreachable_server_is_transient(client: httpx.AsyncClient) -> None:
    """A refused connection sent nothing."""
    with pytest.raises(Transient) as caught:
        await adapter(f"http://127.0.0.1:{free_port()}", client).publish(post())
    assert TOKEN not in caught.value.message


async def test_local_window_limits_before_sending(fake: FakeVK, client: httpx.AsyncClient) -> None:
    """Past VK's 3 calls a second the adapter raises RateLimited without calling VK."""
    vk = adapter(fake.base, client)
    vk.window = SlidingWindow(3, 1.0, clock=lambda: 100.0)
    for _ in range(3):
        vk.window.record()
    with pytest.raises(RateLimited) as caught:
        await vk.publish(post())
    assert caught.value.retry_after == 1.0 and fake.calls == []


@pytest.mark.parametrize(
    ("settings", "secrets", "field", "words"),
    [
        ({}, {"access_token": "t"}, "group_id", "numeric id"),
        ({"group_id": "club12"}, {"access_token": "t"}, "group_id", "numeric id"),
        (
            {"group_id": 1, "api_base": "api.vk.com"},
            {"access_token": "t"},
            "api_base",
            "http(s) URL",
        ),
        ({"group_id": 1, "timeout_s": 0}, {"access_token": "t"}, "timeout_s", "above 0"),
        ({"group_id": 1}, {}, "access_token", "required"),
    ],
)
def test_validate_names_the_bad_field(
    settings: dict[str, Any], secrets: dict[str, str], field: str, words: str
) -> None:
    """validate() names the first unusable field and says what it expected."""
    with pytest.raises(InvalidSettings) as caught:
        VKAdapter.validate(settings, secrets)
    assert caught.value.field == field and words in str(caught.value)


def test_validate_accepts_a_good_column() -> None:
    """A negative or positive group id and a token are enough."""
    VKAdapter.validate({"group_id": "-123"}, {"access_token": "t"})


async def test_check_names_the_community(fake: FakeVK, client: httpx.AsyncClient) -> None:
    """Check connection is one groups.getById; an editor's token passes, a plain member's warns."""
    identity = await adapter(fake.base, client, group_id=12345).check()
    assert (identity.account, identity.url, identity.warning) == (
        "City News",
        "https://vk.com/citynews",
        None,
    )
    assert [call.method for call in fake.calls] == ["groups.getById"]
    assert fake.calls[0].form["group_id"] == "12345" and fake.calls[0].form["access_token"] == TOKEN
    fake.groups["12345"]["admin_level"] = 0
    member = await adapter(fake.base, client, group_id=12345).check()
    assert member.warning and "not an editor or administrator of City News" in member.warning


async def test_check_refusals_name_the_field(fake: FakeVK, client: httpx.AsyncClient) -> None:
    """An unknown community names group_id; a refused token names access_token."""
    with pytest.raises(Rejected) as unknown:
        await adapter(fake.base, client, group_id=99).check()
    assert unknown.value.field == "group_id"
    fake.fail("groups.getById", "auth")
    with pytest.raises(AuthRejected) as refused:
        await adapter(fake.base, client, group_id=12345).check()
    assert refused.value.field == "access_token"

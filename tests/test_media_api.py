"""Media over HTTP on a real database: upload, sniffing, limits, deduplication, serving, cards."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.mediafiles import JPEG, PNG, upload, video
from tests.support import Client, Running, login, make_token, make_user, running_app

PUBLIC = "https://board.example.org"


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[Running]:
    """The app with a public URL (signed links) and a 1 MB image limit."""
    async with running_app(
        database_url,
        METRONOME_WS_RATE="100000",
        METRONOME_MEDIA_MAX_IMAGE_MB="1",
        METRONOME_PUBLIC_URL=PUBLIC + "/",
    ) as running:
        yield running


async def cookie_for(server: Running, role: str = "editor") -> str:
    return await login(server.url, await make_user(server.database_url, role))


async def get(
    server: Running, path: str, cookie: str | None = None, **kwargs: Any
) -> httpx.Response:
    cookies = {"metronome_session": cookie} if cookie else None
    async with httpx.AsyncClient(base_url=server.url, cookies=cookies) as http:
        return await http.get(path, **kwargs)


async def test_upload_sniffs_stores_once_and_serves(server: Running) -> None:
    """An upload's type is sniffed (not the claimed one), the same bytes give the same id, and it is served."""
    cookie = await cookie_for(server)
    first = await upload(
        server.url, JPEG, "../../evil.png", cookie=cookie, content_type="text/html"
    )
    assert first.status_code == 201, first.text
    item = first.json()
    assert (item["kind"], item["content_type"], item["filename"]) == (
        "image",
        "image/jpeg",
        "evil.jpg",
    )
    assert item["url"] == f"/media/{item['id']}" and item["size"] == len(JPEG)
    again = await upload(
        server.url,
        JPEG,
        "other.jpg",
        token=await make_token(server.database_url, await make_user(server.database_url)),
    )
    assert (
        again.status_code == 200
        and again.json()["id"] == item["id"]
        and not again.json()["created"]
    )
    stored = [p for p in (server.services.settings.data_dir / "media").rglob("*.jpg")]
    assert len(stored) == 1
    served = await get(server, item["url"], cookie=cookie)
    assert served.status_code == 200 and served.content == JPEG
    assert (
        served.headers["content-type"] == "image/jpeg"
        and served.headers["x-content-type-options"] == "nosniff"
    )
    ranged = await get(server, item["url"], cookie=cookie, headers={"Range": "bytes=0-2"})
    assert ranged.status_code == 206 and ranged.content == JPEG[:3]


async def test_upload_refusals(server: Running) -> None:
    """Unknown formats, oversized images, empty files, viewers and strangers are refused with a reason."""
    cookie = await cookie_for(server)
    html = await upload(
        server.url, b"<html><script>alert(1)</script></html>", "a.jpg", cookie=cookie
    )
    assert html.status_code == 415 and "JPEG" in html.json()["error"]["message"]
    big = await upload(server.url, JPEG + b"\x00" * 1_100_000, "big.jpg", cookie=cookie)
    assert big.status_code == 413 and "1 MB" in big.json()["error"]["message"]
    assert (await upload(server.url, b"", "empty.jpg", cookie=cookie)).status_code == 400
    viewer = await upload(server.url, JPEG, cookie=await cookie_for(server, "viewer"))
    assert viewer.status_code == 403
    assert (await upload(server.url, JPEG)).status_code == 401
    assert list((server.services.settings.data_dir / "media" / ".incoming").iterdir()) == []


async def test_signed_links_serve_without_signing_in(server: Running) -> None:
    """A signed link works without a session until it expires; a tampered or expired one is refused."""
    item = (await upload(server.url, PNG, "p.png", cookie=await cookie_for(server))).json()
    store = server.services.extras["media"]
    link = store.signer.signed_url(item["id"], time.time())
    assert link.startswith(f"{PUBLIC}/media/{item['id']}?exp=")
    path = link.removeprefix(PUBLIC)
    assert (await get(server, path)).content == PNG
    assert (await get(server, path[:-1] + ("0" if path[-1] != "0" else "1"))).status_code == 403
    expired = store.signer.signed_url(item["id"], time.time() - 2 * 86400).removeprefix(PUBLIC)
    assert (await get(server, expired)).status_code == 403
    assert (await get(server, item["url"])).status_code == 401


async def test_cards_carry_media(server: Running, admin: Client) -> None:
    """snippet.create/update take media_ids; the state shows media [{id, kind, url}]; unknown ids are refused."""
    cookie = await cookie_for(server)
    image = (await upload(server.url, JPEG, "a.jpg", cookie=cookie)).json()
    clip = (await upload(server.url, video(1000), "c.mp4", cookie=cookie)).json()
    pid = (
        await admin.ok(
            "platform.create",
            {"kind": "log", "name": "log", "interval_s": 600, "settings": {}, "paused": True},
        )
    )["id"]
    sid = (
        await admin.ok(
            "snippet.create", {"platform_id": pid, "media_ids": [clip["id"], image["id"]]}
        )
    )["id"]
    card = await admin.wait_for(lambda s: s["snippets"].get(str(sid)))
    assert card["body"] == "" and card["media"] == [
        {"id": clip["id"], "kind": "video", "url": clip["url"]},
        {"id": image["id"], "kind": "image", "url": image["url"]},
    ]
    await admin.ok("snippet.update", {"id": sid, "version": card["version"], "media_ids": []})
    await admin.wait_for(lambda s: "media" not in s["snippets"][str(sid)])
    assert (
        await admin.fails(
            "snippet.create", {"platform_id": pid, "body": "x", "media_ids": [999999]}
        )
        == "bad_request"
    )
    assert (
        await admin.fails("snippet.create", {"platform_id": pid, "body": "x", "media_ids": ["1"]})
        == "bad_request"
    )

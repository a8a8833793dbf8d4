"""A material's media downloaded by the poster: only from allowed addresses, within a deadline."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from poster import media
from tests.fakes.hostile import Hostile
from tests.fakes.server import serve
from tests.support import Client, Running, login, make_token, make_user, running_app
from tests.test_poster_webhook import hook


async def card_of_material(server: Running, admin: Client, pid: int, image_url: str) -> int:
    """A material with an image at ``image_url`` (from the CMS), and a card of it."""
    token = await make_token(server.database_url, await make_user(server.database_url, "editor"))
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        material = (
            await http.post(
                "/api/materials",
                json={
                    "external_id": "m1",
                    "url": "https://news.example/1",
                    "title": "Storm",
                    "image_url": image_url,
                },
            )
        ).json()
    card = await admin.ok("snippet.create", {"platform_id": pid, "material_id": material["id"]})
    return int(card["id"])


async def outcome(admin: Client, sid: int) -> dict[str, Any]:
    card: dict[str, Any] = await admin.wait_for(
        lambda s: (
            s["snippets"][str(sid)]["status"] not in ("pending", "sending")
            and s["snippets"][str(sid)]
        ),
        timeout=15,
    )
    return card


async def test_media_on_an_internal_address_is_refused(database_url: str) -> None:
    """Without METRONOME_FETCH_ALLOW, a material image on 127.0.0.1 is not downloaded: the card
    fails saying why, and nothing is posted."""
    hostile = Hostile()
    async with (
        running_app(database_url, METRONOME_FETCH_ALLOW="") as server,
        serve(hostile.app()) as base,
    ):
        email = await make_user(database_url, "admin")
        async with Client.connect(server, cookie=await login(server.url, email)) as admin:
            async with hook(admin) as (receiver, pid):
                sid = await card_of_material(server, admin, pid, f"{base}/echo")
                card = await outcome(admin, sid)
                assert receiver.received == []
    assert card["status"] == "failed"
    assert "refused: 127.0.0.1 is a loopback address" in card["meta"]["error"]
    assert hostile.requests == []


async def test_media_that_drips_fails_at_the_deadline(
    server: Running, admin: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An image server that drips a byte at a time: the download ends at its deadline — one for
    all its tries — the card fails with why (nothing went out), the connection is dropped."""
    monkeypatch.setattr(media, "DOWNLOAD_DEADLINE_S", 2.0)
    hostile = Hostile()
    async with serve(hostile.app()) as base, hook(admin) as (receiver, pid):
        sid = await card_of_material(server, admin, pid, f"{base}/drip/photo.jpg")
        started = time.monotonic()
        card = await outcome(admin, sid)
        assert time.monotonic() - started < 4.5
        assert receiver.received == []
        await hostile.until(lambda: hostile.dripping == 0)
    assert card["status"] == "failed"
    assert card["meta"]["error"].endswith("no file within 2 s")

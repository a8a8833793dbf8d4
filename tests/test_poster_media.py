"""The point of media: one video uploaded once, published natively to Telegram and Mastodon.

Through the running app (upload, cards, posters) against the local Telegram and Mastodon fakes,
with the local-disk store and with S3 (boto3 against moto's server).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import boto3
import httpx
import pytest

# aiogram builds its pydantic models on import (seconds on a busy machine): import it here, not
# inside the app's loop on the first telegram platform.create, which would stall the commands.
import platforms.telegram  # noqa: F401
from tests.fakes.graph import IG_USER_ID, FakeGraph
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import serve
from tests.fakes.telegram import FakeTelegram
from tests.mediafiles import upload, video
from tests.support import Client, Running, login, make_token, make_user, running_app

BOT_TOKEN = "700100200:AAmediaTESTtoken_for-the-video-0123456"
MASTODON_TOKEN = "media-test-mastodon-token-7f3a9c1e5b"
CHANNEL = {"id": -1001112223334, "type": "channel", "title": "News", "username": "newsroom"}
BUCKET = "metronome-media"
S3_SECRET = "media-test-aws-secret-key-4c8e2a"


@contextlib.asynccontextmanager
async def networks() -> AsyncIterator[tuple[FakeTelegram, FakeMastodon]]:
    telegram, mastodon = (
        FakeTelegram(BOT_TOKEN, [CHANNEL]),
        FakeMastodon(MASTODON_TOKEN, processing_polls=1),
    )
    async with telegram.running(), mastodon.running():
        yield telegram, mastodon


async def columns(admin: Client, telegram: FakeTelegram, mastodon: FakeMastodon) -> tuple[int, int]:
    tg = await admin.ok(
        "platform.create",
        {
            "kind": "telegram",
            "name": "Telegram",
            "interval_s": 1,
            "settings": {"chat_id": "@newsroom", "api_base": telegram.base_url, "utm": False},
            "secrets": {"bot_token": BOT_TOKEN},
        },
    )
    md = await admin.ok(
        "platform.create",
        {
            "kind": "mastodon",
            "name": "Mastodon",
            "interval_s": 1,
            "settings": {"instance_url": mastodon.base_url, "utm": False},
            "secrets": {"access_token": MASTODON_TOKEN},
        },
    )
    return tg["id"], md["id"]


async def sent(admin: Client, *ids: int) -> None:
    def done(state: dict[str, Any]) -> bool:
        cards = [state["snippets"].get(str(i)) for i in ids]
        failed = [c for c in cards if c and c["status"] in ("failed", "needs_check")]
        assert not failed, failed
        return all(c and c["status"] == "sent" for c in cards)

    await admin.wait_for(done, timeout=20)


def uploaded_video(telegram: FakeTelegram) -> bytes:
    (call,) = telegram.calls("/sendVideo")
    (part,) = call.files.values()
    return part.data


async def publish_one_video_twice(server: Running, admin: Client) -> tuple[bytes, int]:
    """Upload once, one card per column; returns the bytes and the media id, after both went out."""
    clip = video()
    cookie = await login(server.url, await make_user(server.database_url, "editor"))
    item = (await upload(server.url, clip, "interview.mp4", cookie=cookie)).json()
    async with networks() as (telegram, mastodon):
        tg, md = await columns(admin, telegram, mastodon)
        cards = [
            (
                await admin.ok(
                    "snippet.create",
                    {
                        "platform_id": pid,
                        "body": "Watch the interview",
                        "url": "https://news.example/v/1",
                        "media_ids": [item["id"]],
                    },
                )
            )["id"]
            for pid in (tg, md)
        ]
        await sent(admin, *cards)
        assert uploaded_video(telegram) == clip
        assert telegram.messages[0]["caption"] == "Watch the interview\n\nhttps://news.example/v/1"
        (media_call,) = mastodon.calls("/api/v2/media")
        assert (
            media_call.files["file"].data == clip
            and media_call.files["file"].content_type == "video/mp4"
        )
        (status,) = mastodon.statuses.values()
        assert status["media_attachments"][0]["type"] == "video"
    return clip, item["id"]


async def test_video_once_to_two_networks_on_local_disk(server: Running, admin: Client) -> None:
    """A video uploaded once goes out natively to Telegram (sendVideo) and Mastodon (media upload); one file on disk."""
    await publish_one_video_twice(server, admin)
    stored = [p for p in (server.services.settings.data_dir / "media").rglob("*.mp4")]
    assert len(stored) == 1


async def test_material_video_downloaded_once(server: Running, admin: Client) -> None:
    """Cards of a material with an external video URL publish that video; it is downloaded once for both."""
    clip = video()
    async with networks() as (telegram, mastodon):
        mastodon.public_files["clip.mp4"] = clip  # the fake also plays the CMS's CDN
        token = await make_token(
            server.database_url, await make_user(server.database_url, "editor")
        )
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            material = (
                await http.post(
                    "/api/materials",
                    json={
                        "external_id": "v1",
                        "url": "https://news.example/v/1",
                        "title": "Interview",
                        "video_url": f"{mastodon.base_url}/files/clip.mp4",
                    },
                )
            ).json()
        tg, md = await columns(admin, telegram, mastodon)
        await admin.ok("platform.pause", {"id": md})
        first = (
            await admin.ok("snippet.create", {"platform_id": tg, "material_id": material["id"]})
        )["id"]
        await sent(admin, first)
        second = (
            await admin.ok("snippet.create", {"platform_id": md, "material_id": material["id"]})
        )["id"]
        await admin.ok("platform.resume", {"id": md})
        await sent(admin, second)
        assert uploaded_video(telegram) == clip
        assert mastodon.calls("/api/v2/media")[0].files["file"].data == clip
        assert len(mastodon.calls("/files/clip.mp4")) == 1


async def test_instagram_gets_a_signed_public_link(database_url: str) -> None:
    """Instagram fetches media by URL: it gets the app's signed link, which serves the video without a session."""
    public = "https://board.example.org"
    async with running_app(database_url, METRONOME_PUBLIC_URL=public) as server:
        cookie = await login(server.url, await make_user(server.database_url, "admin"))
        clip = video()
        item = (await upload(server.url, clip, "reel.mp4", cookie=cookie)).json()
        graph = FakeGraph()
        async with serve(graph.app) as base, Client.connect(server, cookie=cookie) as admin:
            pid = (
                await admin.ok(
                    "platform.create",
                    {
                        "kind": "instagram",
                        "name": "IG",
                        "interval_s": 1,
                        "secrets": {"access_token": "IGQV-media-test-token"},
                        "settings": {
                            "ig_user_id": IG_USER_ID,
                            "api_base": base,
                            "poll_interval_s": 0.05,
                        },
                    },
                )
            )["id"]
            sid = (
                await admin.ok(
                    "snippet.create",
                    {"platform_id": pid, "body": "Reel", "media_ids": [item["id"]]},
                )
            )["id"]
            await sent(admin, sid)
        (container,) = [c for c in graph.called("media") if c.method == "POST"]
        link = container.form["video_url"]
        assert container.form["media_type"] == "REELS" and link.startswith(
            f"{public}/media/{item['id']}?exp="
        )
        async with httpx.AsyncClient(
            base_url=server.url
        ) as http:  # no session: the signature is the key
            served = await http.get(link.removeprefix(public))
        assert served.status_code == 200 and served.content == clip


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 with an empty bucket."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, s3_endpoint: str) -> Any:
    """Credentials the usual AWS way (environment), and a fresh bucket; the boto3 client for checks."""
    from tests import leakscan

    leakscan.register(S3_SECRET, "AWS secret access key")
    for name, value in {
        "AWS_ACCESS_KEY_ID": "AKIAMETRONOMETEST",
        "AWS_SECRET_ACCESS_KEY": S3_SECRET,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=BUCKET)
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    return s3


async def test_video_once_to_two_networks_on_s3(
    database_url: str, aws_env: Any, s3_endpoint: str
) -> None:
    """With METRONOME_S3_BUCKET the video lives in S3 once, nowhere on disk, and both networks get it streamed from the bucket."""
    async with running_app(
        database_url,
        METRONOME_S3_BUCKET=BUCKET,
        METRONOME_S3_ENDPOINT_URL=s3_endpoint,
        METRONOME_S3_REGION="us-east-1",
    ) as server:
        cookie = await login(server.url, await make_user(server.database_url, "admin"))
        async with Client.connect(server, cookie=cookie) as admin:
            clip, media_id = await publish_one_video_twice(server, admin)
        (obj,) = aws_env.list_objects_v2(Bucket=BUCKET)["Contents"]
        assert obj["Size"] == len(clip) and obj["Key"].endswith(".mp4")
        assert aws_env.get_object(Bucket=BUCKET, Key=obj["Key"])["ContentType"] == "video/mp4"
        data_dir = server.services.settings.data_dir
        assert not list(data_dir.rglob("*.mp4"))
        async with httpx.AsyncClient(
            base_url=server.url, cookies={"metronome_session": cookie}
        ) as http:
            answer = await http.get(f"/media/{media_id}")
            assert answer.status_code == 302 and answer.headers["location"].startswith(
                f"{s3_endpoint}/{BUCKET}/"
            )
            assert (await http.get(answer.headers["location"])).content == clip

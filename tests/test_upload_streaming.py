"""A 200 MB video published to two columns never stalls the event loop nor fills the memory.

Through the running app (upload, cards, posters) to Telegram (aiogram) and Mastodon (httpx),
whose fakes run in threads of their own, so the loop measured is the app's alone; they count
and hash every byte they receive instead of keeping it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

# aiogram builds its pydantic models on import (seconds on a busy machine): not inside the
# measured publish, and not inside the app's loop at the first telegram platform.create.
import platforms.telegram  # noqa: F401
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import ThreadedServer
from tests.fakes.telegram import FakeTelegram, Uploaded
from tests.mediafiles import video
from tests.support import Client, Running, login, make_user
from tests.test_poster_media import BOT_TOKEN, CHANNEL, MASTODON_TOKEN, columns, sent

MB = 1024 * 1024
SIZE = 200 * MB
# What the issue asks: the loop probed every 5 ms never waits more than 50 ms for its turn,
# and the process grows by less than 50 MB while the video goes out twice.
PROBE_S = 0.005
MAX_STALL_S = 0.050
MAX_GROWTH = 50 * MB
# An ftyp box: enough for the sniffer to call it an MP4; the rest is a hole in the file.
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def sparse_video(path: Path, size: int) -> str:
    """Write an MP4 of ``size`` bytes (a header, then zeros the filesystem does not store); its sha256."""
    with path.open("wb") as file:
        file.write(MP4_HEAD)
        file.truncate(size)
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(8 * MB):
            digest.update(chunk)
    return digest.hexdigest()


class LoopProbe:
    """Sleeps ``interval`` again and again, noting how late each wake-up is and the peak RSS."""

    def __init__(self, interval: float = PROBE_S) -> None:
        self.interval = interval
        self.process = psutil.Process()
        self.start_rss = self.process.memory_info().rss
        self.peak_rss = self.start_rss
        self.max_stall = 0.0
        self.ticks = 0

    @property
    def growth(self) -> int:
        return self.peak_rss - self.start_rss

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.max_stall = max(self.max_stall, loop.time() - due)
            self.peak_rss = max(self.peak_rss, self.process.memory_info().rss)
            self.ticks += 1

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[LoopProbe]:
        task = asyncio.create_task(self.run(), name="loop-probe")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@contextlib.contextmanager
def counting_networks() -> Iterator[tuple[FakeTelegram, FakeMastodon]]:
    """Both fakes, each on its own thread and loop, counting what they receive."""
    telegram, mastodon = (
        FakeTelegram(BOT_TOKEN, [CHANNEL]),
        FakeMastodon(MASTODON_TOKEN, processing_polls=1),
    )
    with ThreadedServer(telegram) as tg, ThreadedServer(mastodon) as md:
        for fake, threaded in ((telegram, tg), (mastodon, md)):
            fake.keep_files = False
            fake.base_url = threaded.url
        yield telegram, mastodon


async def upload_file(server: Running, cookie: str, path: Path) -> int:
    async with httpx.AsyncClient(
        base_url=server.url, cookies={"metronome_session": cookie}, timeout=120
    ) as http:
        with path.open("rb") as file:
            answer = await http.post("/api/media", files={"file": (path.name, file, "video/mp4")})
    assert answer.status_code == 201, answer.text
    media_id: int = answer.json()["id"]
    return media_id


async def publish(admin: Client, media_id: int, *platform_ids: int, timeout: float = 20) -> None:
    cards = [
        (
            await admin.ok(
                "snippet.create",
                {"platform_id": pid, "body": "The whole interview", "media_ids": [media_id]},
            )
        )["id"]
        for pid in platform_ids
    ]

    def done(state: dict) -> bool:  # type: ignore[type-arg]
        return all(state["snippets"].get(str(i), {}).get("status") == "sent" for i in cards)

    await sent(admin, *cards)  # fails fast on a failed card
    await admin.wait_for(done, timeout=timeout)


def last_video(telegram: FakeTelegram, mastodon: FakeMastodon) -> tuple[Uploaded, Uploaded]:
    (tg_part,) = telegram.calls("/sendVideo")[-1].files.values()
    return tg_part, mastodon.calls("/api/v2/media")[-1].files["file"]


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_200_mb_video_to_two_networks_keeps_the_loop_and_memory(
    server: Running, admin: Client, tmp_path: Path
) -> None:
    """Telegram and Mastodon each receive all 200 MB; no 5 ms tick is 50 ms late; RSS grows < 50 MB."""
    cookie = await login(server.url, await make_user(server.database_url, "editor"))
    big = tmp_path / "interview.mp4"
    expected = await asyncio.to_thread(sparse_video, big, SIZE)
    with counting_networks() as (telegram, mastodon):
        tg, md = await columns(admin, telegram, mastodon)  # type: ignore[arg-type]
        # A small video first: client libraries, sessions and pools are warm before measuring.
        small = tmp_path / "small.mp4"
        small.write_bytes(video(50_000))
        await publish(admin, await upload_file(server, cookie, small), tg, md)
        media_id = await upload_file(server, cookie, big)
        gc.collect()
        async with LoopProbe().running() as probe:
            await publish(admin, media_id, tg, md, timeout=300)
        tg_video, md_video = last_video(telegram, mastodon)
    print(
        f"\n200 MB to two networks: max loop stall {probe.max_stall * 1000:.1f} ms over {probe.ticks} ticks, "
        f"RSS {probe.start_rss / MB:.0f} MB -> peak {probe.peak_rss / MB:.0f} MB (+{probe.growth / MB:.1f} MB)"
    )
    assert (tg_video.size, tg_video.sha256) == (SIZE, expected)
    assert (md_video.size, md_video.sha256, md_video.content_type) == (SIZE, expected, "video/mp4")
    assert probe.ticks > 100  # the probe ran the whole time
    assert probe.max_stall < MAX_STALL_S, f"the event loop stalled {probe.max_stall * 1000:.0f} ms"
    assert probe.growth < MAX_GROWTH, f"RSS grew {probe.growth / MB:.0f} MB"

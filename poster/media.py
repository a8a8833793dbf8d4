"""A card's media as the poster hands them to an adapter: its own uploads, else its material's.

A material names its image and video by URL. One of our own signed links
(``METRONOME_PUBLIC_URL/media/{id}``) is that stored file; an external one is downloaded into
the store once (bounded in size and time) and found by its URL afterwards, so every column
that publishes the material uses the same stored copy. Downloads reach only what the address
policy allows (fetching/, METRONOME_FETCH_ALLOW), a few at a time, each within one deadline
for all its tries.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from board.clock import Backoff
from board.db import Database, fetchrow
from fetching.policy import AddressPolicy, Refused
from fetching.transport import describe, guarded_client
from media import rows
from media.errors import MediaMissing, MediaRefused
from media.staging import CHUNK, Staged
from media.store import MediaStore
from platforms.base import Media, PlatformError, Rejected, Transient
from platforms.http import tls_context

# A CMS image server that does not answer within these is down; the card fails with a clear
# error and an editor retries it (the publish has not started).
DOWNLOAD_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
# All tries of one download together: a server that drips a byte every few seconds passes
# every read timeout, and the card waits `sending` meanwhile. A gigabyte video at 10 MB/s
# takes 100 s.
DOWNLOAD_DEADLINE_S = 300.0
DOWNLOAD_TRIES = 3
# Downloads at once per instance: the disk and the uplink are shared with the publishes.
DOWNLOADS_AT_ONCE = 4
# CDNs redirect (http -> https, a canonical host); a loop of them is a broken link.
MAX_REDIRECTS = 3


class CardMedia:
    """``await card_media(card)`` -> the Media objects for ``compose``; raises PlatformError."""

    def __init__(
        self, store: MediaStore, database: Database, clock: Any, policy: AddressPolicy
    ) -> None:
        self.store = store
        self.database = database
        self.clock = clock
        self.policy = policy
        self._http: httpx.AsyncClient | None = None  # built on first download
        self._downloads: dict[str, asyncio.Lock] = {}
        self._slots = asyncio.Semaphore(DOWNLOADS_AT_ONCE)

    async def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            verify = await tls_context()
            if self._http is None:
                self._http = guarded_client(
                    self.policy,
                    timeout=DOWNLOAD_TIMEOUT,
                    max_redirects=MAX_REDIRECTS,
                    verify=verify,
                )
        return self._http

    async def __call__(self, card: Any) -> tuple[Media, ...]:
        try:
            found = await self._rows(card)
            now = self.clock.now().timestamp()
            return tuple([await self._media(row, now) for row in found])
        except MediaMissing as exc:
            raise Rejected(f"media: {exc}") from None
        except OSError as exc:  # a full disk, an unreachable bucket: nothing went out
            raise Transient(f"media: {exc}") from None

    async def _media(self, row: Any, now: float) -> Media:
        """What an adapter gets: the stored bytes to stream, and a public URL to hand over."""
        return Media(
            kind=row.kind,
            content_type=row.content_type,
            filename=row.filename,
            size=row.size,
            public_url=await self.store.public_url(row, now),
            source=await self.store.source(row),
        )

    async def _rows(self, card: Any) -> list[Any]:
        own = [item["id"] for item in (card.media or [])]
        if not own and card.material_id is None:
            return []  # most cards: no media, and no need for a database connection
        async with self.database.connect() as db:
            if own:
                found = [await rows.by_id(db, media_id) for media_id in own]
                return [row for row in found if row is not None]
            refs = await fetchrow(
                db, "SELECT video_url, image_url FROM materials WHERE id = $1", card.material_id
            )
        return [await self._from_url(url) for url in (refs or ()) if url]

    async def _from_url(self, url: str) -> Any:
        """The stored copy of a material's media URL: ours, downloaded before, or downloaded now."""
        own = self._own_id(url)
        async with self.database.connect() as db:
            row = await (rows.by_id(db, own) if own is not None else rows.by_source_url(db, url))
        if row is not None:
            return row
        if own is not None:
            raise Rejected(f"the material names media {own}, which does not exist")
        lock = self._downloads.setdefault(url, asyncio.Lock())
        async with lock:  # two columns publishing the same material download it once
            async with self.database.connect() as db:
                row = await rows.by_source_url(db, url)
            if row is None:
                row = await self._download(url)
        self._downloads.pop(url, None)
        return row

    def _own_id(self, url: str) -> int | None:
        base = self.store.settings.public_url
        match = re.match(re.escape(base) + r"/media/(\d+)(?:[?#]|$)", url) if base else None
        return int(match.group(1)) if match else None

    async def _download(self, url: str) -> Any:
        try:
            async with self._slots, asyncio.timeout(DOWNLOAD_DEADLINE_S):
                staged = await self._tries(url)
        except (Transient, TimeoutError) as exc:
            message = (
                exc.message
                if isinstance(exc, PlatformError)
                else f"no file within {DOWNLOAD_DEADLINE_S:g} s"
            )
            raise Transient(f"could not download the material's media {url}: {message}") from None
        async with self.database.transaction() as db:
            row, _ = await self.store.save(
                db, staged, url.rsplit("/", 1)[-1].split("?")[0], source_url=url
            )
        return row

    async def _tries(self, url: str) -> Staged:
        backoff = Backoff(self.clock, 1.0, 4.0)
        while True:
            try:
                return await self._fetch(url)
            except Transient:
                if backoff.failures + 1 >= DOWNLOAD_TRIES:
                    raise
            await backoff.wait()

    async def _fetch(self, url: str) -> Staged:
        staging = await self.store.staging()
        try:
            async with (await self._client()).stream("GET", url) as response:
                if response.status_code >= 500 or response.status_code == 429:
                    raise Transient(f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise Rejected(
                        f"the material's media {url} answered HTTP {response.status_code}"
                    )
                async for chunk in response.aiter_bytes(CHUNK):
                    await asyncio.to_thread(staging.write, chunk)  # a disk write: off the loop
            return await asyncio.to_thread(staging.finish)
        except MediaRefused as exc:
            staging.discard()
            raise Rejected(f"the material's media {url}: {exc}") from None
        except Refused as exc:  # not an address we may reach: trying again changes nothing
            staging.discard()
            raise Rejected(f"the material's media {url}: {describe(exc)}") from None
        except httpx.HTTPError as exc:
            staging.discard()
            raise Transient(describe(exc)) from None
        except BaseException:
            staging.discard()
            raise

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

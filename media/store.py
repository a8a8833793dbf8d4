"""Images and videos stored once: staged, put in a backend, one row each; read back as sources.

Rows saved before S3 was configured stay readable from the disk, so the store always keeps
the local backend beside the one new media goes to.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from board.db import Db, Row
from media import rows
from media.backend import Backend, Source, backend_for
from media.errors import MediaMissing
from media.local import LocalBackend
from media.settings import MediaSettings
from media.signing import PUBLIC_URL_TTL, UrlSigner
from media.staging import Staged, Staging, safe_filename


class MediaStore:
    def __init__(self, settings: MediaSettings) -> None:
        self.settings = settings
        self.local = LocalBackend(settings.root)
        self.backend: Backend = backend_for(settings)
        self.signer = UrlSigner(settings.url_key, settings.public_url)

    @property
    def limits(self) -> dict[str, int]:
        return self.settings.limits

    async def staging(self) -> Staging:
        """A new staging file under the store's root (made in a thread: a disk may be slow)."""
        return await asyncio.to_thread(Staging, self.settings.root / ".incoming", self.limits)

    async def save(
        self,
        db: Db,
        staged: Staged,
        filename: str | None,
        *,
        user_id: int | None = None,
        source_url: str | None = None,
    ) -> tuple[Row, bool]:
        """The row for these bytes and whether it is new: same sha256, same row (stored once)."""
        existing = await rows.by_sha256(db, staged.sha256)
        if existing is None:
            key = f"{staged.sha256[:2]}/{staged.sha256}{staged.sniffed.ext}"
            # Bytes first, row second: a row never names bytes that are not there.
            await self.backend.put(key, staged.path, staged.sniffed.content_type)
            row = await rows.insert(
                db,
                kind=staged.sniffed.kind,
                content_type=staged.sniffed.content_type,
                filename=safe_filename(filename, staged.sniffed),
                size=staged.size,
                sha256=staged.sha256,
                backend=self.backend.name,
                key=key,
                source_url=source_url,
                user_id=user_id,
            )
            if row is not None:
                return row, True
            existing = await rows.by_sha256(db, staged.sha256)  # a concurrent upload won
            assert existing is not None
        await asyncio.to_thread(staged.path.unlink, missing_ok=True)
        if source_url and existing.source_url is None:
            # Remember the URL, so the material's next card finds these bytes without a download.
            await rows.set_source_url(db, existing.id, source_url)
        return existing, False

    def _backend_of(self, row: Any) -> Backend:
        if row.backend == "local":
            return self.local
        if row.backend == self.backend.name:
            return self.backend
        raise MediaMissing(f"media {row.id} is stored on S3, but METRONOME_S3_BUCKET is not set")

    async def source(self, row: Any) -> Source:
        """The row's bytes, checked to be there; raises MediaMissing naming the media."""
        try:
            return await self._backend_of(row).source(row.key, row.size)
        except MediaMissing as exc:
            raise MediaMissing(f"media {row.id} ({row.filename}): {exc}") from None

    async def local_path(self, row: Any) -> Path | None:
        """The file of a row stored on the local disk; None for other backends."""
        if row.backend != "local":
            return None
        try:
            return await self.local.local_path(row.key)
        except MediaMissing as exc:
            raise MediaMissing(f"media {row.id} ({row.filename}): {exc}") from None

    async def public_url(self, row: Any, now: float) -> str | None:
        """Where a network can fetch the file: an S3 presigned URL, else a signed app URL."""
        url = await self._backend_of(row).presign(row.key, PUBLIC_URL_TTL, row.content_type)
        return url or self.signer.signed_url(row.id, now)

"""The one interface of the places media bytes live, and the choice between them.

As encode/broadcaster picks its backends: one small module each, the S3 one (and boto3 with
it) imported only when METRONOME_S3_BUCKET chooses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol

from media.settings import MediaSettings


class Source(Protocol):
    """Stored bytes that can be read, as many times as needed."""

    def open(self) -> BinaryIO:
        """A seekable reader at the first byte. Blocking, as its reads are: call in a thread."""
        ...


class Backend(Protocol):
    name: str  # as stored in media.backend

    async def put(self, key: str, staged: Path, content_type: str) -> None:
        """Store the staged file under ``key`` (and take it away from staging)."""
        ...

    async def source(self, key: str, size: int) -> Source:
        """The bytes stored under ``key``; raises MediaMissing when they are not there."""
        ...

    async def presign(self, key: str, ttl: int, content_type: str) -> str | None:
        """A link anyone may fetch for ``ttl`` seconds, or None when the backend has none."""
        ...


def backend_for(settings: MediaSettings) -> Backend:
    """The backend new media goes to: S3 when a bucket is set, else the local disk."""
    if settings.s3_bucket:
        from media.s3 import S3Backend

        return S3Backend(settings.s3_bucket, settings.s3_endpoint_url, settings.s3_region)
    from media.local import LocalBackend

    return LocalBackend(settings.root)

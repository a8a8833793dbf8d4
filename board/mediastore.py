"""Images and videos stored once: staged while hashed and sniffed, kept on disk or S3, one row each.

It sits in board/ because it is persistence — files beside the rows that name them — shared by
the upload endpoint (web/media_api.py), the card commands and the posters (poster/media.py);
like the rest of board/ it logs nothing. S3 is chosen by METRONOME_S3_BUCKET; only then is
boto3 imported (board/s3store.py), and its synchronous calls run in a thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from board.db import Db, Row, fetchrow
from board.sniff import HEAD, SUPPORTED, Sniffed, sniff
from platforms.base import Media

MB = 1024 * 1024
# Above what any network takes for a photo (Facebook 10 MB) and a bot's video (Telegram 50 MB,
# X 512 MB); each adapter enforces its network's own limit when it publishes.
DEFAULT_MAX_IMAGE_MB = 20
DEFAULT_MAX_VIDEO_MB = 1024
# Links for networks that fetch media themselves (Instagram containers, Facebook photos): long
# enough for a container that waits in a busy queue, short enough that a leaked link soon dies.
PUBLIC_URL_TTL = 6 * 3600
CHUNK = MB


class MediaSettingError(ValueError):
    """A media setting has a value we cannot use; the message names the setting."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


class MediaRefused(ValueError):
    """The file is not one we store: the message says why; ``status`` is the HTTP answer."""

    def __init__(self, message: str, status: int = 415) -> None:
        super().__init__(message)
        self.status = status


class MediaMissing(LookupError):
    """A media row whose bytes cannot be read back (its file or its backend is gone)."""


def _url_setting(env: Mapping[str, str], name: str) -> str | None:
    raw = (env.get(name) or "").strip().rstrip("/")
    if not raw:
        return None
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", raw):
        raise MediaSettingError(name, f"expected an http(s) URL like https://board.example.org, got {raw!r}")
    return raw


def _megabytes(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name) or ""
    if not raw:
        return default * MB
    if not raw.isdigit() or int(raw) < 1:
        raise MediaSettingError(name, f"expected a whole number of megabytes, got {raw!r}")
    return int(raw) * MB


@dataclass(frozen=True)
class MediaSettings:
    root: Path  # local backend: <data dir>/media
    cache: Path  # S3 objects downloaded once for uploads to networks: <data dir>/media-cache
    url_key: bytes  # HMAC key of signed app URLs, derived from METRONOME_SECRET_KEY
    public_url: str | None  # METRONOME_PUBLIC_URL: the app's address as networks reach it
    max_image: int
    max_video: int
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str], data_dir: Path, secret_key: str) -> MediaSettings:
        return cls(
            root=data_dir / "media",
            cache=data_dir / "media-cache",
            url_key=hashlib.sha256(b"metronome/media-url/v1\0" + secret_key.encode()).digest(),
            public_url=_url_setting(env, "METRONOME_PUBLIC_URL"),
            max_image=_megabytes(env, "METRONOME_MEDIA_MAX_IMAGE_MB", DEFAULT_MAX_IMAGE_MB),
            max_video=_megabytes(env, "METRONOME_MEDIA_MAX_VIDEO_MB", DEFAULT_MAX_VIDEO_MB),
            s3_bucket=(env.get("METRONOME_S3_BUCKET") or "").strip() or None,
            s3_endpoint_url=_url_setting(env, "METRONOME_S3_ENDPOINT_URL"),
            s3_region=(env.get("METRONOME_S3_REGION") or "").strip() or None,
        )


@dataclass(frozen=True)
class Staged:
    path: Path
    sha256: str
    size: int
    sniffed: Sniffed


class Staging:
    """A file on its way in: written under the store's tmp dir while hashed, sniffed, bounded."""

    def __init__(self, directory: Path, limits: Mapping[str, int]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{secrets.token_hex(8)}.part"
        self._file: BinaryIO = self.path.open("wb")
        self._hash = hashlib.sha256()
        self._head = b""
        self._limits = limits
        self.size = 0
        self.sniffed: Sniffed | None = None

    def write(self, chunk: bytes) -> None:
        if self.sniffed is None and len(self._head) < HEAD:
            self._head += chunk[: HEAD - len(self._head)]
            if len(self._head) == HEAD:
                self._decide()
        self.size += len(chunk)
        self._check_size()
        self._file.write(chunk)
        self._hash.update(chunk)

    def _decide(self) -> None:
        self.sniffed = sniff(self._head)
        if self.sniffed is None:
            raise MediaRefused(f"not an image or video we can publish: expected {SUPPORTED}")

    def _check_size(self) -> None:
        limit = self._limits[self.sniffed.kind] if self.sniffed else max(self._limits.values())
        if self.size > limit:
            what = "an image" if self.sniffed and self.sniffed.kind == "image" else "a video"
            raise MediaRefused(f"larger than {limit // MB} MB, the limit for {what}", status=413)

    def finish(self) -> Staged:
        self._file.close()
        if self.size == 0:
            raise MediaRefused("the file is empty", status=400)
        if self.sniffed is None:
            self._decide()
        assert self.sniffed is not None
        self._check_size()
        return Staged(self.path, self._hash.hexdigest(), self.size, self.sniffed)

    def discard(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


class Backend(Protocol):
    name: str

    async def put(self, key: str, staged: Path, content_type: str) -> None: ...
    async def fetch(self, key: str, dest: Path) -> None: ...
    async def presign(self, key: str, ttl: int, content_type: str) -> str | None: ...


class LocalBackend:
    """Files under <data dir>/media, named by their sha256: a rename stores one."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / key

    async def put(self, key: str, staged: Path, content_type: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)  # the staging dir is under root: same filesystem, atomic

    async def fetch(self, key: str, dest: Path) -> None:
        raise MediaMissing("a local file is read in place")

    async def presign(self, key: str, ttl: int, content_type: str) -> str | None:
        return None  # the app signs its own URLs (MediaStore.signed_url)


def safe_filename(name: str | None, sniffed: Sniffed) -> str:
    """The uploader's name without directories or odd characters, with the sniffed extension."""
    stem = Path((name or "").replace("\\", "/")).stem
    stem = re.sub(r"[^\w.\- ]+", "", stem, flags=re.UNICODE).strip(" .")[:120]
    return f"{stem or sniffed.kind}{sniffed.ext}"


class MediaStore:
    def __init__(self, settings: MediaSettings) -> None:
        self.settings = settings
        # Rows saved before S3 was configured stay readable from the disk.
        self.local = LocalBackend(settings.root)
        self.backend: Backend = self.local
        if settings.s3_bucket:
            from board.s3store import S3Backend

            self.backend = S3Backend(settings)
        self._fetching: dict[str, asyncio.Lock] = {}

    @property
    def limits(self) -> dict[str, int]:
        return {"image": self.settings.max_image, "video": self.settings.max_video}

    def staging(self) -> Staging:
        return Staging(self.settings.root / ".incoming", self.limits)

    async def stage_file(self, source: BinaryIO) -> Staged:
        """Copy an uploaded file into staging (in a thread: it may be a gigabyte)."""

        def copy() -> Staged:
            staging = self.staging()
            try:
                while chunk := source.read(CHUNK):
                    staging.write(chunk)
                return staging.finish()
            except BaseException:
                staging.discard()
                raise

        return await asyncio.to_thread(copy)

    async def save(self, db: Db, staged: Staged, filename: str | None, *,
                   user_id: int | None = None, source_url: str | None = None) -> tuple[Row, bool]:
        """The row for these bytes and whether it is new: same sha256, same row (stored once)."""
        existing = await by_sha256(db, staged.sha256)
        if existing is None:
            key = f"{staged.sha256[:2]}/{staged.sha256}{staged.sniffed.ext}"
            # Bytes first, row second: a row never names bytes that are not there.
            await self.backend.put(key, staged.path, staged.sniffed.content_type)
            row = await fetchrow(
                db,
                "INSERT INTO media (kind, content_type, filename, size, sha256, backend, key, source_url, user_id)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (sha256) DO NOTHING RETURNING *",
                staged.sniffed.kind, staged.sniffed.content_type, safe_filename(filename, staged.sniffed),
                staged.size, staged.sha256, self.backend.name, key, source_url, user_id,
            )
            if row is not None:
                return row, True
            existing = await by_sha256(db, staged.sha256)  # a concurrent upload won
            assert existing is not None
        staged.path.unlink(missing_ok=True)
        if source_url and existing.source_url is None:
            # Remember the URL, so the material's next card finds these bytes without a download.
            await db.execute("UPDATE media SET source_url = $2 WHERE id = $1", existing.id, source_url)
        return existing, False

    # --- reading back -------------------------------------------------------------

    def _backend_of(self, row: Any) -> Backend:
        if row.backend == "local":
            return self.local
        if row.backend == self.backend.name:
            return self.backend
        raise MediaMissing(f"media {row.id} is stored on S3, but METRONOME_S3_BUCKET is not set")

    async def local_path(self, row: Any) -> Path:
        """A local file with the bytes: in place on disk, or downloaded from S3 once."""
        backend = self._backend_of(row)
        if isinstance(backend, LocalBackend):
            path = backend.path(row.key)
            if not path.is_file():
                raise MediaMissing(f"media {row.id}: {row.filename} is missing from {self.settings.root}")
            return path
        path = self.settings.cache / row.key
        lock = self._fetching.setdefault(row.key, asyncio.Lock())
        async with lock:
            if not (path.is_file() and path.stat().st_size == row.size):
                path.parent.mkdir(parents=True, exist_ok=True)
                await backend.fetch(row.key, path)
        self._fetching.pop(row.key, None)
        return path

    def sign(self, media_id: int, expires: int) -> str:
        message = f"{media_id}.{expires}".encode()
        return hmac.new(self.settings.url_key, message, hashlib.sha256).hexdigest()[:32]

    def verify(self, media_id: int, expires: str, signature: str, now: float) -> bool:
        if not expires.isdigit() or int(expires) < now:
            return False
        return hmac.compare_digest(self.sign(media_id, int(expires)), signature)

    def signed_url(self, media_id: int, now: float, ttl: int = PUBLIC_URL_TTL) -> str | None:
        """The app's own link that works without signing in, until it expires."""
        if not self.settings.public_url:
            return None
        expires = int(now) + ttl
        return f"{self.settings.public_url}/media/{media_id}?exp={expires}&sig={self.sign(media_id, expires)}"

    async def public_url(self, row: Any, now: float) -> str | None:
        """Where a network can fetch the file: an S3 presigned URL, else a signed app URL."""
        url = await self._backend_of(row).presign(row.key, PUBLIC_URL_TTL, row.content_type)
        return url or self.signed_url(row.id, now)

    async def as_media(self, row: Any, now: float) -> Media:
        """What an adapter gets: a local copy to upload and a public URL to hand over."""
        return Media(kind=row.kind, content_type=row.content_type, filename=row.filename, size=row.size,
                     public_url=await self.public_url(row, now), path=await self.local_path(row))


async def by_id(db: Db, media_id: int) -> Row | None:
    return await fetchrow(db, "SELECT * FROM media WHERE id = $1", media_id)


async def by_sha256(db: Db, sha256: str) -> Row | None:
    return await fetchrow(db, "SELECT * FROM media WHERE sha256 = $1", sha256)


async def by_source_url(db: Db, url: str) -> Row | None:
    return await fetchrow(db, "SELECT * FROM media WHERE source_url = $1 ORDER BY id DESC LIMIT 1", url)

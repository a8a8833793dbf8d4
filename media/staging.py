"""A file on its way into the store: written under the store's tmp dir while hashed, sniffed
and bounded, so nothing unknown or oversized is ever stored."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from media.errors import MediaRefused
from media.settings import MB
from media.sniff import HEAD, SUPPORTED, Sniffed, sniff

# Bytes copied at a time: large enough that a gigabyte is a thousand steps, small enough to
# hold one without noticing.
CHUNK = MB


@dataclass(frozen=True)
class Staged:
    path: Path
    sha256: str
    size: int
    sniffed: Sniffed


class Staging:
    """Blocking file writes: call ``write`` and ``finish`` in a thread (``stage_file`` does)."""

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


async def stage_file(staging: Staging, source: BinaryIO) -> Staged:
    """Copy an open file into ``staging``, in a thread: it may be a gigabyte."""

    def copy() -> Staged:
        try:
            while chunk := source.read(CHUNK):
                staging.write(chunk)
            return staging.finish()
        except BaseException:
            staging.discard()
            raise

    return await asyncio.to_thread(copy)


def safe_filename(name: str | None, sniffed: Sniffed) -> str:
    """The uploader's name without directories or odd characters, with the sniffed extension."""
    stem = Path((name or "").replace("\\", "/")).stem
    stem = re.sub(r"[^\w.\- ]+", "", stem, flags=re.UNICODE).strip(" .")[:120]
    return f"{stem or sniffed.kind}{sniffed.ext}"

"""The local-disk backend: files under <data dir>/media, named by their sha256."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import BinaryIO

from media.errors import MediaMissing


class FileSource:
    """A file on this machine's disk."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def open(self) -> BinaryIO:
        return self.path.open("rb")


class LocalBackend:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / key

    async def put(self, key: str, staged: Path, content_type: str) -> None:
        def move() -> None:
            target = self.path(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)  # the staging dir is under root: same filesystem, atomic

        await asyncio.to_thread(move)

    async def local_path(self, key: str) -> Path:
        """The file, checked to be there (a stat can wait on a slow disk: in a thread)."""
        path = self.path(key)
        if not await asyncio.to_thread(path.is_file):
            raise MediaMissing(f"{path.name} is missing from {self.root}")
        return path

    async def source(self, key: str, size: int) -> FileSource:
        return FileSource(await self.local_path(key))

    async def presign(self, key: str, ttl: int, content_type: str) -> str | None:
        return None  # the app signs its own links (media/signing.py)

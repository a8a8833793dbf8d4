"""media/s3.py against moto's S3 server: objects stored, checked and read back as streams."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest

from media.errors import MediaMissing
from media.s3 import ObjectReader, S3Backend
from tests.test_poster_media import BUCKET, aws_env, s3_endpoint  # noqa: F401  (fixtures)

DATA = os.urandom(3 * 1024 * 1024 + 17)


@pytest.fixture
async def stored(aws_env: Any, s3_endpoint: str, tmp_path: Path) -> tuple[S3Backend, str]:  # noqa: F811
    backend = S3Backend(BUCKET, s3_endpoint, "us-east-1")
    staged = tmp_path / "staged.part"
    staged.write_bytes(DATA)
    await backend.put("ab/abc.mp4", staged, "video/mp4")
    assert not staged.exists()  # taken away from staging
    return backend, "ab/abc.mp4"


async def reader_of(backend: S3Backend, key: str, size: int = len(DATA)) -> ObjectReader:
    return ObjectReader(await backend.client(), backend.bucket, key, size)


async def test_sequential_reads_stream_one_get(stored: tuple[S3Backend, str]) -> None:
    """Reading from the start to the end in pieces is one GET; the pieces are the object."""
    backend, key = stored
    reader = await reader_of(backend, key)
    pieces = []
    while piece := reader.read(1024 * 1024):
        pieces.append(piece)
    assert b"".join(pieces) == DATA and reader.gets == 1
    assert reader.read(10) == b""
    reader.close()


async def test_seek_starts_another_get_where_asked(stored: tuple[S3Backend, str]) -> None:
    """A seek back (a resumable upload's retry) reads from there; SEEK_END knows the size."""
    backend, key = stored
    reader = await reader_of(backend, key)
    assert reader.read(100) == DATA[:100]
    assert reader.seek(0, io.SEEK_END) == len(DATA)
    reader.seek(50)
    assert reader.read(100) == DATA[50:150] and reader.tell() == 150
    assert reader.gets == 2
    reader.close()


async def test_source_opens_a_buffered_seekable_reader(stored: tuple[S3Backend, str]) -> None:
    """What adapters get: open() reads the whole object back, as often as asked."""
    backend, key = stored
    source = await backend.source(key, len(DATA))
    for _ in range(2):
        with source.open() as reader:
            assert reader.seekable() and reader.read() == DATA


async def test_missing_object_is_media_missing_and_a_vanished_one_an_oserror(
    stored: tuple[S3Backend, str],
) -> None:
    """A key that is not there: MediaMissing before publishing; gone mid-way: an OSError, as a disk would."""
    backend, key = stored
    with pytest.raises(MediaMissing, match="does not exist"):
        await backend.source("ab/nothing.mp4", 1)
    reader = await reader_of(backend, "ab/nothing.mp4", 10)
    with pytest.raises(OSError, match="NoSuchKey"):
        reader.read(10)

"""platforms/upload.py: media read in chunks off the event loop, into raw and multipart bodies."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import pytest
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from media.local import FileSource
from platforms.base import Media, Rejected, Transient
from platforms.upload import CHUNK, chunks, multipart, raw

DATA = bytes(range(256)) * (3 * CHUNK // 256) + b"tail"  # three chunks and a bit


class WatchedSource:
    """A file whose reads note the thread they ran on and the largest piece asked for."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.threads: set[int] = set()
        self.largest = 0

    def open(self) -> BinaryIO:
        source = self
        self.threads.add(threading.get_ident())

        class Reader:
            def __init__(self) -> None:
                self.file = source.path.open("rb")

            def read(self, size: int = -1) -> bytes:
                source.threads.add(threading.get_ident())
                source.largest = max(source.largest, size)
                return self.file.read(size)

            def close(self) -> None:
                self.file.close()

        return Reader()  # type: ignore[return-value]


def video(tmp_path: Path, data: bytes = DATA, size: int | None = None, source: Any = None) -> Media:
    path = tmp_path / "v.mp4"
    path.write_bytes(data)
    return Media(
        kind="video",
        content_type="video/mp4",
        filename='in"ter\nview.mp4',
        size=len(data) if size is None else size,
        source=source or FileSource(path),
    )


async def received(request: Request) -> JSONResponse:
    """What a server makes of the body: Starlette's own multipart parser, or the raw bytes."""
    headers = {
        k: request.headers.get(k) for k in ("content-length", "transfer-encoding", "content-type")
    }
    if request.headers["content-type"].startswith("multipart/form-data"):
        async with request.form() as form:
            part = form["file"]
            assert isinstance(part, UploadFile)
            data = await part.read()
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            return JSONResponse(
                {
                    "headers": headers,
                    "fields": fields,
                    "filename": part.filename,
                    "type": part.content_type,
                    "data": data == DATA,
                }
            )
    body = await request.body()
    return JSONResponse({"headers": headers, "length": len(body), "data": body == DATA})


@pytest.fixture
async def http() -> Any:
    app = Starlette(routes=[Route("/", received, methods=["POST"])])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://upload.test"
    ) as client:
        yield client


async def test_chunks_are_read_in_threads_one_chunk_at_a_time(tmp_path: Path) -> None:
    """Every open and read runs off the event loop's thread, a chunk at a time, and all bytes come."""
    (tmp_path / "v.mp4").write_bytes(DATA)
    source = WatchedSource(tmp_path / "v.mp4")
    media = video(tmp_path, source=source)
    pieces = [piece async for piece in chunks(media)]
    assert b"".join(pieces) == DATA and len(pieces) == 4
    assert max(len(p) for p in pieces) == CHUNK and source.largest == CHUNK
    assert source.threads and threading.get_ident() not in source.threads


async def test_a_file_of_another_length_is_transient(tmp_path: Path) -> None:
    """A file shorter or longer than the row says would corrupt a declared length: Transient, not sent."""
    for size in (len(DATA) + 1, len(DATA) - 1):
        with pytest.raises(Transient, match=f"not the {size} stored"):
            _ = [piece async for piece in chunks(video(tmp_path, size=size))]


async def test_unreadable_file_is_transient(tmp_path: Path) -> None:
    """A file gone since it was checked fails the attempt as Transient (nothing was published)."""
    media = Media(
        kind="video",
        content_type="video/mp4",
        filename="gone.mp4",
        size=1,
        source=FileSource(tmp_path / "gone.mp4"),
    )
    with pytest.raises(Transient, match="could not read gone.mp4"):
        _ = [piece async for piece in chunks(media)]


async def test_multipart_is_a_form_servers_parse(tmp_path: Path, http: httpx.AsyncClient) -> None:
    """Fields, then the file with its (escaped) name and type; a Content-Length, not chunked encoding."""
    headers, body = multipart({"title": "Интервью", "access_token": "t"}, "file", video(tmp_path))
    answer = (await http.post("/", content=body, headers=headers)).json()
    assert answer["fields"] == {"title": "Интервью", "access_token": "t"}
    assert (answer["filename"], answer["type"], answer["data"]) == (
        "in%22ter%0Aview.mp4",
        "video/mp4",
        True,
    )
    assert answer["headers"]["transfer-encoding"] is None
    assert int(answer["headers"]["content-length"]) > len(DATA)


async def test_raw_body_streams_with_its_length_and_can_be_sent_again(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    """The raw body declares the media's length and type; sent twice (a retry), it is whole both times."""
    headers, body = raw(video(tmp_path))
    for _ in range(2):
        answer = (await http.post("/", content=body, headers=headers)).json()
        assert answer["data"] and answer["length"] == len(DATA)
        assert answer["headers"] == {
            "content-length": str(len(DATA)),
            "transfer-encoding": None,
            "content-type": "video/mp4",
        }


def test_media_without_stored_bytes_is_refused_before_a_request() -> None:
    """Building a body for media known only by URL raises Rejected at once."""
    media = Media(
        kind="image",
        content_type="image/jpeg",
        filename="a.jpg",
        size=1,
        public_url="https://cdn/a.jpg",
    )
    for build in (lambda: raw(media), lambda: multipart({}, "file", media)):
        with pytest.raises(Rejected, match="a.jpg has no stored copy to upload"):
            build()

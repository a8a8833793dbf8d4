"""Media bytes on their way to a network: read in chunks off the event loop, one chunk held.

A video may be a gigabyte, on a disk or in S3. Every read runs in a thread, so no timer, no
poster and no fanout waits on it, and only the chunk being sent is in memory. httpx takes the
result as a request body (an async iterable), raw (``Body``) or inside a multipart form
(``multipart``); aiogram takes it through its own InputFile interface (platforms/telegram.py);
the synchronous YouTube client reads ``Media.open()`` in its own thread.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Mapping

from platforms.base import Media, Transient

# 1 MiB: a 200 MB video is 200 thread hops (~20 ms of CPU in all), and one chunk is noise in
# the process's memory.
CHUNK = 1024 * 1024


def unreadable(media: Media, exc: OSError) -> Transient:
    return Transient(f"could not read {media.filename}: {exc}")


async def chunks(media: Media, size: int = CHUNK) -> AsyncIterator[bytes]:
    """The media's bytes, ``size`` at a time, each read in a thread.

    A file that cannot be read, or whose length is not the stored one (the request declared
    it), raises Transient: nothing was published."""
    try:
        reader = await asyncio.to_thread(media.open)
    except OSError as exc:
        raise unreadable(media, exc) from None
    try:
        total = 0
        while True:
            try:
                chunk = await asyncio.to_thread(reader.read, size)
            except OSError as exc:
                raise unreadable(media, exc) from None
            if not chunk:
                break
            total += len(chunk)
            if total > media.size:
                break
            yield chunk
    finally:
        reader.close()  # a file or an HTTP body: closing does no I/O worth a thread
    if total != media.size:
        raise Transient(f"{media.filename} has {total} bytes, not the {media.size} stored")


class Body:
    """A request body that streams: iterable again, so a retried request sends it anew."""

    def __init__(self, parts: Callable[[], AsyncIterator[bytes]]) -> None:
        self._parts = parts

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._parts()


def raw(media: Media) -> tuple[dict[str, str], Body]:
    """The media as the whole request body: its headers (a known length) and the body."""
    media.stored()  # refused before any request starts
    headers = {"Content-Type": media.content_type, "Content-Length": str(media.size)}
    return headers, Body(lambda: chunks(media))


def _quote(value: str) -> str:
    # As browsers (and httpx) escape form names and filenames: the WHATWG HTML rule.
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def multipart(fields: Mapping[str, str], name: str, media: Media) -> tuple[dict[str, str], Body]:
    """A multipart/form-data body of ``fields`` then the media as part ``name``, streamed.

    httpx's own ``files=`` reads file objects on the event loop, so the form is written here;
    its length is known, so it goes with a Content-Length, as browsers send forms."""
    media.stored()  # refused before any request starts
    boundary = secrets.token_hex(16)
    head = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(key)}"\r\n\r\n{value}\r\n'.encode()
            for key, value in fields.items()
        )
        + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"; '
            f'filename="{_quote(media.filename)}"\r\nContent-Type: {media.content_type}\r\n\r\n'
        ).encode()
    )
    tail = f"\r\n--{boundary}--\r\n".encode()

    async def parts() -> AsyncIterator[bytes]:
        yield head
        async for chunk in chunks(media):
            yield chunk
        yield tail

    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + media.size + len(tail)),
    }
    return headers, Body(parts)

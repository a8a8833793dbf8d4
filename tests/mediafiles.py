"""Small image and video files with the right magic bytes, and uploading them to a running app."""

from __future__ import annotations

import os
from typing import Any

import httpx

# Just enough of each format for the sniffer; networks' fakes do not decode pixels.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 500
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def video(size: int = 300_000) -> bytes:
    """An 'MP4' (an ftyp box, then random bytes): unique per call, so never deduplicated by accident."""
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + os.urandom(size)


async def upload(
    base_url: str,
    data: bytes,
    filename: str = "clip.mp4",
    *,
    token: str | None = None,
    cookie: str | None = None,
    content_type: str = "application/octet-stream",
) -> httpx.Response:
    headers: dict[str, str] = {"Authorization": f"Bearer {token}"} if token else {}
    cookies: Any = {"metronome_session": cookie} if cookie else None
    async with httpx.AsyncClient(base_url=base_url, cookies=cookies, timeout=30) as http:
        return await http.post(
            "/api/media", headers=headers, files={"file": (filename, data, content_type)}
        )

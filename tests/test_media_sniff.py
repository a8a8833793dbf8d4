"""media/sniff.py: what a file is, from its first bytes."""

from __future__ import annotations

import pytest

from media.sniff import sniff
from tests.mediafiles import JPEG, PNG, video


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (video(10), "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x01", "video/webm"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", None),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00", None),
        (b"<html><script>", None),
        (b"%PDF-1.7", None),
    ],
    # Named by what is expected, not by the bytes: a video's random tail would name the test
    # differently in each pytest-xdist worker, which refuses to run a suite collected unalike.
    ids=["jpeg", "png", "gif", "webp", "mp4", "quicktime", "webm", "heic", "m4a", "html", "pdf"],
)
def test_sniff(head: bytes, expected: str | None) -> None:
    """The format comes from the first bytes; HEIC, HTML and PDF are not media we take."""
    found = sniff(head[:64])
    assert (found.content_type if found else None) == expected

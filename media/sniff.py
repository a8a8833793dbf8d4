"""What a file is, from its first bytes: the upload's own Content-Type is never trusted.

Only the formats networks take for posts: JPEG, PNG, GIF and WebP images; MP4, QuickTime and
WebM videos. Anything else (HEIC, PDFs, HTML renamed to .jpg) is refused at upload.
"""

from __future__ import annotations

from dataclasses import dataclass

# Bytes read to decide: ftyp boxes and RIFF headers sit within the first 16.
HEAD = 64


@dataclass(frozen=True)
class Sniffed:
    kind: str  # "image" | "video"
    content_type: str
    ext: str


JPEG = Sniffed("image", "image/jpeg", ".jpg")
PNG = Sniffed("image", "image/png", ".png")
GIF = Sniffed("image", "image/gif", ".gif")
WEBP = Sniffed("image", "image/webp", ".webp")
MP4 = Sniffed("video", "video/mp4", ".mp4")
MOV = Sniffed("video", "video/quicktime", ".mov")
WEBM = Sniffed("video", "video/webm", ".webm")

# ISO base media brands that are not videos: still images (HEIF/AVIF) and audio (M4A/M4B/M4P).
NOT_VIDEO_BRANDS = {
    b"heic",
    b"heix",
    b"hevc",
    b"heim",
    b"heis",
    b"mif1",
    b"msf1",
    b"avif",
    b"avis",
    b"M4A ",
    b"M4B ",
    b"M4P ",
}
SUPPORTED = "JPEG, PNG, GIF or WebP images; MP4, MOV or WebM videos"


def sniff(head: bytes) -> Sniffed | None:
    """The format of a file starting with ``head``, or None when it is not one we take."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM (Matroska's web profile)
        return WEBM
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in NOT_VIDEO_BRANDS:
            return None
        return MOV if brand == b"qt  " else MP4
    return None

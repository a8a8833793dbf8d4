"""The media settings, read once from the environment when the app is built."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from media.errors import MediaSettingError

MB = 1024 * 1024
# Above what any network takes for a photo (Facebook 10 MB) and a bot's video (Telegram 50 MB,
# X 512 MB); each adapter enforces its network's own limit when it publishes.
DEFAULT_MAX_IMAGE_MB = 20
DEFAULT_MAX_VIDEO_MB = 1024


def _url_setting(env: Mapping[str, str], name: str) -> str | None:
    raw = (env.get(name) or "").strip().rstrip("/")
    if not raw:
        return None
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", raw):
        raise MediaSettingError(
            name, f"expected an http(s) URL like https://board.example.org, got {raw!r}"
        )
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
    url_key: bytes  # HMAC key of signed app URLs, derived from METRONOME_SECRET_KEY
    public_url: str | None  # METRONOME_PUBLIC_URL: the app's address as networks reach it
    max_image: int
    max_video: int
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str], data_dir: Path, secret_key: str) -> MediaSettings:
        """The settings from ``env``; raises MediaSettingError naming the first unusable one."""
        return cls(
            root=data_dir / "media",
            url_key=hashlib.sha256(b"metronome/media-url/v1\0" + secret_key.encode()).digest(),
            public_url=_url_setting(env, "METRONOME_PUBLIC_URL"),
            max_image=_megabytes(env, "METRONOME_MEDIA_MAX_IMAGE_MB", DEFAULT_MAX_IMAGE_MB),
            max_video=_megabytes(env, "METRONOME_MEDIA_MAX_VIDEO_MB", DEFAULT_MAX_VIDEO_MB),
            s3_bucket=(env.get("METRONOME_S3_BUCKET") or "").strip() or None,
            s3_endpoint_url=_url_setting(env, "METRONOME_S3_ENDPOINT_URL"),
            s3_region=(env.get("METRONOME_S3_REGION") or "").strip() or None,
        )

    @property
    def limits(self) -> dict[str, int]:
        """The largest file accepted, per kind."""
        return {"image": self.max_image, "video": self.max_video}

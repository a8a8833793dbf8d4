"""X (Twitter) API v2: ``POST /2/tweets`` with a user token, media through chunked upload.

Media go INIT -> APPEND (chunks) -> FINALIZE on ``/2/media/upload``, then STATUS polling while
X processes a video. The ``x-rate-limit-*`` (15-minute window) and ``x-*-limit-24hour-*``
headers are read on every answer: once a window is used up we wait for its reset ourselves.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import unicodedata
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from platforms import http as nethttp
from platforms import upload as streamed
from platforms.base import (
    Adapter,
    AuthRejected,
    Column,
    Identity,
    InvalidSettings,
    Media,
    OutcomeUnknown,
    PlatformError,
    Post,
    RateLimited,
    Receipt,
    Rejected,
    Transient,
)

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.x.com"
TEXT_LIMIT = 280
URL_LENGTH = 23  # every link counts as a t.co link of 23 characters
URL_RE = re.compile(r"https?://\S+")
CHUNK_BYTES = 4 * 1024 * 1024  # APPEND takes at most 5 MB a chunk
DEFAULT_MEDIA_TIMEOUT_S = 300.0
# X's windows are 15 minutes; without a reset header we wait one out.
DEFAULT_RATE_WAIT_S = 900.0
WINDOWS = (
    ("x-rate-limit-remaining", "x-rate-limit-reset"),
    ("x-user-limit-24hour-remaining", "x-user-limit-24hour-reset"),
    ("x-app-limit-24hour-remaining", "x-app-limit-24hour-reset"),
)


def weighted_length(text: str) -> int:
    """The length X counts, as twitter-text does: links 23, most CJK and emoji code points 2."""
    length = URL_LENGTH * len(URL_RE.findall(text))
    for char in unicodedata.normalize("NFC", URL_RE.sub("", text)):
        cp = ord(char)
        light = cp <= 4351 or 8192 <= cp <= 8205 or 8208 <= cp <= 8223 or 8242 <= cp <= 8247
        length += 1 if light else 2
    return length


def reset_wait(headers: Mapping[str, str], exhausted_only: bool = True) -> float | None:
    """Seconds until the latest reset among the used-up windows (any window when not exhausted_only)."""
    waits = []
    for remaining, reset in WINDOWS:
        if reset in headers and (not exhausted_only or headers.get(remaining) == "0"):
            try:
                waits.append(float(headers[reset]) - time.time())
            except ValueError:
                continue
    return max(0.0, max(waits)) if waits else None


def x_error(response: httpx.Response) -> PlatformError:
    """Map an X error answer (RFC 7807 problem JSON) onto a typed error."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    first = (body.get("errors") or [{}])[0] if isinstance(body.get("errors"), list) else {}
    detail = str(body.get("detail") or first.get("message") or nethttp.short_body(response))[:300]
    message = f"X {response.status_code} {body.get('title', '')}: {detail}".replace(" :", ":")
    status = response.status_code
    if status == 429:
        exhausted = reset_wait(response.headers) or reset_wait(
            response.headers, exhausted_only=False
        )
        wait = exhausted or nethttp.retry_after_seconds(
            response.headers.get("retry-after"), DEFAULT_RATE_WAIT_S
        )
        return RateLimited(wait, message)
    if status == 401:
        return AuthRejected(message)
    if status == 403 and "duplicate" in detail.lower():
        return OutcomeUnknown(message)  # X refuses a second identical post: the first may be ours
    if status == 403 and any(
        word in str(body.get("type", ""))
        for word in ("client-forbidden", "unsupported-authentication")
    ):
        return AuthRejected(message)
    if status >= 500:
        return Transient(message)
    return Rejected(message)


class XAdapter(Adapter):
    kind: ClassVar[str] = "x"
    text_limit: ClassVar[int | None] = TEXT_LIMIT
    setting_keys: ClassVar[tuple[str, ...]] = (
        "api_base",
        "username",
        "timeout_s",
        "media_timeout_s",
    )
    secret_keys: ClassVar[tuple[str, ...]] = ("access_token",)

    def __init__(self, column: Column, http: httpx.AsyncClient) -> None:
        super().__init__(column, http)
        settings = column.settings
        self.api_base = str(settings.get("api_base") or DEFAULT_API_BASE).rstrip("/")
        self.username = str(settings.get("username") or "").lstrip("@")
        timeout = settings.get("timeout_s")
        self.timeout = httpx.Timeout(float(timeout)) if timeout else nethttp.DEFAULT_TIMEOUT
        self.media_timeout = float(settings.get("media_timeout_s") or DEFAULT_MEDIA_TIMEOUT_S)
        self.headers = {"Authorization": f"Bearer {column.secrets['access_token']}"}
        # Endpoint path -> when its used-up window resets (time.time()).
        self.blocked_until: dict[str, float] = {}
        self.log = log.getChild(str(column.id))

    @classmethod
    def validate(cls, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        base = str(settings.get("api_base") or DEFAULT_API_BASE)
        if not base.startswith(("http://", "https://")):
            raise InvalidSettings(
                "api_base", f"expected an http(s) URL such as {DEFAULT_API_BASE}, got {base!r}"
            )
        username = str(settings.get("username") or "").lstrip("@")
        if username and not re.fullmatch(r"\w{1,15}", username):
            raise InvalidSettings(
                "username",
                f"expected the account's handle such as newsroom (1-15 letters, digits or _), got {username!r}",
            )
        for key in ("timeout_s", "media_timeout_s"):
            value = settings.get(key)
            if value is not None and (not isinstance(value, int | float) or value <= 0):
                raise InvalidSettings(key, f"expected a number of seconds above 0, got {value!r}")
        if not secrets.get("access_token"):
            raise InvalidSettings(
                "access_token",
                "required: an OAuth 2.0 user access token with tweet.write, users.read and media.write",
            )

    def not_blocked(self, path: str) -> None:
        wait = self.blocked_until.get(path, 0.0) - time.time()
        if wait > 0:
            raise RateLimited(wait, f"X rate limit for {path} used up: it resets in {wait:.0f} s")

    async def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        self.not_blocked(path)
        url = f"{self.api_base}{path}"
        response = await nethttp.send(
            lambda: self.http.request(
                method, url, headers=self.headers, timeout=self.timeout, **kwargs
            )
        )
        wait = reset_wait(response.headers)
        if wait:
            self.blocked_until[path] = time.time() + wait
        if not response.is_success:
            raise x_error(response)
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        return (body.get("data") or {}) if isinstance(body, dict) else {}

    async def check(self) -> Identity:
        """``GET /2/users/me``: the account the token posts as."""
        try:
            me = await self.call("GET", "/2/users/me")
        except AuthRejected as exc:
            exc.field = "access_token"
            raise
        username = str(me.get("username") or "")
        if not username:
            raise Rejected("X did not name the token's account", field="access_token")
        warning = None
        if self.username and self.username.lower() != username.lower():
            warning = (
                f"the username setting says @{self.username}, but the token posts as"
                f" @{username}: links would point there"
            )
        return Identity(
            account=f"{me.get('name') or username} (@{username})",
            url=f"https://x.com/{username}",
            warning=warning,
        )

    async def upload(self, media: Media) -> str:
        """Chunked upload of one image or video; returns its media id once X can use it."""
        category = "tweet_video" if media.kind == "video" else "tweet_image"
        init = await self.call(
            "POST",
            "/2/media/upload",
            files=form(
                command="INIT",
                media_type=media.content_type,
                total_bytes=media.size,
                media_category=category,
            ),
        )
        media_id = str(init["id"])
        index = 0
        # One APPEND per chunk, each read off the loop: one chunk in memory at a time.
        async for data in streamed.chunks(media, CHUNK_BYTES):
            chunk = (media.filename, data, "application/octet-stream")
            await self.call(
                "POST",
                "/2/media/upload",
                files={
                    **form(command="APPEND", media_id=media_id, segment_index=index),
                    "media": chunk,
                },
            )
            index += 1
        final = await self.call(
            "POST", "/2/media/upload", files=form(command="FINALIZE", media_id=media_id)
        )
        await self.wait_processed(media_id, final.get("processing_info"))
        return media_id

    async def wait_processed(self, media_id: str, info: Mapping[str, Any] | None) -> None:
        deadline = time.monotonic() + self.media_timeout
        while info and info.get("state") != "succeeded":
            if info.get("state") == "failed":
                error = info.get("error") or {}
                raise Rejected(
                    f"X could not process the media: {error.get('message') or error.get('name') or 'failed'}"
                )
            delay = float(info.get("check_after_secs", 1))
            if time.monotonic() + delay > deadline:
                raise Transient(
                    f"X still processing the media after {self.media_timeout:g} s; nothing was posted"
                )
            await asyncio.sleep(delay)
            status = await self.call(
                "GET", "/2/media/upload", params={"command": "STATUS", "media_id": media_id}
            )
            info = status.get("processing_info")

    async def publish(self, post: Post) -> Receipt:
        length = weighted_length(post.text)
        if length > TEXT_LIMIT:
            raise Rejected(
                f"the text counts {length} characters on X, which allows {TEXT_LIMIT} (each link counts {URL_LENGTH})"
            )
        self.not_blocked("/2/tweets")
        body: dict[str, Any] = {"text": post.text}
        media = post.video or post.image
        if media is not None:
            try:
                body["media"] = {"media_ids": [await self.upload(media)]}
            except OutcomeUnknown as exc:
                raise Transient(f"X media upload got no answer: {exc.message}") from exc
        tweet = await self.call("POST", "/2/tweets", json=body)
        tweet_id = str(tweet["id"])
        self.log.info("published post %s", tweet_id, extra={"action": "published"})
        author = self.username or "i/web"
        return Receipt(remote_id=tweet_id, remote_url=f"https://x.com/{author}/status/{tweet_id}")


def form(**fields: Any) -> dict[str, tuple[None, str]]:
    """Plain fields of a multipart body (the media endpoint takes multipart/form-data throughout)."""
    return {name: (None, str(value)) for name, value in fields.items()}


PLATFORM = XAdapter

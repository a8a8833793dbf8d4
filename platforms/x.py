"""X (Twitter) API v2: ``POST /2/tweets`` with a user token, media through chunked upload.

OAuth 2.0 user access tokens live two hours. With a refresh token (the ``offline.access``
scope) and the app's client id, the column's keeper (poster/tokens.py) renews them before they
lapse at ``POST /2/oauth2/token``; each renewal also replaces the refresh token, so the new
pair is stored at once. A 401 while publishing renews once and tries again (a 401 means
nothing was posted), when a store for the new pair is attached (``renewed``); a watcher's look
does not renew (``RENEW_ON_REFUSAL``): it only retries when the keeper renewed meanwhile.

Media go INIT -> APPEND (chunks) -> FINALIZE on ``/2/media/upload``, then STATUS polling while
X processes a video. The ``x-rate-limit-*`` (15-minute window) and ``x-*-limit-24hour-*``
headers are read on every answer: once a window is used up we wait for its reset ourselves.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import time
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
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
    RemotePost,
    Seen,
    Transient,
)
from platforms.recent import MAX_PAGES, parse_time
from platforms.tokens import RENEW_ON_REFUSAL, Renewed, TokenHealth

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
TOKEN_PATH = "/2/oauth2/token"
# Access tokens live 7200 s; the keeper renews this long before the end, so a renewal that
# fails (X down for a few minutes) is tried again while the old token still works.
RENEW_AHEAD_S = 900.0
MIN_RENEW_S = 60.0  # never renew more often than this, whatever X says of a token's life
TIMELINE_PAGE = 100  # max_results of /2/users/:id/tweets


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


def token_error(response: httpx.Response, body: Mapping[str, Any]) -> PlatformError:
    """Map an answer of the token endpoint (RFC 6749 ``{"error", "error_description"}``)."""
    status = response.status_code
    code = str(body.get("error") or "")
    detail = str(body.get("error_description") or code or nethttp.short_body(response))[:300]
    if status == 429:
        return RateLimited(reset_wait(response.headers, exhausted_only=False) or 60.0, detail)
    if status >= 500:
        return Transient(f"X could not renew the access token now: HTTP {status}")
    if status == 401 or code in ("unauthorized_client", "invalid_client"):
        return AuthRejected(
            f"X refused the app's client credentials when renewing the token ({detail}):"
            " check client_id and client_secret",
            field="client_secret",
        )
    return AuthRejected(
        f"X refused the refresh token ({detail}): authorize the column again",
        field="refresh_token",
    )


class XAdapter(Adapter):
    kind: ClassVar[str] = "x"
    text_limit: ClassVar[int | None] = TEXT_LIMIT
    setting_keys: ClassVar[tuple[str, ...]] = (
        "api_base",
        "username",
        "timeout_s",
        "media_timeout_s",
        "client_id",
    )
    secret_keys: ClassVar[tuple[str, ...]] = ("access_token", "refresh_token", "client_secret")
    watchable: ClassVar[bool] = True

    def __init__(self, column: Column, http: httpx.AsyncClient) -> None:
        super().__init__(column, http)
        settings = column.settings
        self.api_base = str(settings.get("api_base") or DEFAULT_API_BASE).rstrip("/")
        self.username = str(settings.get("username") or "").lstrip("@")
        timeout = settings.get("timeout_s")
        self.timeout = httpx.Timeout(float(timeout)) if timeout else nethttp.DEFAULT_TIMEOUT
        self.media_timeout = float(settings.get("media_timeout_s") or DEFAULT_MEDIA_TIMEOUT_S)
        self.token = column.secrets.get("access_token") or ""
        self.refresh_token = column.secrets.get("refresh_token") or ""
        self.client_id = str(settings.get("client_id") or "")
        self.client_secret = column.secrets.get("client_secret") or ""
        # Stores a pair renewed while publishing (poster/tokens.py attaches it); without it a
        # 401 is not renewed here, since a rotated refresh token nobody stores is lost.
        self.renewed: Renewed | None = None
        self._renewing = asyncio.Lock()
        # Endpoint path -> when its used-up window resets (time.time()).
        self.blocked_until: dict[str, float] = {}
        self.log = log.getChild(str(column.id))
        self._me: dict[str, Any] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

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
        if secrets.get("refresh_token") and not settings.get("client_id"):
            raise InvalidSettings(
                "client_id",
                "required with a refresh_token: the OAuth 2.0 client id of the app it was issued to",
            )
        if secrets.get("client_secret") and not secrets.get("refresh_token"):
            raise InvalidSettings(
                "refresh_token",
                "required with a client_secret: the secret is only used to renew tokens",
            )
        if not secrets.get("access_token"):
            raise InvalidSettings(
                "access_token",
                "required: an OAuth 2.0 user access token with tweet.write, users.read and"
                " media.write",
            )

    def not_blocked(self, path: str) -> None:
        wait = self.blocked_until.get(path, 0.0) - time.time()
        if wait > 0:
            raise RateLimited(wait, f"X rate limit for {path} used up: it resets in {wait:.0f} s")

    async def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body = await self.call_whole(method, path, **kwargs)
        return (body.get("data") or {}) if isinstance(body.get("data"), dict) else {}

    async def call_whole(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One call; the whole JSON answer (``data``, ``meta``…). A 401 renews the token once
        (when a store is attached) and tries again: X refused the request, nothing happened."""
        self.not_blocked(path)
        url = f"{self.api_base}{path}"
        for attempt in (1, 2):
            used = self.token
            response = await nethttp.send(
                lambda: self.http.request(
                    method, url, headers=self.headers, timeout=self.timeout, **kwargs
                )
            )
            wait = reset_wait(response.headers)
            if wait:
                self.blocked_until[path] = time.time() + wait
            if response.status_code == 401 and attempt == 1 and self.token != used:
                continue  # renewed meanwhile (by the keeper): the new token is tried, once
            renewable = self.refresh_token and self.renewed is not None and RENEW_ON_REFUSAL.get()
            if response.status_code == 401 and attempt == 1 and renewable:
                self.log.info(
                    "access token refused; renewing it", extra={"action": "x.token_renew"}
                )
                await self.renew_now(used)
                continue
            if not response.is_success:
                raise x_error(response)
            break
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        return body if isinstance(body, dict) else {}

    async def renew_now(self, refused: str) -> None:
        """Renew while publishing (unless another task did since ``refused`` was used), and
        store the new pair before it is used."""
        async with self._renewing:
            if self.token != refused and self.token:
                return
            used = self.refresh_token
            renewed, _ = await self._renew()
            if self.renewed is not None:
                await self.renewed(renewed, used)

    async def _renew(self) -> tuple[dict[str, str], float]:
        """``POST /2/oauth2/token`` with the refresh token: the new pair and its lifetime (s).
        The caller holds ``_renewing``."""
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self.refresh_token,
            "client_id": self.client_id,
        }
        # A confidential client authenticates with Basic auth; a public one sends client_id alone.
        headers = {}
        if self.client_secret:
            pair = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        url = f"{self.api_base}{TOKEN_PATH}"
        response = await nethttp.send(
            lambda: self.http.post(url, data=form, headers=headers, timeout=self.timeout)
        )
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        if not response.is_success or not body.get("access_token"):
            raise token_error(response, body)
        self.token = str(body["access_token"])
        # X rotates refresh tokens; should one answer without a new one, the old one stays.
        self.refresh_token = str(body.get("refresh_token") or self.refresh_token)
        lifetime = float(body.get("expires_in") or 7200)
        self.log.info(
            "access token renewed; it lasts %.0f s", lifetime, extra={"action": "x.token_renewed"}
        )
        return {"access_token": self.token, "refresh_token": self.refresh_token}, lifetime

    async def token_health(self) -> TokenHealth:
        """Renew the access token ahead of its end (with a refresh token); without one there is
        nothing to renew and X does not say when a token ends."""
        if not self.refresh_token:
            return TokenHealth()
        async with self._renewing:
            used = self.refresh_token
            renewed, lifetime = await self._renew()
        return TokenHealth(
            renewed=renewed,
            renewed_from=used,
            check_again_s=max(MIN_RENEW_S, lifetime - RENEW_AHEAD_S),
        )

    async def me(self) -> dict[str, Any]:
        """``GET /2/users/me``, once per adapter: the account's id and handle."""
        if self._me is None:
            self._me = await self.call("GET", "/2/users/me")
        return self._me

    async def recent_posts(self, since: datetime, cursor: str | None) -> Seen:
        """``GET /2/users/:id/tweets`` after the last look's newest id (``since_id``), without
        reposts and replies: the account's own posts, as its followers' timelines show them."""
        me = await self.me()
        user_id = str(me.get("id") or "")
        if not user_id:
            raise Rejected("X did not say the token's account id", field="access_token")
        handle = self.username or str(me.get("username") or "") or "i/web"
        params: dict[str, Any] = {
            "max_results": TIMELINE_PAGE,
            "tweet.fields": "created_at",
            "exclude": "replies,retweets",
            "start_time": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if cursor and cursor.isdigit():
            params["since_id"] = cursor
        found: dict[str, RemotePost] = {}
        for _ in range(MAX_PAGES):
            page = await self.call_whole("GET", f"/2/users/{user_id}/tweets", params=params)
            for item in page.get("data") or []:
                posted_at = parse_time(item.get("created_at")) if isinstance(item, dict) else None
                if posted_at is None or not str(item.get("id", "")).isdigit():
                    continue
                tweet_id = str(item["id"])
                found[tweet_id] = RemotePost(
                    remote_id=tweet_id,
                    posted_at=posted_at,
                    text=str(item.get("text") or ""),
                    remote_url=f"https://x.com/{handle}/status/{tweet_id}",
                )
            token = (page.get("meta") or {}).get("next_token")
            if not token:
                break
            params["pagination_token"] = token
        posts = tuple(sorted(found.values(), key=lambda p: (p.posted_at, int(p.remote_id))))
        newest = max((int(p.remote_id) for p in posts), default=None)
        if newest is not None and cursor and cursor.isdigit():
            newest = max(newest, int(cursor))
        return Seen(posts, str(newest) if newest is not None else cursor)

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

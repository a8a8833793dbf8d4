"""Mastodon account: ``POST /api/v1/statuses`` with an ``Idempotency-Key``, media through
``POST /api/v2/media`` (202 → poll ``GET /api/v1/media/:id`` until its ``url`` is set).

Also home to the few helpers the telegram and bluesky adapters share (base URL and timeout
checks, rate-limit resets), kept here because this module imports nothing heavy.
"""

from __future__ import annotations

import asyncio
import email.utils
import html.parser
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
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

log = logging.getLogger(__name__)

TEXT_LIMIT = 500
# Mastodon counts every link as 23 characters, whatever its length.
URL_RE = re.compile(r"https?://\S+")
URL_WEIGHT = 23
# Mastodon keeps an Idempotency-Key for 1 hour; we trust a re-POST for a little less.
IDEMPOTENCY_TRUST_S = 50 * 60
# Video processing on a busy instance takes a while; past this the card is retried later.
MEDIA_PROCESSING_S = 300.0
# accounts/:id/statuses answers at most 40 a call; a look reads a few pages at most.
STATUSES_PAGE = 40
STATUSES_PAGES = 3


def check_base_url(field: str, value: Any, example: str) -> None:
    """An http(s) base URL with a host, as every adapter's API base must be."""
    try:
        url = httpx.URL(value) if isinstance(value, str) else None
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise InvalidSettings(field, f"expected an http(s) URL such as {example}, got {value!r}")


def check_timeout(settings: Mapping[str, Any]) -> None:
    """The optional ``timeout_s`` setting: seconds above 0."""
    timeout = settings.get("timeout_s")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        raise InvalidSettings("timeout_s", f"expected a number of seconds above 0, got {timeout!r}")


def request_timeout(settings: Mapping[str, Any]) -> httpx.Timeout:
    timeout = settings.get("timeout_s")
    return httpx.Timeout(float(timeout)) if timeout else nethttp.DEFAULT_TIMEOUT


def seconds_until(reset: datetime, response: httpx.Response) -> float:
    """Seconds from the server's ``Date`` (our clock may be off) until ``reset``."""
    try:
        now = email.utils.parsedate_to_datetime(response.headers["date"]).timestamp()
    except (KeyError, TypeError, ValueError):
        now = time.time()
    return max(0.0, reset.timestamp() - now)


def status_length(text: str) -> int:
    return len(URL_RE.sub("x" * URL_WEIGHT, text))


@dataclass(frozen=True)
class Attempt:
    """A status request as first sent, so that reconcile() can send exactly the same again."""

    at: float
    data: dict[str, Any]


class MastodonAdapter(Adapter):
    kind: ClassVar[str] = "mastodon"
    text_limit: ClassVar[int | None] = TEXT_LIMIT
    setting_keys: ClassVar[tuple[str, ...]] = ("instance_url", "timeout_s")
    secret_keys: ClassVar[tuple[str, ...]] = ("access_token",)
    watchable: ClassVar[bool] = True

    def __init__(
        self,
        column: Column,
        http: httpx.AsyncClient,
        *,
        poll_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(column, http)
        self.base = str(column.settings.get("instance_url", "")).rstrip("/")
        self.timeout = request_timeout(column.settings)
        self.poll_interval = poll_interval
        self.log = log.getChild(str(column.id))
        self._clock = clock
        self._attempts: dict[str, Attempt] = {}
        self._account_id: str | None = None

    @classmethod
    def validate(cls, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        check_base_url("instance_url", settings.get("instance_url"), "https://mastodon.social")
        check_timeout(settings)
        token = secrets.get("access_token") or ""
        if not token:
            raise InvalidSettings(
                "access_token",
                "required: an access token with the write:statuses and write:media scopes",
            )
        if any(c.isspace() for c in token):
            raise InvalidSettings(
                "access_token",
                "malformed: a token has no spaces (paste only the token, without 'Bearer')",
            )

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {self.column.secrets.get('access_token', '')}",
            **kwargs.pop("headers", {}),
        }
        url = f"{self.base}{path}"
        response = await nethttp.send(
            lambda: self.http.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
        )
        if response.status_code == 429:
            raise RateLimited(rate_limit_wait(response), f"Mastodon: HTTP 429 on {path}")
        if response.status_code == 404 and path == "/api/v1/statuses":
            raise AuthRejected(
                f"Mastodon: {self.base} does not serve /api/v1/statuses; check instance_url"
            )
        nethttp.raise_for_status(response, detail=error_text(response))
        return response

    async def check(self) -> Identity:
        """verify_credentials: the token's own account. A token with only the write scopes
        the docs ask for may not read it; it still publishes, which the answer says."""
        path = "/api/v1/accounts/verify_credentials"
        try:
            response = await self.request("GET", path)
        except AuthRejected as exc:
            if "outside the authorized scopes" in exc.message:
                host = httpx.URL(self.base).host
                return Identity(
                    account=f"an account on {host}",
                    warning="the token may post but not read its own account (add the profile scope to see its name)",
                )
            raise AuthRejected(exc.message, field="access_token") from None
        except (Rejected, OutcomeUnknown) as exc:  # a 404 or a page that is not Mastodon's
            raise type(exc)(
                f"{self.base} does not answer as a Mastodon instance: {exc.message}",
                field="instance_url",
            ) from None
        try:
            account = response.json()
        except ValueError:
            account = None
        if not isinstance(account, dict) or "acct" not in account:
            raise Rejected(
                f"{self.base} does not answer as a Mastodon instance", field="instance_url"
            )
        host = httpx.URL(self.base).host
        name = account.get("display_name") or account["acct"]
        return Identity(account=f"{name} (@{account['acct']}@{host})", url=account.get("url"))

    async def upload(self, media: Media) -> str:
        """Upload one attachment and wait until the instance has processed it; its id."""
        headers, body = streamed.multipart({}, "file", media)
        response = await self.request("POST", "/api/v2/media", content=body, headers=headers)
        attachment = response.json()
        deadline = self._clock() + MEDIA_PROCESSING_S
        # 200: processed (small images); 202: processing, poll until GET answers 200 with a url.
        while response.status_code != 200 or not attachment.get("url"):
            if self._clock() > deadline:
                raise Transient(
                    f"Mastodon: {media.filename} still processing after {MEDIA_PROCESSING_S:g} s"
                )
            await asyncio.sleep(self.poll_interval)
            response = await self.request("GET", f"/api/v1/media/{attachment['id']}")
            if response.status_code == 200:
                attachment = response.json()
        return str(attachment["id"])

    async def publish(self, post: Post) -> Receipt:
        if status_length(post.text) > TEXT_LIMIT:
            raise Rejected(
                f"text counts {status_length(post.text)} characters (links count 23); Mastodon allows {TEXT_LIMIT}"
            )
        key = idempotency_key(post)
        now = self._clock()
        self._attempts = {
            k: a for k, a in self._attempts.items() if now - a.at < IDEMPOTENCY_TRUST_S
        }
        attempt = self._attempts.get(key)
        if attempt is None:  # a retry of the same key sends the same request, media included
            attempt = self._attempts[key] = Attempt(now, await self.status_data(post))
        return await self.post_status(key, attempt.data)

    async def status_data(self, post: Post) -> dict[str, Any]:
        # One video, or up to four images: Mastodon does not mix them.
        media = [post.video] if post.video else [m for m in post.media if m.kind == "image"][:4]
        try:
            media_ids = [await self.upload(m) for m in media]
        except OutcomeUnknown as exc:
            # An attachment is not a post: nothing is published until the status goes out.
            raise Transient(f"Mastodon media upload got no answer: {exc.message}") from exc
        data: dict[str, Any] = {"status": post.text}
        if media_ids:
            data["media_ids[]"] = media_ids
        return data

    async def post_status(self, key: str, data: dict[str, Any]) -> Receipt:
        response = await self.request(
            "POST", "/api/v1/statuses", data=data, headers={"Idempotency-Key": key}
        )
        status = response.json()
        self.log.info("published status %s", status["id"], extra={"action": "published"})
        return Receipt(
            remote_id=str(status["id"]), remote_url=status.get("url") or status.get("uri")
        )

    async def reconcile(self, post: Post) -> Receipt | None:
        # Re-POST rather than look up: Mastodon offers no lookup by our key, but for an hour it
        # answers a repeated Idempotency-Key with the status the first request created (and
        # creates it now if that request never arrived), so the same request IS the lookup.
        # Beyond that hour, or after a restart (when we no longer know when it was first
        # sent), a re-POST could post twice: None, and an editor decides.
        key = idempotency_key(post)
        attempt = self._attempts.get(key)
        if attempt is None or self._clock() - attempt.at > IDEMPOTENCY_TRUST_S:
            return None
        try:
            return await self.post_status(key, attempt.data)
        except PlatformError as exc:
            self.log.warning("reconcile of snippet %s failed: %s", post.snippet_id, exc.message)
            return None

    async def account_id(self) -> str:
        """The token's own account id (verify_credentials, asked once)."""
        if self._account_id is None:
            response = await self.request("GET", "/api/v1/accounts/verify_credentials")
            account = response.json()
            if not isinstance(account, dict) or "id" not in account:
                raise Rejected(f"{self.base} does not answer as a Mastodon instance")
            self._account_id = str(account["id"])
        return self._account_id

    async def recent_posts(self, since: datetime, cursor: str | None) -> Seen:
        """The account's own statuses (``accounts/:id/statuses``, boosts and replies to others
        left out: they are not posts of the column's rhythm) newer than the cursor, the newest
        status id seen (``since_id``), and not older than ``since``; newest first, a few pages."""
        path = f"/api/v1/accounts/{await self.account_id()}/statuses"
        params: dict[str, Any] = {
            "limit": STATUSES_PAGE,
            "exclude_reblogs": "true",
            "exclude_replies": "true",
        }
        if cursor:
            params["since_id"] = cursor
        posts: dict[str, RemotePost] = {}
        for _ in range(STATUSES_PAGES):
            response = await self.request("GET", path, params=params)
            page = response.json()
            if not isinstance(page, list):
                raise Transient(f"Mastodon: {path} answered {nethttp.short_body(response)}")
            older = False
            for status in page:
                posted_at = datetime.fromisoformat(str(status["created_at"]))
                if posted_at < since:
                    older = True
                    continue
                posts[str(status["id"])] = RemotePost(
                    remote_id=str(status["id"]),
                    posted_at=posted_at,
                    text=html_text(str(status.get("content") or "")),
                    remote_url=status.get("url") or status.get("uri"),
                )
            if older or len(page) < STATUSES_PAGE:
                break
            params["max_id"] = str(page[-1]["id"])
        ids = [int(i) for i in posts if i.isdigit()] + (
            [int(cursor)] if cursor and cursor.isdigit() else []
        )
        ordered = sorted(posts.values(), key=lambda p: p.posted_at)
        return Seen(tuple(ordered), str(max(ids)) if ids else cursor)


class _Text(html.parser.HTMLParser):
    """A status's HTML as its plain text: paragraphs and line breaks kept as new lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(content: str) -> str:
    parser = _Text()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts).strip()


def idempotency_key(post: Post) -> str:
    """The card's key for the network; one per card when the poster gave none."""
    return post.idempotency_key or f"metronome-{post.platform_id}-{post.snippet_id}"


def rate_limit_wait(response: httpx.Response) -> float:
    """From Retry-After if a proxy sent one, else Mastodon's X-RateLimit-Reset (ISO 8601)."""
    if "retry-after" in response.headers:
        return nethttp.retry_after_seconds(response.headers["retry-after"])
    try:
        return seconds_until(
            datetime.fromisoformat(response.headers["x-ratelimit-reset"]), response
        )
    except (KeyError, ValueError):
        return 60.0


def error_text(response: httpx.Response) -> str:
    """Mastodon's ``{"error": …}`` message, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"][:300]
    return nethttp.short_body(response)


PLATFORM = MastodonAdapter

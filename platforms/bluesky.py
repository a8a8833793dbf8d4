"""Bluesky account on its PDS, over XRPC: a kept session (``createSession`` once, then
``refreshSession``), ``uploadBlob`` for media, and ``createRecord`` of an ``app.bsky.feed.post``
under a record key derived from the card, so that a retry can never post twice.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
from platforms.limits import SlidingWindow
from platforms.mastodon import (
    check_base_url,
    check_timeout,
    idempotency_key,
    request_timeout,
    seconds_until,
)

log = logging.getLogger(__name__)

DEFAULT_SERVICE = "https://bsky.social"
COLLECTION = "app.bsky.feed.post"
TEXT_LIMIT = 300  # graphemes, per the app.bsky.feed.post lexicon
IMAGE_MAX_BYTES = 1_000_000  # app.bsky.embed.images
VIDEO_MAX_BYTES = 100_000_000  # app.bsky.embed.video
HANDLE_RE = re.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
)
APP_PASSWORD_RE = re.compile(r"^[a-zA-Z0-9]{4}(-[a-zA-Z0-9]{4}){3}$")
URL_RE = re.compile(r"https?://\S+")
TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"
# Record-key timestamps come from a hash, inside 2020-01-01 + 2**47 µs (about 4.5 years):
# always in the past, never a valid TID in the future.
TID_EPOCH_US = 1_577_836_800_000_000
TID_SPAN_US = 2**47
# listRecords answers at most 100 records a call; a look reads one page.
RECORDS_PAGE = 100


def record_key(post: Post) -> str:
    """A TID derived from the card's idempotency key: the same card always gets the same key.

    The lexicon declares ``key: tid`` and the AppView does not show posts under other keys, so
    the key is a syntactically valid TID whose timestamp and clock id come from a hash.
    """
    digest = hashlib.sha256(f"{post.platform_id}:{idempotency_key(post)}".encode()).digest()
    value = int.from_bytes(digest[:8], "big")
    tid = ((TID_EPOCH_US + (value >> 10) % TID_SPAN_US) << 10) | (value & 0x3FF)
    return "".join(TID_CHARS[(tid >> (5 * i)) & 31] for i in reversed(range(13)))


def graphemes(text: str) -> int:
    """User-perceived characters, close to what the PDS counts (without a segmentation library):
    combining marks, variation selectors, skin tones, ZWJ sequences and flag pairs join."""
    count, prev, open_flag = 0, "", False
    for ch in text:
        cp = ord(ch)
        flag = 0x1F1E6 <= cp <= 0x1F1FF
        joins = (
            unicodedata.category(ch) in ("Mn", "Me", "Mc")
            or cp == 0x200D
            or prev == "\u200d"
            or 0xFE00 <= cp <= 0xFE0F
            or 0x1F3FB <= cp <= 0x1F3FF
            or 0xE0020 <= cp <= 0xE007F
            or (flag and open_flag)
            or (prev == "\r" and ch == "\n")
        )
        count += not joins
        open_flag = flag and not open_flag
        prev = ch
    return count


def link_facets(text: str) -> list[dict[str, Any]]:
    """A link facet per URL in ``text``, indexed in UTF-8 bytes as the lexicon requires."""
    facets = []
    for match in URL_RE.finditer(text):
        url = match.group().rstrip(".,;:!?»\"')")
        start = len(text[: match.start()].encode())
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": start + len(url.encode())},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
            }
        )
    return facets


@dataclass(frozen=True)
class Session:
    did: str
    handle: str
    access: str
    refresh: str

    @classmethod
    def from_answer(cls, body: Mapping[str, Any]) -> Session:
        return cls(
            str(body["did"]), str(body["handle"]), str(body["accessJwt"]), str(body["refreshJwt"])
        )


class BlueskyAdapter(Adapter):
    kind: ClassVar[str] = "bluesky"
    text_limit: ClassVar[int | None] = TEXT_LIMIT
    setting_keys: ClassVar[tuple[str, ...]] = ("service", "handle", "timeout_s")
    secret_keys: ClassVar[tuple[str, ...]] = ("app_password",)
    watchable: ClassVar[bool] = True

    def __init__(
        self,
        column: Column,
        http: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(column, http)
        self.service = str(column.settings.get("service") or DEFAULT_SERVICE).rstrip("/")
        self.handle = str(column.settings.get("handle", "")).lstrip("@")
        self.timeout = request_timeout(column.settings)
        # createSession is limited to 30 per 5 minutes and 300 a day per account.
        self.logins = (
            SlidingWindow(30, 300.0, clock=clock),
            SlidingWindow(300, 86400.0, clock=clock),
        )
        self.log = log.getChild(str(column.id))
        self._session: Session | None = None

    @classmethod
    def validate(cls, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        check_base_url("service", settings.get("service") or DEFAULT_SERVICE, DEFAULT_SERVICE)
        handle = str(settings.get("handle") or "").lstrip("@")
        if not HANDLE_RE.match(handle):
            raise InvalidSettings(
                "handle",
                f"expected the account's handle such as newsroom.bsky.social, got {settings.get('handle')!r}",
            )
        check_timeout(settings)
        password = secrets.get("app_password") or ""
        if not APP_PASSWORD_RE.match(password):
            raise InvalidSettings(
                "app_password",
                "expected an app password like xxxx-xxxx-xxxx-xxxx (Settings → Privacy and security → App passwords), not the account's password",
            )

    async def send(
        self, method: str, nsid: str, token: str | None, **kwargs: Any
    ) -> httpx.Response:
        headers = {
            **kwargs.pop("headers", {}),
            **({"Authorization": f"Bearer {token}"} if token else {}),
        }
        url = f"{self.service}/xrpc/{nsid}"
        response = await nethttp.send(
            lambda: self.http.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
        )
        if response.status_code == 429:
            raise RateLimited(rate_limit_wait(response), f"Bluesky: HTTP 429 on {nsid}")
        return response

    async def session_send(
        self, method: str, nsid: str, token: str | None, **kwargs: Any
    ) -> httpx.Response:
        """A request that publishes nothing: no answer means try again, not "maybe posted"."""
        try:
            return await self.send(method, nsid, token, **kwargs)
        except OutcomeUnknown as exc:
            raise Transient(f"Bluesky {nsid} got no answer: {exc.message}") from exc

    async def login(self) -> Session:
        for window in self.logins:
            window.check("Bluesky logins (createSession)")
        for window in self.logins:
            window.record()
        password = self.column.secrets.get("app_password", "")
        response = await self.session_send(
            "POST",
            "com.atproto.server.createSession",
            None,
            json={"identifier": self.handle, "password": password},
        )
        if 400 <= response.status_code < 500:
            raise AuthRejected(
                f"Bluesky refused the login of {self.handle}: {error_text(response)}"
            )
        raise_for(response)
        self._session = Session.from_answer(response.json())
        self.log.info("logged in as %s", self._session.did, extra={"action": "login"})
        return self._session

    async def check(self) -> Identity:
        """createSession, as publishing starts: the handle and password are the account's."""
        try:
            session = await self.login()
        except AuthRejected as exc:
            exc.field = "app_password"
            raise
        return Identity(
            account=f"@{session.handle}", url=f"https://bsky.app/profile/{session.handle}"
        )

    async def refresh(self, stale: Session) -> Session:
        """A new token pair from the refresh token; log in again only when that is refused."""
        response = await self.session_send(
            "POST", "com.atproto.server.refreshSession", stale.refresh
        )
        if response.is_success:
            self._session = Session.from_answer(response.json())
            return self._session
        if response.status_code >= 500:
            raise_for(response)
        return await self.login()

    async def xrpc(
        self, method: str, nsid: str, *, publishes: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """An authenticated call; an expired or refused access token is renewed and the call made again."""
        session = self._session or await self.login()
        send = self.send if publishes else self.session_send
        response = await send(method, nsid, session.access, **kwargs)
        if response.status_code == 401 or error_name(response) in ("ExpiredToken", "InvalidToken"):
            # Refused before anything was written: repeating the call is safe.
            session = await self.refresh(session)
            response = await send(method, nsid, session.access, **kwargs)
        return response

    async def upload(self, media: Media, max_bytes: int) -> dict[str, Any]:
        if media.size > max_bytes:
            raise Rejected(
                f"{media.filename} is {media.size} bytes; Bluesky takes a {media.kind} up to {max_bytes}"
            )
        headers, body = streamed.raw(media)
        response = await self.xrpc(
            "POST", "com.atproto.repo.uploadBlob", content=body, headers=headers
        )
        raise_for(response)
        blob: dict[str, Any] = response.json()["blob"]
        return blob

    async def embed(self, post: Post) -> dict[str, Any] | None:
        alt = post.title or ""
        if post.video is not None:
            return {
                "$type": "app.bsky.embed.video",
                "video": await self.upload(post.video, VIDEO_MAX_BYTES),
                "alt": alt,
            }
        images = [m for m in post.media if m.kind == "image"][:4]
        if images:
            return {
                "$type": "app.bsky.embed.images",
                "images": [
                    {"image": await self.upload(m, IMAGE_MAX_BYTES), "alt": alt} for m in images
                ],
            }
        if post.url:
            external = {
                "uri": post.url,
                "title": post.title or post.url,
                "description": post.description or "",
            }
            return {"$type": "app.bsky.embed.external", "external": external}
        return None

    def text(self, post: Post) -> str:
        if graphemes(post.text) <= TEXT_LIMIT:
            return post.text
        if post.url and not post.media and graphemes(post.body) <= TEXT_LIMIT:
            return post.body  # the link still goes out, as the link card
        raise Rejected(f"text is {graphemes(post.text)} characters; Bluesky allows {TEXT_LIMIT}")

    async def publish(self, post: Post) -> Receipt:
        text, rkey = self.text(post), record_key(post)
        embed = await self.embed(post)
        record: dict[str, Any] = {
            "$type": COLLECTION,
            "text": text,
            "createdAt": datetime.now(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        }
        if facets := link_facets(text):
            record["facets"] = facets
        if embed:
            record["embed"] = embed
        session = self._session or await self.login()
        body = {"repo": session.did, "collection": COLLECTION, "rkey": rkey, "record": record}
        response = await self.xrpc(
            "POST", "com.atproto.repo.createRecord", publishes=True, json=body
        )
        if response.is_success:
            self.log.info("published post %s", rkey, extra={"action": "published"})
            return self.receipt(str(response.json()["uri"]), rkey)
        # The reference PDS answers a second create under an existing key with a bare 500,
        # others with 409 RecordAlreadyExists: either way, ask whether the record is there.
        duplicate = response.status_code == 409 or "already exists" in error_text(response).lower()
        if duplicate or (response.status_code >= 500 and await self.find(rkey) is not None):
            raise OutcomeUnknown(
                f"Bluesky: duplicate: a post with record key {rkey} already exists"
            )
        raise_for(response)
        raise Transient(f"Bluesky createRecord: unexpected HTTP {response.status_code}")

    async def find(self, rkey: str) -> Receipt | None:
        session = self._session or await self.login()
        params = {"repo": session.did, "collection": COLLECTION, "rkey": rkey}
        response = await self.xrpc("GET", "com.atproto.repo.getRecord", params=params)
        if response.status_code == 200:
            return self.receipt(str(response.json()["uri"]), rkey)
        if error_name(response) == "RecordNotFound":
            return None
        raise_for(response)
        return None

    async def reconcile(self, post: Post) -> Receipt | None:
        # Look the record up by its key; if it is not there, publishing again is safe: the
        # key is the card's, so the PDS refuses a second record under it. Anything unclear
        # (errors, a race with a create still in flight) leaves the card to an editor.
        try:
            return await self.find(record_key(post)) or await self.publish(post)
        except PlatformError as exc:
            self.log.warning("reconcile of snippet %s failed: %s", post.snippet_id, exc.message)
            return None

    async def recent_posts(self, since: datetime, cursor: str | None) -> Seen:
        """The account's posts (``com.atproto.repo.listRecords`` of ``app.bsky.feed.post`` in its
        own repo, newest record key first; replies to other accounts left out) whose key comes
        after the cursor, the newest key seen, and whose ``createdAt`` is not before ``since``.

        Record keys of posts made in an app are TIDs of their creation time, so new ones list
        first. Ours carry keys derived from the card (``record_key``), which list among older
        ones: on a first look they are found and recognised by their URI; afterwards the cursor
        passes over them."""
        session = self._session or await self.login()
        params = {"repo": session.did, "collection": COLLECTION, "limit": RECORDS_PAGE}
        response = await self.xrpc("GET", "com.atproto.repo.listRecords", params=params)
        raise_for(response)
        body = response.json()
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list):
            raise Transient(f"Bluesky listRecords answered {nethttp.short_body(response)}")
        posts: list[RemotePost] = []
        newest = cursor
        for item in records:
            uri = str(item.get("uri", ""))
            rkey = uri.rsplit("/", 1)[-1]
            if cursor is not None and rkey <= cursor:
                continue
            newest = max(newest or rkey, rkey)
            value = item.get("value") or {}
            parent = str(((value.get("reply") or {}).get("parent") or {}).get("uri", ""))
            if parent and not parent.startswith(f"at://{session.did}/"):
                continue
            try:
                posted_at = datetime.fromisoformat(str(value.get("createdAt")))
            except ValueError:
                continue
            if posted_at.tzinfo is None:
                posted_at = posted_at.replace(tzinfo=UTC)
            if posted_at < since:
                continue
            handle = session.handle or self.handle
            posts.append(
                RemotePost(
                    remote_id=uri,
                    posted_at=posted_at,
                    text=str(value.get("text") or ""),
                    remote_url=f"https://bsky.app/profile/{handle}/post/{rkey}",
                )
            )
        posts.sort(key=lambda p: p.posted_at)
        return Seen(tuple(posts), newest)

    def receipt(self, uri: str, rkey: str) -> Receipt:
        handle = self._session.handle if self._session else self.handle
        return Receipt(remote_id=uri, remote_url=f"https://bsky.app/profile/{handle}/post/{rkey}")


def error_name(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""


def error_text(response: httpx.Response) -> str:
    """XRPC's ``{"error", "message"}``, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "error" in body:
        return f"{body['error']}: {str(body.get('message', ''))[:300]}"
    return nethttp.short_body(response)


def raise_for(response: httpx.Response) -> None:
    nethttp.raise_for_status(response, detail=error_text(response))


def rate_limit_wait(response: httpx.Response) -> float:
    """Retry-After if a proxy sent one, else the PDS's RateLimit-Reset (epoch seconds)."""
    if "retry-after" in response.headers:
        return nethttp.retry_after_seconds(response.headers["retry-after"])
    try:
        return seconds_until(
            datetime.fromtimestamp(float(response.headers["ratelimit-reset"]), UTC), response
        )
    except (KeyError, ValueError, OverflowError):
        return 60.0


PLATFORM = BlueskyAdapter

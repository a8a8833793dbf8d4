"""Instagram professional account: a container on ``/{ig}/media``, then ``/{ig}/media_publish``.

Instagram fetches media by URL (``Media.public_url``) and has no text-only posts. Videos go out
as reels. A container is not public until ``media_publish``, so every failure before that call
is safe to retry; only a publish call without an answer leaves the outcome unknown.
The account's publishing quota is read from ``content_publishing_limit`` before each post.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx

from platforms.base import (
    Adapter,
    Column,
    Identity,
    InvalidSettings,
    OutcomeUnknown,
    Post,
    RateLimited,
    Receipt,
    Rejected,
    RemotePost,
    Seen,
    Transient,
)
from platforms.graph import GraphClient, app_token, validate_graph
from platforms.recent import TimeMark, newer, parse_time
from platforms.tokens import TokenHealth

log = logging.getLogger(__name__)

# Meta asks to check a container's status about once a minute for no more than five minutes.
DEFAULT_POLL_INTERVAL_S = 60.0
DEFAULT_POLL_TIMEOUT_S = 300.0
MEDIA_FIELDS = "id,caption,timestamp,permalink"
MEDIA_PAGE = 50


class InstagramAdapter(Adapter):
    kind: ClassVar[str] = "instagram"
    text_limit: ClassVar[int | None] = 2200
    setting_keys: ClassVar[tuple[str, ...]] = (
        "ig_user_id",
        "graph_version",
        "api_base",
        "timeout_s",
        "poll_interval_s",
        "poll_timeout_s",
        "app_id",
    )
    secret_keys: ClassVar[tuple[str, ...]] = ("access_token", "app_secret")
    watchable: ClassVar[bool] = True

    def __init__(self, column: Column, http: httpx.AsyncClient) -> None:
        super().__init__(column, http)
        settings = column.settings
        self.ig_user_id = str(settings["ig_user_id"])
        self.poll_interval = float(settings.get("poll_interval_s") or DEFAULT_POLL_INTERVAL_S)
        self.poll_timeout = float(settings.get("poll_timeout_s") or DEFAULT_POLL_TIMEOUT_S)
        self.log = log.getChild(str(column.id))
        self.graph = GraphClient(http, settings, column.secrets["access_token"], self.log)

    @classmethod
    def validate(cls, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        validate_graph(settings, secrets, "ig_user_id", "Instagram professional account")
        for key in ("poll_interval_s", "poll_timeout_s"):
            value = settings.get(key)
            if value is not None and (not isinstance(value, int | float) or value <= 0):
                raise InvalidSettings(key, f"expected a number of seconds above 0, got {value!r}")

    async def check(self) -> Identity:
        """Graph /me (whose token), then the Instagram account it is to publish to."""
        me = await self.graph.me()
        try:
            account = await self.graph.request(
                "GET", self.ig_user_id, params={"fields": "username,name"}
            )
        except Rejected as exc:
            exc.field = "ig_user_id"
            raise
        username = str(account.get("username") or self.ig_user_id)
        return Identity(
            account=f"@{username}",
            target=None,
            url=f"https://www.instagram.com/{username}/",
            warning=None if me.get("id") else "Graph did not say whose token this is",
        )

    async def check_quota(self) -> None:
        """RateLimited when the account has used its publishing quota (50 a day at the time of writing)."""
        answer = await self.graph.request(
            "GET",
            f"{self.ig_user_id}/content_publishing_limit",
            params={"fields": "config,quota_usage"},
        )
        entry = (answer.get("data") or [{}])[0]
        config = entry.get("config") or {}
        used, total = int(entry.get("quota_usage") or 0), int(config.get("quota_total") or 0)
        if total and used >= total:
            # The window rolls; on average a slot frees every duration/total seconds, then we ask again.
            duration = float(config.get("quota_duration") or 86400)
            raise RateLimited(
                duration / total,
                f"Instagram publishing quota used: {used} of {total} per {duration:g} s",
            )

    async def wait_until_ready(self, container_id: str) -> None:
        deadline = time.monotonic() + self.poll_timeout
        while True:
            answer = await self.graph.request(
                "GET", container_id, params={"fields": "status_code,status"}
            )
            status = answer.get("status_code")
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status == "ERROR":
                raise Rejected(
                    f"Instagram could not process the media: {answer.get('status') or 'ERROR'}"
                )
            if status == "EXPIRED":
                raise Transient(
                    "the Instagram container expired before publishing; a new one is made on retry"
                )
            if time.monotonic() + self.poll_interval > deadline:
                raise Transient(
                    f"Instagram still processing the media after {self.poll_timeout:g} s; nothing was published"
                )
            await asyncio.sleep(self.poll_interval)

    async def publish(self, post: Post) -> Receipt:
        media = post.video or post.image
        if media is None:
            raise Rejected("Instagram posts need an image or a video; this card has neither")
        if not media.public_url:
            raise Rejected(
                f"Instagram fetches media by URL, and {media.filename} has no public URL"
            )
        self.graph.check()
        try:
            await self.check_quota()
            data = {"caption": post.text}
            if media.kind == "video":
                data.update(media_type="REELS", video_url=media.public_url)
            else:
                data["image_url"] = media.public_url
            container = await self.graph.request("POST", f"{self.ig_user_id}/media", data=data)
            container_id = str(container["id"])
            await self.wait_until_ready(container_id)
        except OutcomeUnknown as exc:
            # No answer before media_publish: at most an unpublished container exists.
            raise Transient(f"Instagram did not answer before publishing: {exc.message}") from exc
        published = await self.graph.request(
            "POST", f"{self.ig_user_id}/media_publish", data={"creation_id": container_id}
        )
        media_id = str(published["id"])
        self.log.info("published media %s", media_id, extra={"action": "published"})
        return Receipt(remote_id=media_id, remote_url=await self.graph.field(media_id, "permalink"))

    async def recent_posts(self, since: datetime, cursor: str | None) -> Seen:
        """The account's media (``/{ig}/media``, newest first), read back to the last look."""
        mark = TimeMark.parse(cursor)
        items = await self.graph.listing(
            f"{self.ig_user_id}/media",
            {"fields": MEDIA_FIELDS, "limit": MEDIA_PAGE},
            max(since, mark.at) if mark else since,
            "timestamp",
        )
        found, next_cursor = newer(filter(None, map(ig_media, items)), since, cursor)
        return Seen(found, next_cursor)

    async def token_health(self) -> TokenHealth:
        """``debug_token`` on graph.facebook.com: when the token (or its data access) lapses."""
        secrets = self.column.secrets
        expires = await self.graph.token_expiry(app_token(self.column.settings, secrets))
        return TokenHealth(expires_at=expires)


def ig_media(item: dict[str, Any]) -> RemotePost | None:
    """An IG media as the watcher takes it (``permalink`` is left out for copyrighted media)."""
    posted_at = parse_time(item.get("timestamp"))
    if not item.get("id") or posted_at is None:
        return None
    return RemotePost(
        remote_id=str(item["id"]),
        posted_at=posted_at,
        text=str(item.get("caption") or ""),
        remote_url=permalink if isinstance(permalink := item.get("permalink"), str) else None,
    )


PLATFORM = InstagramAdapter

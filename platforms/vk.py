"""VK community wall: ``wall.post`` with a link, an uploaded photo or an uploaded video.

VK answers HTTP 200 even for errors (``{"error": {"error_code", "error_msg"}}``), so the body
decides. Photos go through ``photos.getWallUploadServer`` -> upload -> ``photos.saveWallPhoto``,
videos through ``video.save`` -> upload; both become ``attachments`` of one ``wall.post``.
"""

from __future__ import annotations

import asyncio
import logging
import time
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
from platforms.limits import SlidingWindow

log = logging.getLogger(__name__)

API_VERSION = "5.199"
DEFAULT_API_BASE = "https://api.vk.com"
# VK allows a user token 3 API calls a second; more get error 6.
CALLS_PER_SECOND = 3

AUTH_ERRORS = {5, 15, 17, 27, 28}
# error 6: too many calls a second; 9: flood control (too many similar posts);
# 29: the method's daily limit. VK sends no retry-after, so these are our waits.
RATE_LIMIT_WAIT_S = {6: 1.0, 9: 3600.0, 29: 3600.0}
TRANSIENT_ERRORS = {1, 10}
# Reconciling looks for the card's text among the wall's latest posts of the last hours; older
# twins are someone else's post, not this attempt.
RECONCILE_POSTS = 20
RECONCILE_WINDOW_S = 6 * 3600
# wall.get answers at most 100 posts a call; a look reads a few pages at most.
WALL_PAGE = 100
WALL_PAGES = 3


def vk_error(error: Mapping[str, Any]) -> PlatformError:
    """Map a VK ``error`` object onto a typed error (never quoting request params: they hold the token)."""
    code = error.get("error_code")
    message = f"VK error {code}: {str(error.get('error_msg', ''))[:200]}"
    if code in AUTH_ERRORS:
        return AuthRejected(message)
    if code in RATE_LIMIT_WAIT_S:
        return RateLimited(RATE_LIMIT_WAIT_S[code], message)
    if code in TRANSIENT_ERRORS:
        return Transient(message)
    return Rejected(message)


class VKAdapter(Adapter):
    kind: ClassVar[str] = "vk"
    text_limit: ClassVar[int | None] = 16384
    setting_keys: ClassVar[tuple[str, ...]] = ("group_id", "api_base", "timeout_s")
    secret_keys: ClassVar[tuple[str, ...]] = ("access_token",)
    watchable: ClassVar[bool] = True

    def __init__(self, column: Column, http: httpx.AsyncClient) -> None:
        super().__init__(column, http)
        settings = column.settings
        self.group_id = str(settings["group_id"]).lstrip("-")
        self.api_base = str(settings.get("api_base") or DEFAULT_API_BASE).rstrip("/")
        timeout = settings.get("timeout_s")
        self.timeout = httpx.Timeout(float(timeout)) if timeout else nethttp.DEFAULT_TIMEOUT
        self.window = SlidingWindow(CALLS_PER_SECOND, 1.0)
        self.log = log.getChild(str(column.id))

    @classmethod
    def validate(cls, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        group = str(settings.get("group_id", "")).lstrip("-")
        if not group.isdigit():
            raise InvalidSettings(
                "group_id",
                f"expected the community's numeric id such as 12345, got {settings.get('group_id')!r}",
            )
        base = str(settings.get("api_base") or DEFAULT_API_BASE)
        if not base.startswith(("http://", "https://")):
            raise InvalidSettings(
                "api_base", f"expected an http(s) URL such as {DEFAULT_API_BASE}, got {base!r}"
            )
        timeout = settings.get("timeout_s")
        if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
            raise InvalidSettings(
                "timeout_s", f"expected a number of seconds above 0, got {timeout!r}"
            )
        if not secrets.get("access_token"):
            raise InvalidSettings(
                "access_token",
                "required: a user access token of a community admin with the wall, photos and video scopes",
            )

    async def call(self, method: str, **params: Any) -> Any:
        """One API method; returns its ``response``. Our own rate window is waited out inside a publish."""
        await asyncio.sleep(self.window.wait_time())
        self.window.record()
        data = {
            **{k: str(v) for k, v in params.items()},
            "v": API_VERSION,
            "access_token": self.column.secrets["access_token"],
        }
        url = f"{self.api_base}/method/{method}"
        response = await nethttp.send(lambda: self.http.post(url, data=data, timeout=self.timeout))
        body = _json(response)
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            raise vk_error(body["error"])
        nethttp.raise_for_status(response)
        if not isinstance(body, dict) or "response" not in body:
            raise Transient(f"VK {method}: unexpected answer {nethttp.short_body(response)}")
        return body["response"]

    async def check(self) -> Identity:
        """groups.getById: the community, and whether the token's user may post as it."""
        try:
            answer = await self.call(
                "groups.getById", group_id=self.group_id, fields="is_admin,admin_level"
            )
        except (AuthRejected, Rejected) as exc:
            exc.field = "access_token" if isinstance(exc, AuthRejected) else "group_id"
            raise
        groups = answer.get("groups") if isinstance(answer, dict) else answer  # 5.199 / older shape
        if not isinstance(groups, list) or not groups or not isinstance(groups[0], dict):
            raise Rejected(f"VK knows no community {self.group_id}", field="group_id")
        group = groups[0]
        name = str(group.get("name") or self.group_id)
        screen = str(group.get("screen_name") or f"club{self.group_id}")
        warning = None
        # admin_level 2 (editor) or 3 (administrator) may post as the community.
        if not group.get("is_admin") or int(group.get("admin_level") or 0) < 2:
            warning = f"the token's user is not an editor or administrator of {name}: it cannot post as the community"
        return Identity(account=name, url=f"https://vk.com/{screen}", warning=warning)

    async def upload(self, url: str, field: str, media: Media) -> dict[str, Any]:
        """POST the file to an upload server VK gave us; its JSON answer is passed on to the save method."""
        headers, body = streamed.multipart({}, field, media)
        response = await nethttp.send(
            lambda: self.http.post(url, content=body, headers=headers, timeout=self.timeout)
        )
        nethttp.raise_for_status(response)
        body = _json(response)
        if not isinstance(body, dict) or body.get("error"):
            raise Rejected(f"VK upload refused the {media.kind}: {nethttp.short_body(response)}")
        return body

    async def attach_photo(self, media: Media) -> str:
        server = await self.call("photos.getWallUploadServer", group_id=self.group_id)
        uploaded = await self.upload(server["upload_url"], "photo", media)
        if uploaded.get("photo") in (None, "", "[]"):
            raise Rejected(f"VK upload server took no photo from {media.filename}")
        saved = await self.call(
            "photos.saveWallPhoto",
            group_id=self.group_id,
            server=uploaded["server"],
            photo=uploaded["photo"],
            hash=uploaded["hash"],
        )
        photo = saved[0]
        return f"photo{photo['owner_id']}_{photo['id']}"

    async def attach_video(self, media: Media, post: Post) -> str:
        # wallpost=0: the video joins our own wall.post, so we learn the post's id.
        saved = await self.call(
            "video.save",
            group_id=self.group_id,
            wallpost=0,
            name=(post.title or post.body)[:128],
            description=post.text,
        )
        await self.upload(saved["upload_url"], "video_file", media)
        return f"video{saved['owner_id']}_{saved['video_id']}"

    async def publish(self, post: Post) -> Receipt:
        self.window.check("VK API calls")
        attachments: list[str] = []
        try:
            if post.video is not None:
                attachments.append(await self.attach_video(post.video, post))
            elif post.image is not None:
                attachments.append(await self.attach_photo(post.image))
        except OutcomeUnknown as exc:
            # An upload that timed out is not a published post: safe to try again.
            raise Transient(f"VK media upload got no answer: {exc.message}") from exc
        if post.url:
            attachments.append(post.url)
        params: dict[str, Any] = {
            "owner_id": f"-{self.group_id}",
            "from_group": 1,
            "message": post.body if post.url else post.text,
        }
        if attachments:
            params["attachments"] = ",".join(attachments)
        response = await self.call("wall.post", **params)
        post_id = str(response["post_id"])
        self.log.info("published wall post %s", post_id, extra={"action": "published"})
        return Receipt(
            remote_id=post_id, remote_url=f"https://vk.com/wall-{self.group_id}_{post_id}"
        )

    async def reconcile(self, post: Post) -> Receipt | None:
        """After an unanswered wall.post: find it among the wall's latest posts by its exact text."""
        message = post.body if post.url else post.text
        answer = await self.call(
            "wall.get", owner_id=f"-{self.group_id}", count=RECONCILE_POSTS, filter="owner"
        )
        since = time.time() - RECONCILE_WINDOW_S
        for item in answer.get("items", []):
            if item.get("text") == message and item.get("date", 0) >= since:
                post_id = str(item["id"])
                return Receipt(
                    remote_id=post_id, remote_url=f"https://vk.com/wall-{self.group_id}_{post_id}"
                )
        return None

    async def recent_posts(self, since: datetime, cursor: str | None) -> Seen:
        """The community's own wall posts (``wall.get``, ``filter=owner``: posts made as the
        community, reposts included) newer than the cursor, the newest post id seen, and not
        older than ``since``. A pinned post comes first whatever its age: it is judged by its
        id and date like any other."""
        after = int(cursor) if cursor and cursor.isdigit() else 0
        floor = since.timestamp()
        posts: dict[int, RemotePost] = {}
        for page in range(WALL_PAGES):
            answer = await self.call(
                "wall.get",
                owner_id=f"-{self.group_id}",
                count=WALL_PAGE,
                offset=page * WALL_PAGE,
                filter="owner",
            )
            items = answer.get("items", []) if isinstance(answer, dict) else []
            older = False
            for item in items:
                post_id, date = int(item.get("id", 0)), int(item.get("date", 0))
                if post_id <= after or date < floor:
                    older = older or not item.get("is_pinned")
                    continue
                posts[post_id] = RemotePost(
                    remote_id=str(post_id),
                    posted_at=datetime.fromtimestamp(date, UTC),
                    text=str(item.get("text") or ""),
                    remote_url=f"https://vk.com/wall-{self.group_id}_{post_id}",
                )
            if older or len(items) < WALL_PAGE:
                break
        newest = max([after, *posts])
        ordered = sorted(posts.values(), key=lambda p: (p.posted_at, int(p.remote_id)))
        return Seen(tuple(ordered), str(newest) if newest else cursor)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


PLATFORM = VKAdapter

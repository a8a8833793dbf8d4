"""Facebook Page: a link post on ``/{page}/feed``, a photo on ``/photos``, a video on ``/videos``.

Videos upload to graph-video.facebook.com (``video_api_base``), as Meta asks for uploads.
A photo with a public URL is fetched by Facebook; otherwise its bytes are uploaded.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx

from platforms.base import Adapter, Column, Identity, Media, Post, Receipt, RemotePost, Seen
from platforms.graph import GraphClient, app_token, validate_graph
from platforms.recent import TimeMark, newer, parse_time
from platforms.tokens import TokenHealth

log = logging.getLogger(__name__)

DEFAULT_VIDEO_API_BASE = "https://graph-video.facebook.com"
# A video's post is known by the video id (what publishing a video answers), through its
# attachment; every other post by its own id (a photo's publish answers its post_id).
POST_FIELDS = "id,message,created_time,permalink_url,attachments{media_type,target{id}}"
POSTS_PAGE = 100  # Graph's largest page


class FacebookAdapter(Adapter):
    kind: ClassVar[str] = "facebook"
    text_limit: ClassVar[int | None] = 63206
    setting_keys: ClassVar[tuple[str, ...]] = (
        "page_id",
        "graph_version",
        "api_base",
        "video_api_base",
        "timeout_s",
        "app_id",
    )
    secret_keys: ClassVar[tuple[str, ...]] = ("access_token", "app_secret")
    watchable: ClassVar[bool] = True

    def __init__(self, column: Column, http: httpx.AsyncClient) -> None:
        super().__init__(column, http)
        settings = column.settings
        self.page_id = str(settings["page_id"])
        self.log = log.getChild(str(column.id))
        self.graph = GraphClient(http, settings, column.secrets["access_token"], self.log)
        # A column pointed at a test server with api_base alone sends its videos there too.
        self.video_base = str(
            settings.get("video_api_base")
            or (settings.get("api_base") and self.graph.base)
            or DEFAULT_VIDEO_API_BASE
        )

    @classmethod
    def validate(cls, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        validate_graph(settings, secrets, "page_id", "Facebook Page")

    async def check(self) -> Identity:
        """Graph /me: a Page token answers as the Page; anyone else's cannot post as it."""
        me = await self.graph.me()
        name = str(me.get("name") or me.get("id"))
        warning = None
        if str(me.get("id")) != self.page_id:
            warning = f"the token is {name}'s, not the Page {self.page_id}'s: it needs a Page access token"
        return Identity(
            account=name, url=f"https://www.facebook.com/{me.get('id')}", warning=warning
        )

    async def publish(self, post: Post) -> Receipt:
        if post.video is not None:
            remote_id = await self.publish_video(post, post.video)
        elif post.image is not None:
            remote_id = await self.publish_photo(post, post.image)
        else:
            data = {"message": post.body, "link": post.url} if post.url else {"message": post.text}
            remote_id = str(
                (await self.graph.request("POST", f"{self.page_id}/feed", data=data))["id"]
            )
        self.log.info("published %s", remote_id, extra={"action": "published"})
        return Receipt(remote_id=remote_id, remote_url=await self.permalink(remote_id))

    async def publish_video(self, post: Post, video: Media) -> str:
        data = {"description": post.text, "title": (post.title or post.body)[:255]}
        answer = await self.graph.request(
            "POST",
            f"{self.page_id}/videos",
            data=data,
            upload=("source", video),
            base=self.video_base,
        )
        return str(answer["id"])

    async def publish_photo(self, post: Post, image: Media) -> str:
        data = {"caption": post.text, "published": "true"}
        upload = None
        if image.public_url:
            data["url"] = image.public_url  # Facebook fetches it: nothing to upload
        else:
            upload = ("source", image)
        answer = await self.graph.request(
            "POST", f"{self.page_id}/photos", data=data, upload=upload
        )
        # The photo's post (page_post id) is what the page shows; the photo id is a fallback.
        return str(answer.get("post_id") or answer["id"])

    async def recent_posts(self, since: datetime, cursor: str | None) -> Seen:
        """The Page's own posts (``/{page}/posts``: not visitors'), newest pages first."""
        mark = TimeMark.parse(cursor)
        oldest = max(since, mark.at) if mark else since
        items = await self.graph.listing(
            f"{self.page_id}/posts",
            {"fields": POST_FIELDS, "since": int(oldest.timestamp()), "limit": POSTS_PAGE},
            oldest,
            "created_time",
        )
        found, next_cursor = newer(filter(None, map(page_post, items)), since, cursor)
        return Seen(found, next_cursor)

    async def token_health(self) -> TokenHealth:
        """``debug_token``: when the Page token (or the data access behind it) lapses."""
        secrets = self.column.secrets
        expires = await self.graph.token_expiry(app_token(self.column.settings, secrets))
        return TokenHealth(expires_at=expires)

    async def permalink(self, remote_id: str) -> str:
        link = await self.graph.field(remote_id, "permalink_url")
        if link and link.startswith("/"):
            link = f"https://www.facebook.com{link}"  # videos answer with a site-relative path
        return link or f"https://www.facebook.com/{remote_id}"


def page_post(item: dict[str, Any]) -> RemotePost | None:
    """A Page post as the watcher takes it; None for an item without an id or a time."""
    posted_at = parse_time(item.get("created_time"))
    if not item.get("id") or posted_at is None:
        return None
    remote_id = str(item["id"])
    attachments = (item.get("attachments") or {}).get("data") or []
    for attachment in attachments if isinstance(attachments, list) else []:
        target = (attachment.get("target") or {}) if isinstance(attachment, dict) else {}
        if str(attachment.get("media_type", "")).startswith("video") and target.get("id"):
            remote_id = str(target["id"])
    link = item.get("permalink_url")
    if isinstance(link, str) and link.startswith("/"):
        link = f"https://www.facebook.com{link}"
    return RemotePost(
        remote_id=remote_id,
        posted_at=posted_at,
        text=str(item.get("message") or ""),
        # board/watching.py keeps it only if it is a link the page may show (board/urls.py).
        remote_url=link
        if isinstance(link, str) and link
        else f"https://www.facebook.com/{item['id']}",
    )


PLATFORM = FacebookAdapter

"""Facebook Page: a link post on ``/{page}/feed``, a photo on ``/photos``, a video on ``/videos``.

Videos upload to graph-video.facebook.com (``video_api_base``), as Meta asks for uploads.
A photo with a public URL is fetched by Facebook; otherwise its bytes are uploaded.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from platforms.base import Adapter, Column, Identity, Media, Post, Receipt
from platforms.graph import GraphClient, validate_graph

log = logging.getLogger(__name__)

DEFAULT_VIDEO_API_BASE = "https://graph-video.facebook.com"


class FacebookAdapter(Adapter):
    kind: ClassVar[str] = "facebook"
    text_limit: ClassVar[int | None] = 63206
    setting_keys: ClassVar[tuple[str, ...]] = (
        "page_id",
        "graph_version",
        "api_base",
        "video_api_base",
        "timeout_s",
    )
    secret_keys: ClassVar[tuple[str, ...]] = ("access_token",)

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

    async def permalink(self, remote_id: str) -> str:
        link = await self.graph.field(remote_id, "permalink_url")
        if link and link.startswith("/"):
            link = f"https://www.facebook.com{link}"  # videos answer with a site-relative path
        return link or f"https://www.facebook.com/{remote_id}"


PLATFORM = FacebookAdapter

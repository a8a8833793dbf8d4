"""A local Graph API (graph.facebook.com and graph-video) for the Facebook and Instagram adapters.

Serves ``/{version}/{page}/feed|photos|videos``, ``/{version}/{ig}/media|media_publish|
content_publishing_limit`` and ``GET /{version}/{node}?fields=…`` (permalinks, container status);
for watchers, ``GET /{page}/posts|published_posts`` and ``GET /{ig}/media`` (newest first, with
``since``/``limit``/``after`` paging as Graph pages them) and ``GET /debug_token``.
Every request is recorded; ``fail(edge, kind)`` makes the next call of that edge answer with
Meta's error shape, or never answer; ``hand_post`` makes a post as a person would, outside the API.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.vk import hang, read_form

PAGE_ID = "1001"
IG_USER_ID = "17841400000000001"

# kind -> (HTTP status, code, subcode, message, extra headers), as Meta answers them.
ERRORS: dict[str, tuple[int, int, int | None, str, dict[str, str]]] = {
    "rate_limit": (
        400,
        32,
        None,
        "Page request limit reached",
        {
            "x-business-use-case-usage": json.dumps(
                {
                    PAGE_ID: [
                        {
                            "type": "pages",
                            "call_count": 100,
                            "total_cputime": 10,
                            "total_time": 20,
                            "estimated_time_to_regain_access": 7,
                        }
                    ]
                }
            )
        },
    ),
    "publish_limit": (400, 9, 2207042, "Application request limit reached", {}),
    # A rate limit without usage headers (the adapter's default wait, no hold of its own).
    "rate_limit_613": (400, 613, None, "Calls to this api have exceeded the rate limit.", {}),
    "auth": (400, 190, 463, "Error validating access token: Session has expired", {}),
    "permission": (403, 200, None, "Permissions error", {}),
    "rejected": (400, 100, None, "Invalid parameter", {}),
    "duplicate": (400, 506, None, "Duplicate status message", {}),
    "transient": (500, 2, None, "Service temporarily unavailable", {}),
}


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)

    @property
    def edge(self) -> str:
        """The last path segment: feed, photos, media_publish… or the node id for reads."""
        return self.path.rstrip("/").rsplit("/", 1)[-1]


class FakeGraph:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: dict[str, str] = {}
        self.released = asyncio.Event()
        self.ids = itertools.count(9001)
        self.nodes: dict[str, dict[str, Any]] = {
            # The Instagram account, and whose token /me answers for (a Page token: the Page).
            IG_USER_ID: {"id": IG_USER_ID, "username": "citynews", "name": "City News"},
            "me": {"id": PAGE_ID, "name": "City News"},
        }
        # Each new container walks these states, one per status read.
        self.container_states = ["FINISHED"]
        self.quota_usage, self.quota_total = 0, 50
        self.usage_headers: dict[str, str] = {}
        # What the Page and the Instagram account show, oldest first (each a Graph node's fields).
        self.page_posts: list[dict[str, Any]] = []
        self.ig_media: list[dict[str, Any]] = []
        # debug_token's answer per token (fields of its ``data``); unknown tokens are valid and
        # never expire, as a Page token from a long-lived user token.
        self.token_info: dict[str, dict[str, Any]] = {}
        # The app token debug_token accepts as a caller besides the input token itself.
        self.app_token: str | None = None
        self.app = Starlette(
            routes=[
                Route("/{version}/{node}/{edge}", self.edge, methods=["GET", "POST"]),
                Route("/{version}/{node}", self.read, methods=["GET"]),
            ]
        )

    def fail(self, edge: str, kind: str) -> None:
        """Make the next call of ``edge`` fail: an ERRORS key, or "hang" (never answer)."""
        self.failures[edge] = kind

    def release(self) -> None:
        self.released.set()

    def called(self, edge: str) -> list[Call]:
        return [c for c in self.calls if c.edge == edge]

    def listings(self, edge: str) -> list[Call]:
        """The GET calls of an edge (``posts``, ``media``): the watcher's looks."""
        return [c for c in self.called(edge) if c.method == "GET"]

    def hand_post(self, text: str, *, instagram: bool = False, at: datetime | None = None) -> str:
        """A post made by hand on the Page (or the Instagram account); returns its id."""
        when = graph_time(at)
        if instagram:
            media_id = self.new_node(caption=text, timestamp=when)
            self.nodes[media_id]["permalink"] = f"https://www.instagram.com/p/H{media_id}/"
            self.ig_media.append(self.nodes[media_id])
            return media_id
        post_id = f"{PAGE_ID}_{next(self.ids)}"
        self.page_post(post_id, text, at=at)
        return post_id

    def page_post(
        self, post_id: str, message: str | None, *, video_id: str | None = None, at: Any = None
    ) -> None:
        post: dict[str, Any] = {
            "id": post_id,
            "created_time": graph_time(at),
            "permalink_url": f"https://www.facebook.com/{post_id}",
        }
        if message:
            post["message"] = message
        if video_id:
            post["attachments"] = {
                "data": [
                    {
                        "media_type": "video",
                        "target": {
                            "id": video_id,
                            "url": f"https://www.facebook.com/{PAGE_ID}/videos/{video_id}/",
                        },
                    }
                ]
            }
        self.page_posts.append(post)

    async def record(self, request: Request) -> Call:
        fields, files = await read_form(request) if request.method == "POST" else ({}, {})
        call = Call(request.method, request.url.path, dict(request.query_params), fields, files)
        self.calls.append(call)
        return call

    async def answer(self, request: Request, call: Call, body: dict[str, Any]) -> Response:
        kind = self.failures.pop(call.edge, None)
        if kind == "hang":
            return await hang(request, self.released)
        token = call.query.get("access_token") or call.form.get("access_token")
        if kind is None and token in (None, "", "bad-token"):
            kind = "auth"
        if kind is not None:
            status, code, sub, message, headers = ERRORS[kind]
            error = {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "fbtrace_id": "AbCdEf",
            }
            if sub:
                error["error_subcode"] = sub
            return JSONResponse(
                {"error": error}, status_code=status, headers={**self.usage_headers, **headers}
            )
        return JSONResponse(body, headers=self.usage_headers)

    def new_node(self, **fields: Any) -> str:
        node_id = str(next(self.ids))
        self.nodes[node_id] = {"id": node_id, **fields}
        return node_id

    async def edge(self, request: Request) -> Response:
        call = await self.record(request)
        node, edge = request.path_params["node"], request.path_params["edge"]
        body: dict[str, Any]
        if edge in ("feed", "photos", "videos") and node == PAGE_ID:
            object_id = f"{PAGE_ID}_{next(self.ids)}"
            path = f"/{PAGE_ID}/videos/{object_id}/" if edge == "videos" else None
            self.nodes[object_id] = {
                "id": object_id,
                "permalink_url": path or f"https://www.facebook.com/{object_id}",
            }
            body = {"id": object_id}
            if edge == "photos":
                body = {"id": str(next(self.ids)), "post_id": object_id}
            text = call.form.get("message") or call.form.get("caption")
            if edge == "videos":
                # A video's Page post has an id of its own; it names the video as its attachment.
                post_id = f"{PAGE_ID}_{next(self.ids)}"
                self.page_post(post_id, call.form.get("description"), video_id=object_id)
            else:
                self.page_post(object_id, text)
        elif edge in ("posts", "published_posts") and node == PAGE_ID:
            if request.method != "GET":
                return unsupported(edge)
            body = self.listing(call, self.page_posts, "created_time")
        elif edge == "media" and node == IG_USER_ID and request.method == "GET":
            body = self.listing(call, self.ig_media, "timestamp")
        elif edge == "media" and node == IG_USER_ID:
            body = {
                "id": self.new_node(
                    states=list(self.container_states), caption=call.form.get("caption")
                )
            }
        elif edge == "media_publish" and node == IG_USER_ID:
            container = self.nodes.get(call.form.get("creation_id", ""), {})
            if container.get("status_code") not in ("FINISHED", None):
                return JSONResponse(
                    {"error": {"message": "Media ID is not available", "code": 9007}},
                    status_code=400,
                )
            media_id = self.new_node(caption=container.get("caption"), timestamp=graph_time())
            self.nodes[media_id]["permalink"] = f"https://www.instagram.com/p/C{media_id}/"
            self.ig_media.append(self.nodes[media_id])
            self.quota_usage += 1
            body = {"id": media_id}
        elif edge == "content_publishing_limit":
            body = {
                "data": [
                    {
                        "quota_usage": self.quota_usage,
                        "config": {"quota_total": self.quota_total, "quota_duration": 86400},
                    }
                ]
            }
        else:
            return unsupported(edge)
        return await self.answer(request, call, body)

    def listing(self, call: Call, items: list[dict[str, Any]], time_field: str) -> dict[str, Any]:
        """A page of an edge, newest first: ``since`` (unix seconds, inclusive), ``limit``, and
        ``after`` (an opaque cursor, here the position) as Graph's cursor paging answers."""
        since = int(call.query.get("since") or 0)
        newest_first = [
            item
            for item in reversed(items)
            if datetime.fromisoformat(item[time_field]).timestamp() >= since
        ]
        start = int(base64.b64decode(call.query["after"])) if call.query.get("after") else 0
        limit = int(call.query.get("limit") or 25)
        chunk = newest_first[start : start + limit]
        wanted = {"id", *top_fields(call.query.get("fields", "id"))}
        data = [{k: v for k, v in item.items() if k in wanted} for item in chunk]
        paging: dict[str, Any] = {}
        if chunk:
            paging["cursors"] = {
                "before": base64.b64encode(str(start).encode()).decode(),
                "after": base64.b64encode(str(start + len(chunk)).encode()).decode(),
            }
            if start + len(chunk) < len(newest_first):
                paging["next"] = f"https://graph.facebook.com/{call.path}?after=…"
        return {"data": data, "paging": paging} if paging else {"data": data}

    def debug_token(self, call: Call) -> Response:
        """``GET /debug_token``: the input token's metadata, asked by the app or by the token."""
        caller, token = call.query.get("access_token"), call.query.get("input_token", "")
        if caller in (None, "", "bad-token") or caller not in (token, self.app_token):
            error = {
                "message": "(#100) You must provide an app access token, or a user access token"
                " that is an owner or developer of the app",
                "type": "OAuthException",
                "code": 100,
                "fbtrace_id": "AbCdEf",
            }
            return JSONResponse({"error": error}, status_code=400)
        data = {
            "app_id": "1000000000",
            "type": "PAGE",
            "application": "Metronome",
            "expires_at": 0,
            "data_access_expires_at": int(time.time()) + 90 * 86400,
            "is_valid": True,
            "scopes": ["pages_manage_posts", "pages_read_engagement"],
            "profile_id": PAGE_ID,
            **self.token_info.get(token, {}),
        }
        return JSONResponse({"data": data})

    async def read(self, request: Request) -> Response:
        call = await self.record(request)
        if request.path_params["node"] == "debug_token":
            return self.debug_token(call)
        node = self.nodes.get(request.path_params["node"])
        if node is None:
            return JSONResponse(
                {"error": {"message": "Unsupported get request", "code": 100}}, status_code=400
            )
        if node.get("states"):
            node["status_code"] = node["states"].pop(0)
            if node["status_code"] == "ERROR":
                node["status"] = "Error: Media upload has failed with error code 2207026"
        wanted = call.query.get("fields", "id").split(",")
        return await self.answer(request, call, {k: node[k] for k in ["id", *wanted] if k in node})


def graph_time(at: datetime | None = None) -> str:
    """A time as Graph writes it: ``2026-12-05T21:13:07+0000``."""
    return (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def unsupported(edge: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": f"Unknown path components: /{edge}", "code": 2500}}, status_code=400
    )


def top_fields(fields: str) -> list[str]:
    """The top-level names of a Graph ``fields`` list: ``a,b{c,d},e`` -> a, b, e."""
    names, depth, current = [], 0, ""
    for char in fields + ",":
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "," and depth == 0:
            names.append(current.strip())
            current = ""
        elif depth == 0:
            current += char
    return [n for n in names if n]

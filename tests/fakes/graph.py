"""A local Graph API (graph.facebook.com and graph-video) for the Facebook and Instagram adapters.

Serves ``/{version}/{page}/feed|photos|videos``, ``/{version}/{ig}/media|media_publish|
content_publishing_limit`` and ``GET /{version}/{node}?fields=…`` (permalinks, container status).
Every request is recorded; ``fail(edge, kind)`` makes the next call of that edge answer with
Meta's error shape, or never answer.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
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
        elif edge == "media" and node == IG_USER_ID:
            body = {"id": self.new_node(states=list(self.container_states))}
        elif edge == "media_publish" and node == IG_USER_ID:
            container = self.nodes.get(call.form.get("creation_id", ""), {})
            if container.get("status_code") not in ("FINISHED", None):
                return JSONResponse(
                    {"error": {"message": "Media ID is not available", "code": 9007}},
                    status_code=400,
                )
            media_id = self.new_node()
            self.nodes[media_id]["permalink"] = f"https://www.instagram.com/p/C{media_id}/"
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
            return JSONResponse(
                {"error": {"message": f"Unknown path components: /{edge}", "code": 2500}},
                status_code=400,
            )
        return await self.answer(request, call, body)

    async def read(self, request: Request) -> Response:
        call = await self.record(request)
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

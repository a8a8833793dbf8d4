"""A local X API v2: ``POST /2/tweets`` and the chunked ``/2/media/upload`` (INIT/APPEND/
FINALIZE/STATUS), answering with X's problem JSON and ``x-rate-limit-*`` headers.

Every request is recorded. ``fail(endpoint, kind)`` makes the next call of ``tweets`` or
``media`` answer with an error, or never answer.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests import leakscan
from tests.fakes.vk import hang, read_form

USER_TOKEN = "x-user-token"

# kind -> (status, problem body) as X sends them.
ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "rate_limit": (
        429,
        {
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        },
    ),
    "auth": (
        401,
        {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
    ),
    "duplicate": (
        403,
        {
            "detail": "You are not allowed to create a Tweet with duplicate content.",
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403,
        },
    ),
    "forbidden": (
        403,
        {
            "detail": "You are not permitted to perform this action.",
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403,
        },
    ),
    "client_forbidden": (
        403,
        {
            "title": "Client Forbidden",
            "type": "https://api.twitter.com/2/problems/client-forbidden",
            "detail": "This request must be made using an approved developer account.",
        },
    ),
    "invalid": (
        400,
        {
            "errors": [
                {
                    "parameters": {"media.media_ids": ["1"]},
                    "message": "Your media IDs are invalid.",
                },
            ],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    ),
    "server_error": (
        503,
        {"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank"},
    ),
}


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str] = field(default_factory=dict)
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)

    @property
    def command(self) -> str | None:
        return self.form.get("command") or self.query.get("command")


class FakeX:
    def __init__(self) -> None:
        leakscan.register(USER_TOKEN, "X user token")
        self.calls: list[Call] = []
        self.failures: dict[str, str] = {}
        self.released = asyncio.Event()
        self.ids = itertools.count(1_880_000_000_000_000_001)
        self.media: dict[str, dict[str, Any]] = {}
        # States a video walks through after FINALIZE, one per STATUS call.
        self.processing = ["pending", "in_progress", "succeeded"]
        self.remaining, self.reset_in = 99, 900
        self.app = Starlette(
            routes=[
                Route("/2/users/me", self.users_me, methods=["GET"]),
                Route("/2/tweets", self.tweets, methods=["POST"]),
                Route("/2/media/upload", self.upload, methods=["GET", "POST"]),
            ]
        )

    def fail(self, endpoint: str, kind: str) -> None:
        """Make the next call of "tweets" or "media" fail: an ERRORS key, or "hang"."""
        self.failures[endpoint] = kind

    def release(self) -> None:
        self.released.set()

    def rate_headers(self, remaining: int | None = None) -> dict[str, str]:
        left = self.remaining if remaining is None else remaining
        return {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": str(left),
            "x-rate-limit-reset": str(int(time.time() + self.reset_in)),
        }

    async def start(self, request: Request, endpoint: str) -> tuple[Call, Response | None]:
        """Record the request; answer at once when told to fail or when the token is wrong."""
        headers = {
            k: v for k, v in request.headers.items() if k in ("authorization", "content-type")
        }
        call = Call(request.method, request.url.path, headers, dict(request.query_params))
        if request.headers.get("content-type", "").startswith("application/json"):
            call.json = json.loads(await request.body())
        elif request.method == "POST":
            call.form, call.files = await read_form(request)
        self.calls.append(call)
        kind = self.failures.pop(endpoint, None)
        if kind == "hang":
            return call, await hang(request, self.released)
        if kind is None and request.headers.get("authorization") != f"Bearer {USER_TOKEN}":
            kind = "auth"
        if kind is None:
            return call, None
        status, body = ERRORS[kind]
        headers = self.rate_headers(0) if kind == "rate_limit" else self.rate_headers()
        return call, JSONResponse(body, status_code=status, headers=headers)

    async def users_me(self, request: Request) -> Response:
        """The token's user, as ``GET /2/users/me`` answers with its default fields."""
        _, failed = await self.start(request, "users")
        if failed is not None:
            return failed
        return JSONResponse(
            {"data": {"id": "2244994945", "name": "City News", "username": "citynews"}},
            headers=self.rate_headers(),
        )

    async def tweets(self, request: Request) -> Response:
        call, failed = await self.start(request, "tweets")
        if failed is not None:
            return failed
        for media_id in (call.json.get("media") or {}).get("media_ids", []):
            if self.media.get(media_id, {}).get("state") not in (None, "succeeded"):
                return JSONResponse(ERRORS["invalid"][1], status_code=400)
        data = {"id": str(next(self.ids)), "text": call.json["text"]}
        return JSONResponse({"data": data}, status_code=201, headers=self.rate_headers())

    async def upload(self, request: Request) -> Response:
        call, failed = await self.start(request, "media")
        if failed is not None:
            return failed
        media_id = call.form.get("media_id") or call.query.get("media_id", "")
        if call.command == "INIT":
            media_id = str(next(self.ids))
            self.media[media_id] = {
                "category": call.form["media_category"],
                "chunks": {},
                "state": None,
            }
            return JSONResponse(
                {
                    "data": {
                        "id": media_id,
                        "media_key": f"7_{media_id}",
                        "expires_after_secs": 86399,
                    }
                }
            )
        item = self.media[media_id]
        if call.command == "APPEND":
            item["chunks"][int(call.form["segment_index"])] = call.files["media"][2]
            return Response(status_code=204)
        data: dict[str, Any] = {"id": media_id, "media_key": f"7_{media_id}"}
        if call.command == "FINALIZE":
            data["size"] = sum(len(c) for c in item["chunks"].values())
            if item["category"] == "tweet_video":
                item["states"] = list(self.processing)
        if item.get("states"):
            item["state"] = item["states"].pop(0)
            data["processing_info"] = {"state": item["state"], "check_after_secs": 0}
            if item["state"] == "failed":
                data["processing_info"]["error"] = {
                    "code": 1,
                    "name": "InvalidMedia",
                    "message": "Unsupported video format",
                }
        return JSONResponse({"data": data})

"""A local X API v2: ``POST /2/tweets`` and the chunked ``/2/media/upload`` (INIT/APPEND/
FINALIZE/STATUS), answering with X's problem JSON and ``x-rate-limit-*`` headers; for watchers
``GET /2/users/:id/tweets`` (newest first, ``since_id``, ``start_time``, ``pagination_token``);
and ``POST /2/oauth2/token`` renewing OAuth 2.0 user tokens (two-hour access tokens, refresh
tokens that rotate on every use, Basic auth for a confidential client).

Every request is recorded. ``fail(endpoint, kind)`` makes the next call of ``tweets``,
``media``, ``timeline`` or ``token`` answer with an error, or never answer; ``hand_post`` posts
as a person would; ``expire`` ends an access token's life. Every token issued is registered
with the log scan.
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

from tests import leakscan
from tests.fakes.vk import hang, read_form

USER_TOKEN = "x-user-token"
USER_ID = "2244994945"
REFRESH_TOKEN = "x-refresh-token-first"
CLIENT_ID = "x-client-id-M1pDTjU"
CLIENT_SECRET = "x-client-secret-q3Xv0"
ACCESS_LIFETIME = 7200

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
    "rate_limit_other": (
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
        leakscan.register(REFRESH_TOKEN, "X refresh token")
        leakscan.register(CLIENT_SECRET, "X client secret")
        # Access token -> when it expires (time.time()); refresh tokens still unused.
        self.access: dict[str, float] = {USER_TOKEN: float("inf")}
        self.refresh: set[str] = {REFRESH_TOKEN}
        # None: a public client (client_id in the form); else Basic auth is required.
        self.client_secret: str | None = CLIENT_SECRET
        self.issued = itertools.count(1)
        # The account's posts, oldest first: {id, text, created_at, by_api}.
        self.posts: list[dict[str, Any]] = []
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
                Route("/2/oauth2/token", self.token, methods=["POST"]),
                Route("/2/users/{id}/tweets", self.timeline, methods=["GET"]),
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

    def expire(self, token: str = USER_TOKEN) -> None:
        """The access token's two hours are over: X answers 401 to it from now on."""
        self.access[token] = time.time() - 1

    def hand_post(self, text: str, at: datetime | None = None) -> str:
        """A post made by hand (in the X app) at ``at`` (default now); returns its id."""
        return self.add_post(text, at)

    def add_post(self, text: str, at: datetime | None = None) -> str:
        tweet_id = str(next(self.ids))
        now = (at or datetime.now(UTC)).astimezone(UTC)
        self.posts.append(
            {
                "id": tweet_id,
                "text": text,
                "created_at": now.strftime("%Y-%m-%dT%H:%M:%S.")
                + f"{now.microsecond // 1000:03d}Z",
            }
        )
        return tweet_id

    def timelines(self) -> list[Call]:
        """The watcher's looks."""
        return [c for c in self.calls if c.path.endswith("/tweets") and c.method == "GET"]

    def renewals(self) -> list[Call]:
        return [c for c in self.calls if c.path == "/2/oauth2/token"]

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
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if kind is None and self.access.get(bearer, 0) < time.time():
            kind = "auth"
        if kind is None:
            return call, None
        status, body = ERRORS[kind]
        # "rate_limit": the endpoint's window used up; "rate_limit_other": a 429 while the
        # window still has calls left (another of X's limits), so only its reset says when.
        headers = self.rate_headers(0) if kind == "rate_limit" else self.rate_headers()
        return call, JSONResponse(body, status_code=status, headers=headers)

    async def users_me(self, request: Request) -> Response:
        """The token's user, as ``GET /2/users/me`` answers with its default fields."""
        _, failed = await self.start(request, "users")
        if failed is not None:
            return failed
        return JSONResponse(
            {"data": {"id": USER_ID, "name": "City News", "username": "citynews"}},
            headers=self.rate_headers(),
        )

    async def tweets(self, request: Request) -> Response:
        call, failed = await self.start(request, "tweets")
        if failed is not None:
            return failed
        for media_id in (call.json.get("media") or {}).get("media_ids", []):
            if self.media.get(media_id, {}).get("state") not in (None, "succeeded"):
                return JSONResponse(ERRORS["invalid"][1], status_code=400)
        data = {"id": self.add_post(call.json["text"]), "text": call.json["text"]}
        return JSONResponse({"data": data}, status_code=201, headers=self.rate_headers())

    async def timeline(self, request: Request) -> Response:
        """``GET /2/users/:id/tweets``: newest first; default fields id, text and
        edit_history_tweet_ids, ``created_at`` when asked in ``tweet.fields``."""
        call, failed = await self.start(request, "timeline")
        if failed is not None:
            return failed
        if request.path_params["id"] != USER_ID:
            return JSONResponse(ERRORS["invalid"][1], status_code=400)
        query = call.query
        since_id = int(query.get("since_id") or 0)
        start = query.get("start_time")
        newest_first = [
            p
            for p in reversed(self.posts)
            if int(p["id"]) > since_id
            and (
                not start
                or datetime.fromisoformat(p["created_at"]) >= datetime.fromisoformat(start)
            )
        ]
        offset = int(query.get("pagination_token") or 0)
        size = int(query.get("max_results") or 10)
        if not 5 <= size <= 100:
            return JSONResponse(ERRORS["invalid"][1], status_code=400)
        page = newest_first[offset : offset + size]
        with_time = "created_at" in query.get("tweet.fields", "").split(",")
        data = [
            {
                "id": p["id"],
                "text": p["text"],
                "edit_history_tweet_ids": [p["id"]],
                **({"created_at": p["created_at"]} if with_time else {}),
            }
            for p in page
        ]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if offset + size < len(newest_first):
            meta["next_token"] = str(offset + size)
        body = {"data": data, "meta": meta} if data else {"meta": meta}
        return JSONResponse(body, headers=self.rate_headers())

    async def token(self, request: Request) -> Response:
        """``POST /2/oauth2/token`` with ``grant_type=refresh_token``: a new access token and a
        new refresh token; the one used is spent."""
        form, _ = await read_form(request)
        headers = {k: v for k, v in request.headers.items() if k == "authorization"}
        self.calls.append(Call("POST", "/2/oauth2/token", headers, form=form))
        kind = self.failures.pop("token", None)
        if kind is not None:
            status, body = ERRORS[kind]
            return JSONResponse(body, status_code=status, headers=self.rate_headers(0))
        if self.client_secret is not None:
            pair = base64.b64encode(f"{CLIENT_ID}:{self.client_secret}".encode()).decode()
            if headers.get("authorization") != f"Basic {pair}":
                return JSONResponse(
                    {
                        "error": "unauthorized_client",
                        "error_description": "Missing valid authorization header",
                    },
                    status_code=401,
                )
        refresh = form.get("refresh_token", "")
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("client_id") != CLIENT_ID
            or refresh not in self.refresh
        ):
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "error_description": "Value passed for the token was invalid.",
                },
                status_code=400,
            )
        self.refresh.discard(refresh)
        n = next(self.issued)
        access, new_refresh = f"x-access-renewed-{n:04d}-Zk9", f"x-refresh-renewed-{n:04d}-Qp2"
        leakscan.register(access, "X renewed access token")
        leakscan.register(new_refresh, "X renewed refresh token")
        self.access[access] = time.time() + ACCESS_LIFETIME
        self.refresh.add(new_refresh)
        return JSONResponse(
            {
                "token_type": "bearer",
                "expires_in": ACCESS_LIFETIME,
                "access_token": access,
                "scope": "tweet.read tweet.write users.read media.write offline.access",
                "refresh_token": new_refresh,
            }
        )

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

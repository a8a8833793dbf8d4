"""A local Mastodon instance: the statuses and media endpoints a publishing app uses, answering
as docs.joinmastodon.org/methods/statuses and /methods/media describe — including the
Idempotency-Key (a repeated key answers the first status, no second post) and media that is
processed asynchronously (202, then 206 from GET /api/v1/media/:id until it is ready).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests import leakscan
from tests.fakes.telegram import FakeNetwork, Seen


def mastodon_error(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def rate_limited(reset_in: int) -> JSONResponse:
    """Mastodon's throttle answer: 429 and X-RateLimit-* headers, the reset as ISO 8601, no Retry-After."""
    now = datetime.now(UTC).replace(microsecond=0)
    return mastodon_error(
        429,
        "Too many requests",
        {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": (now + timedelta(seconds=reset_in)).isoformat(
                timespec="microseconds"
            ),
        },
    )


class FakeMastodon(FakeNetwork):
    def __init__(self, token: str, username: str = "newsroom", processing_polls: int = 2) -> None:
        super().__init__()
        self.token = token
        leakscan.register(token, "Mastodon access token")
        self.username = username
        self.processing_polls = processing_polls
        # The token's scopes: verify_credentials needs profile (4.3+) or read:accounts.
        self.scopes = {"write:statuses", "write:media", "profile"}
        self.display_name = "City News"
        self.statuses: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self._polls_left: dict[str, int] = {}
        self._idempotency: dict[str, str] = {}
        self._next_id = 110000000000000000
        # Files other servers host (a CDN): GET /files/<name>, for media known only by URL.
        self.public_files: dict[str, bytes] = {}
        self.app = Starlette(
            routes=[
                Route(
                    "/api/v1/accounts/verify_credentials", self.verify_credentials, methods=["GET"]
                ),
                Route("/api/v1/statuses", self.create_status, methods=["POST"]),
                Route("/api/v1/accounts/{id}/statuses", self.account_statuses, methods=["GET"]),
                Route("/api/v1/statuses/{id}", self.get_status, methods=["GET"]),
                Route("/api/v2/media", self.create_media, methods=["POST"]),
                Route("/api/v1/media/{id}", self.get_media, methods=["GET"]),
                Route("/files/{name}", self.get_file, methods=["GET"]),
            ],
        )

    def new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    async def begin(self, request: Request) -> tuple[Seen, Response | None]:
        """Record, apply a scripted fault, then check the bearer token as Doorkeeper does."""
        seen = await self.record(request)
        if (fault := await self.fault(request)) is not None:
            return seen, fault
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return seen, mastodon_error(401, "The access token is invalid")
        return seen, None

    async def verify_credentials(self, request: Request) -> Response:
        """The token's own account (CredentialAccount), as /api/v1/accounts/verify_credentials answers."""
        _, refusal = await self.begin(request)
        if refusal is not None:
            return refusal
        if not self.scopes & {"profile", "read", "read:accounts"}:
            return mastodon_error(403, "This action is outside the authorized scopes")
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "id": "1",
                "username": self.username,
                "acct": self.username,
                "display_name": self.display_name,
                "locked": False,
                "bot": True,
                "created_at": "2024-01-02T00:00:00.000Z",
                "note": "",
                "url": f"{base}/@{self.username}",
                "avatar": f"{base}/avatars/original/missing.png",
                "followers_count": 12,
                "following_count": 0,
                "statuses_count": len(self.statuses),
                "source": {
                    "privacy": "public",
                    "sensitive": False,
                    "language": None,
                    "note": "",
                    "fields": [],
                },
            }
        )

    async def create_status(self, request: Request) -> Response:
        seen, refusal = await self.begin(request)
        if refusal is not None:
            return refusal
        key = request.headers.get("idempotency-key")
        if (
            key and key in self._idempotency
        ):  # checked before anything else, as PostStatusService does
            return JSONResponse(self.statuses[self._idempotency[key]])
        text = str(seen.fields.get("status", ""))
        media_ids = seen.fields.get("media_ids[]") or seen.fields.get("media_ids") or []
        if not text.strip() and not media_ids:
            return mastodon_error(422, "Validation failed: Text can't be blank")
        if len(re.sub(r"https?://\S+", "x" * 23, text)) > 500:
            return mastodon_error(422, "Validation failed: Text character limit of 500 exceeded")
        missing = [i for i in media_ids if i not in self.media or self.media[i].get("_attached")]
        if missing:
            return mastodon_error(
                422,
                f"Media with IDs {', '.join(missing)} not found or already attached to another post",
            )
        if any(self.media[i]["url"] is None for i in media_ids):
            return mastodon_error(
                422, "Cannot attach files that have not finished processing. Try again in a moment!"
            )
        base = str(request.base_url).rstrip("/")
        status_id = self.new_id()
        for i in media_ids:
            self.media[i]["_attached"] = True
        self.statuses[status_id] = {
            "id": status_id,
            "created_at": datetime.now(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": None,
            "uri": f"{base}/users/{self.username}/statuses/{status_id}",
            "url": f"{base}/@{self.username}/{status_id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "content": f"<p>{escape(text)}</p>",
            "reblog": None,
            "application": {"name": "Metronome", "website": None},
            "account": {
                "id": "1",
                "username": self.username,
                "acct": self.username,
                "url": f"{base}/@{self.username}",
            },
            "media_attachments": [self.public(i) for i in media_ids],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        if key:
            self._idempotency[key] = status_id
        return JSONResponse(self.statuses[status_id])

    def post_by_hand(
        self, text: str, at: datetime | None = None, base: str = "", **extra: Any
    ) -> dict[str, Any]:
        """A status the account's owner writes in the Mastodon web app (``extra``: a reply's
        ``in_reply_to_account_id``, a boost's ``reblog``)."""
        status_id = self.new_id()
        base = base or self.base_url
        self.statuses[status_id] = {
            "id": status_id,
            "created_at": (at or datetime.now(UTC))
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "visibility": "public",
            "uri": f"{base}/users/{self.username}/statuses/{status_id}",
            "url": f"{base}/@{self.username}/{status_id}",
            "content": "<p>" + "<br>".join(escape(line) for line in text.split("\n")) + "</p>",
            "reblog": None,
            "application": {"name": "Web", "website": None},
            "account": {"id": "1", "username": self.username, "acct": self.username},
            "media_attachments": [],
            **extra,
        }
        return self.statuses[status_id]

    async def account_statuses(self, request: Request) -> Response:
        """GET /api/v1/accounts/:id/statuses: newest first, paged by max_id / since_id / min_id,
        up to 40, with exclude_reblogs and exclude_replies (replies to other accounts)."""
        _, refusal = await self.begin(request)
        if refusal is not None:
            return refusal
        if request.path_params["id"] != "1":
            return mastodon_error(404, "Record not found")
        query = request.query_params
        chosen = sorted(self.statuses.values(), key=lambda st: int(st["id"]), reverse=True)
        if query.get("exclude_reblogs") == "true":
            chosen = [st for st in chosen if not st.get("reblog")]
        if query.get("exclude_replies") == "true":
            chosen = [st for st in chosen if st.get("in_reply_to_account_id") in (None, "1")]
        for key, keep in (
            ("max_id", lambda st, v: int(st["id"]) < v),
            ("since_id", lambda st, v: int(st["id"]) > v),
            ("min_id", lambda st, v: int(st["id"]) > v),
        ):
            if key in query:
                chosen = [st for st in chosen if keep(st, int(query[key]))]
        limit = min(40, int(query.get("limit", 20)))
        if "min_id" in query:  # the page just after min_id, still listed newest first
            return JSONResponse(chosen[-limit:])
        return JSONResponse(chosen[:limit])

    async def get_status(self, request: Request) -> Response:
        _, refusal = await self.begin(request)
        status = self.statuses.get(request.path_params["id"])
        return refusal or (
            JSONResponse(status) if status else mastodon_error(404, "Record not found")
        )

    async def create_media(self, request: Request) -> Response:
        seen, refusal = await self.begin(request)
        if refusal is not None:
            return refusal
        upload = seen.files.get("file")
        if upload is None:
            return mastodon_error(422, "Validation failed: File can't be blank")
        kind = (upload.content_type or "").split("/")[0]
        if kind not in ("image", "video"):
            return mastodon_error(
                422, "Validation failed: File content type is invalid, File is invalid"
            )
        media_id = self.new_id()
        url = f"{str(request.base_url).rstrip('/')}/system/media_attachments/{media_id}/original/{upload.filename}"
        self.media[media_id] = {
            "id": media_id,
            "type": kind,
            "url": url,
            "preview_url": url,
            "remote_url": None,
            "meta": {},
            "description": seen.fields.get("description"),
            "blurhash": None,
        }
        if kind == "image":  # small images are processed synchronously since Mastodon 4.0
            return JSONResponse(self.media[media_id])
        self._polls_left[media_id] = self.processing_polls
        self.media[media_id]["url"] = None
        self.media[media_id]["_ready_url"] = url
        return JSONResponse(self.public(media_id), status_code=202)

    async def get_media(self, request: Request) -> Response:
        _, refusal = await self.begin(request)
        media_id = request.path_params["id"]
        if refusal is not None or media_id not in self.media:
            return refusal or mastodon_error(404, "Record not found")
        if self._polls_left.get(media_id, 0) > 0:
            self._polls_left[media_id] -= 1
            return JSONResponse(self.public(media_id), status_code=206)
        self.media[media_id]["url"] = self.media[media_id].pop(
            "_ready_url", self.media[media_id]["url"]
        )
        return JSONResponse(self.public(media_id))

    async def get_file(self, request: Request) -> Response:
        await self.record(request)
        data = self.public_files.get(request.path_params["name"])
        return (
            Response(data, media_type="image/jpeg")
            if data is not None
            else Response(status_code=404)
        )

    def public(self, media_id: str) -> dict[str, Any]:
        return {k: v for k, v in self.media[media_id].items() if not k.startswith("_")}

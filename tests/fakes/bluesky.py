"""A local PDS: the XRPC procedures a posting client uses, with the lexicons' shapes and the
reference PDS's answers — errors as ``{"error", "message"}``, an expired access token as 400
ExpiredToken, rotating refresh tokens, blob refs that must exist, and a second create under an
existing record key answered with a bare 500 (github.com/bluesky-social/indigo/issues/873).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
import unicodedata
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests import leakscan
from tests.fakes.telegram import FakeNetwork, Seen

RKEY_RE = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")
TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"
TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


def xrpc_error(
    status: int, error: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


def rate_limited(reset_in: int) -> JSONResponse:
    """The PDS's 429: RateLimit-* headers, the reset in epoch seconds."""
    return xrpc_error(
        429,
        "RateLimitExceeded",
        "Rate Limit Exceeded",
        {
            "RateLimit-Limit": "30",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(int(time.time()) + reset_in),
            "RateLimit-Policy": "30;w=300",
        },
    )


def fake_jwt(scope: str, did: str) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {
        "scope": scope,
        "sub": did,
        "iat": now,
        "exp": now + 7200,
        "jti": secrets.token_hex(8),
    }
    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(claims)}.{secrets.token_urlsafe(32)}"


def fake_cid(data: bytes, prefix: str = "bafkrei") -> str:
    return prefix + base64.b32encode(hashlib.sha256(data).digest()).decode().lower().rstrip("=")


def grapheme_count(text: str) -> int:
    """Rough but independent of the adapter's: combining marks and joiners do not count."""
    return sum(
        1
        for i, ch in enumerate(text)
        if not (
            unicodedata.category(ch) in ("Mn", "Me", "Mc", "Sk")
            or ch == "\u200d"
            or text[i - 1 : i] == "\u200d"
        )
    )


class FakePDS(FakeNetwork):
    def __init__(
        self, handle: str, app_password: str, did: str = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
    ) -> None:
        super().__init__()
        self.handle, self.app_password, self.did = handle, app_password, did
        leakscan.register(app_password, "Bluesky app password")
        self.access: dict[str, str] = {}  # token -> "ok" | "expired"
        self.refresh: dict[str, str] = {}  # token -> "ok" | "expired" | "revoked"
        self.blobs: dict[str, bytes] = {}
        self.records: dict[str, dict[str, Any]] = {}  # rkey -> {"uri", "cid", "value"}
        self.app = Starlette(
            routes=[
                Route(
                    "/xrpc/com.atproto.server.createSession", self.create_session, methods=["POST"]
                ),
                Route(
                    "/xrpc/com.atproto.server.refreshSession",
                    self.refresh_session,
                    methods=["POST"],
                ),
                Route("/xrpc/com.atproto.repo.uploadBlob", self.upload_blob, methods=["POST"]),
                Route("/xrpc/com.atproto.repo.createRecord", self.create_record, methods=["POST"]),
                Route("/xrpc/com.atproto.repo.getRecord", self.get_record, methods=["GET"]),
                Route("/xrpc/com.atproto.repo.listRecords", self.list_records, methods=["GET"]),
            ]
        )

    def expire_access(self) -> None:
        self.access = dict.fromkeys(self.access, "expired")

    def expire_refresh(self) -> None:
        self.refresh = dict.fromkeys(self.refresh, "expired")

    def new_session(self) -> JSONResponse:
        access, refresh = (
            fake_jwt("com.atproto.appPass", self.did),
            fake_jwt("com.atproto.refresh", self.did),
        )
        self.access[access], self.refresh[refresh] = "ok", "ok"
        leakscan.register(access, "Bluesky access JWT")
        leakscan.register(refresh, "Bluesky refresh JWT")
        return JSONResponse(
            {
                "did": self.did,
                "handle": self.handle,
                "accessJwt": access,
                "refreshJwt": refresh,
                "active": True,
                "emailConfirmed": True,
            }
        )

    def bearer(self, request: Request, tokens: dict[str, str]) -> Response | None:
        """None when the bearer token is good, else the PDS's refusal."""
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        state = tokens.get(token)
        if state == "ok":
            return None
        if state == "expired":
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        if state == "revoked":
            return xrpc_error(400, "InvalidToken", "Token has been revoked")
        return xrpc_error(401, "AuthenticationRequired", "Authentication Required")

    async def begin(
        self, request: Request, tokens: dict[str, str] | None
    ) -> tuple[Seen, Response | None]:
        seen = await self.record(request)
        fault = await self.fault(request)
        return seen, fault or (self.bearer(request, tokens) if tokens is not None else None)

    async def create_session(self, request: Request) -> Response:
        seen, refusal = await self.begin(request, None)
        if refusal is not None:
            return refusal
        if (
            seen.fields.get("identifier") not in (self.handle, self.did)
            or seen.fields.get("password") != self.app_password
        ):
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        return self.new_session()

    async def refresh_session(self, request: Request) -> Response:
        _, refusal = await self.begin(request, self.refresh)
        if refusal is not None:
            return refusal
        self.refresh[request.headers["authorization"].removeprefix("Bearer ")] = (
            "revoked"  # rotation
        )
        return self.new_session()

    async def upload_blob(self, request: Request) -> Response:
        seen, refusal = await self.begin(request, self.access)
        if refusal is not None:
            return refusal
        cid = fake_cid(seen.body)
        self.blobs[cid] = seen.body
        mime = request.headers.get("content-type", "*/*")
        return JSONResponse(
            {
                "blob": {
                    "$type": "blob",
                    "ref": {"$link": cid},
                    "mimeType": mime,
                    "size": len(seen.body),
                }
            }
        )

    async def create_record(self, request: Request) -> Response:
        seen, refusal = await self.begin(request, self.access)
        if refusal is not None:
            return refusal
        body = seen.fields
        if body.get("repo") not in (self.did, self.handle):
            return xrpc_error(401, "AuthenticationRequired", "Authentication Required")
        collection, rkey, record = body.get("collection"), body.get("rkey"), body.get("record")
        if collection != "app.bsky.feed.post" or not isinstance(record, dict):
            return xrpc_error(400, "InvalidRequest", 'Input must have the property "record"')
        if rkey is not None and (not RKEY_RE.match(rkey) or rkey in (".", "..")):
            return xrpc_error(400, "InvalidRequest", f"Invalid record key: {rkey}")
        if problem := self.check_post(record):
            return xrpc_error(
                400, "InvalidRequest", f"Invalid app.bsky.feed.post record: {problem}"
            )
        rkey = rkey or f"3l{secrets.token_hex(6)[:11]}"
        if (
            rkey in self.records
        ):  # the MST refuses the key; the reference PDS does not map that error
            return xrpc_error(500, "InternalServerError", "Internal Server Error")
        uri = f"at://{self.did}/{collection}/{rkey}"
        cid = fake_cid(json.dumps(record, sort_keys=True).encode(), "bafyrei")
        self.records[rkey] = {"uri": uri, "cid": cid, "value": record}
        return JSONResponse(
            {
                "uri": uri,
                "cid": cid,
                "commit": {"cid": fake_cid(cid.encode(), "bafyrei"), "rev": rkey},
                "validationStatus": "valid",
            }
        )

    def check_post(self, record: dict[str, Any]) -> str | None:
        """What the lexicon validation of the reference PDS would say, or None."""
        if record.get("$type", "app.bsky.feed.post") != "app.bsky.feed.post":
            return f"Invalid $type: expected app.bsky.feed.post, got {record['$type']}"
        text = record.get("text")
        if not isinstance(text, str) or "createdAt" not in record:
            return 'Record must have the properties "text" and "createdAt"'
        if grapheme_count(text) > 300:
            return "Record/text must not be longer than 300 graphemes"
        for facet in record.get("facets", []):
            index = facet["index"]
            if not 0 <= index["byteStart"] <= index["byteEnd"] <= len(text.encode()):
                return "Record/facets/index is out of the text"
        embed = record.get("embed") or {}
        blobs = [i["image"] for i in embed.get("images", [])] + (
            [embed["video"]] if "video" in embed else []
        )
        for blob in blobs:
            if blob.get("$type") != "blob" or blob["ref"]["$link"] not in self.blobs:
                return f"Could not find blob: {blob.get('ref', {}).get('$link')}"
        if embed.get("$type") == "app.bsky.embed.external":
            external = embed.get("external", {})
            if not all(isinstance(external.get(k), str) for k in ("uri", "title", "description")):
                return 'Record/embed/external must have the properties "uri", "title" and "description"'
        return None

    def post_by_hand(self, text: str, at: datetime | None = None) -> str:
        """A post made in the Bluesky app: its record key is a TID of its creation time."""
        when = at or datetime.now(UTC)
        tid = (int(when.timestamp() * 1_000_000) << 10) | secrets.randbelow(1024)
        rkey = "".join(TID_CHARS[(tid >> (5 * i)) & 31] for i in reversed(range(13)))
        record = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "langs": ["en"],
        }
        uri = f"at://{self.did}/app.bsky.feed.post/{rkey}"
        cid = fake_cid(json.dumps(record, sort_keys=True).encode(), "bafyrei")
        self.records[rkey] = {"uri": uri, "cid": cid, "value": record}
        return uri

    async def list_records(self, request: Request) -> Response:
        """com.atproto.repo.listRecords: a repo's records of a collection by record key,
        newest first (``reverse=true``: oldest first), ``limit`` 1–100, ``cursor`` the last key."""
        _, refusal = await self.begin(request, None)  # public: no auth needed
        if refusal is not None:
            return refusal
        query = request.query_params
        if query.get("repo") not in (self.did, self.handle):
            return xrpc_error(400, "InvalidRequest", f"Could not find repo: {query.get('repo')}")
        reverse = query.get("reverse") == "true"
        keys = sorted(
            (k for k in self.records if query.get("collection") == "app.bsky.feed.post"),
            reverse=not reverse,
        )
        if "cursor" in query:
            after = query["cursor"]
            keys = [k for k in keys if (k > after if reverse else k < after)]
        limit = max(1, min(100, int(query.get("limit", 50))))
        page = keys[:limit]
        body: dict[str, Any] = {
            "records": [
                {
                    "uri": self.records[k]["uri"],
                    "cid": self.records[k]["cid"],
                    "value": self.records[k]["value"],
                }
                for k in page
            ]
        }
        if len(page) == limit:
            body["cursor"] = page[-1]
        return JSONResponse(body)

    async def get_record(self, request: Request) -> Response:
        _, refusal = await self.begin(request, None)  # public: no auth needed
        if refusal is not None:
            return refusal
        query = request.query_params
        found = (
            self.records.get(query.get("rkey", ""))
            if query.get("repo") in (self.did, self.handle)
            else None
        )
        if found is None:
            uri = f"at://{query.get('repo')}/{query.get('collection')}/{query.get('rkey')}"
            return xrpc_error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return JSONResponse(found)

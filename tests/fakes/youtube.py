"""A local YouTube Data API v3 for ``videos.insert`` with Google's resumable upload protocol,
plus an OAuth 2.0 token endpoint. Run it over TLS (``self_signed_cert``): the client library keeps
https:// for media uploads whatever the endpoint says.

Resumable protocol: ``POST /upload/youtube/v3/videos?uploadType=resumable`` with the video
resource as JSON answers 200 with a ``Location`` session URL; ``PUT`` chunks with
``Content-Range: bytes a-b/total`` answer ``308`` + ``Range`` until the last, which answers the
video resource. ``fail(stage, kind)`` (stage "start", "upload" or "list") injects Google's errors.

For watchers: ``channels.list(part=contentDetails)`` names the uploads playlist and
``playlistItems.list`` lists it newest first (``maxResults``, ``pageToken``); uploads land there,
and ``hand_post`` adds a video as a person uploading in YouTube Studio would. ``revoked`` makes
the token endpoint answer ``invalid_grant`` as Google does for a revoked refresh token.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests import leakscan
from tests.fakes.vk import hang, read_form

ACCESS_TOKEN = "ya29.fake-access-token"
REFRESH_TOKEN = "1//fake-refresh-token"
CHANNEL_ID = "UCfakeChannel0000000000"
UPLOADS = "UUfakeChannel0000000000"

# kind -> (status, reason, message) as Google sends them.
ERRORS = {
    "quota": (
        403,
        "quotaExceeded",
        "The request cannot be completed because you have exceeded your quota.",
    ),
    "rate_limit": (
        403,
        "rateLimitExceeded",
        "The request cannot be completed because you have exceeded your rate limit.",
    ),
    "upload_limit": (
        400,
        "uploadLimitExceeded",
        "The user has exceeded the number of videos they may upload.",
    ),
    "auth": (401, "authError", "Invalid Credentials"),
    "rejected": (400, "invalidTitle", "The request metadata specifies an invalid video title."),
    "server_error": (503, "backendError", "Backend Error"),
}
RECORDED_HEADERS = (
    "authorization",
    "content-type",
    "content-range",
    "x-upload-content-type",
    "x-upload-content-length",
)


def self_signed_cert(directory: Path, dns_name: str | None = None) -> tuple[str, str]:
    """A certificate for IP 127.0.0.1 (or only for the host ``dns_name``) and its key, written
    to ``directory``; returns (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_name or "127.0.0.1")])
    subject: x509.GeneralName = (
        x509.DNSName(dns_name) if dns_name else x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([subject]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    form: dict[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class FakeYouTube:
    def __init__(self) -> None:
        leakscan.register(ACCESS_TOKEN, "YouTube access token")
        leakscan.register(REFRESH_TOKEN, "YouTube refresh token")
        self.calls: list[Call] = []
        self.base = ""  # set by the test once served
        self.failures: dict[str, str] = {}
        self.released = asyncio.Event()
        self.sessions: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        # Whether the token was granted a scope that reads the channel (youtube.readonly).
        self.can_read = True
        self.channel_title = "City News"
        self.revoked = False
        # The uploads playlist, oldest first: playlistItem resources.
        self.uploads: list[dict[str, Any]] = []
        self.app = Starlette(
            routes=[
                Route("/token", self.token, methods=["POST"]),
                Route("/upload/youtube/v3/videos", self.videos, methods=["POST", "PUT"]),
                Route("/youtube/v3/channels", self.channels, methods=["GET"]),
                Route("/youtube/v3/playlistItems", self.playlist_items, methods=["GET"]),
            ]
        )

    def fail(self, stage: str, kind: str) -> None:
        """Make the next "start" (session) or "upload" (chunk) request fail: an ERRORS key, or "hang"."""
        self.failures[stage] = kind

    def release(self) -> None:
        self.released.set()

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path != "/token"]

    def listings(self) -> list[Call]:
        """The watcher's looks (playlistItems.list)."""
        return [c for c in self.calls if c.path.endswith("/playlistItems")]

    def hand_post(self, title: str, at: dt.datetime | None = None) -> str:
        """A video uploaded by hand (published at ``at``, default now); returns its id."""
        video_id = f"hand{next(self.ids):07d}"
        self.add_upload(video_id, title, "", at)
        return video_id

    def add_upload(
        self, video_id: str, title: str, description: str, at: dt.datetime | None = None
    ) -> None:
        now = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.uploads.append(
            {
                "kind": "youtube#playlistItem",
                "etag": "p",
                "id": f"UExfake{video_id}",
                "snippet": {
                    "publishedAt": now,
                    "channelId": CHANNEL_ID,
                    "title": title,
                    "description": description,
                    "playlistId": UPLOADS,
                    "position": 0,
                    "resourceId": {"kind": "youtube#video", "videoId": video_id},
                },
                "contentDetails": {"videoId": video_id, "videoPublishedAt": now},
            }
        )

    async def playlist_items(self, request: Request) -> Response:
        """playlistItems.list: the playlist's items, newest first (the uploads playlist's order)."""
        call = Call(request.method, request.url.path, dict(request.query_params), {})
        self.calls.append(call)
        kind = self.failures.pop("list", None)
        if kind is not None:
            return google_error(*ERRORS[kind])
        if request.headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
            return google_error(401, "authError", "Invalid Credentials")
        if not self.can_read:
            return google_error(
                403, "insufficientPermissions", "Request had insufficient authentication scopes."
            )
        if call.query.get("playlistId") != UPLOADS:
            return google_error(404, "playlistNotFound", "The playlist cannot be found.")
        newest_first = list(reversed(self.uploads))
        start = int(call.query.get("pageToken") or 0)
        size = int(call.query.get("maxResults") or 5)
        body: dict[str, Any] = {
            "kind": "youtube#playlistItemListResponse",
            "etag": "l",
            "items": newest_first[start : start + size],
            "pageInfo": {"totalResults": len(newest_first), "resultsPerPage": size},
        }
        if start + size < len(newest_first):
            body["nextPageToken"] = str(start + size)
        return JSONResponse(body)

    async def token(self, request: Request) -> Response:
        form, _ = await read_form(request)
        self.calls.append(Call("POST", "/token", {}, {}, form=form))
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != REFRESH_TOKEN
            or self.revoked
        ):
            return JSONResponse(
                {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
                status_code=400,
            )
        return JSONResponse(
            {
                "access_token": ACCESS_TOKEN,
                "expires_in": 3599,
                "token_type": "Bearer",
                "scope": "https://www.googleapis.com/auth/youtube.upload",
            }
        )

    async def channels(self, request: Request) -> Response:
        """channels.list?part=snippet&mine=true: the token's own channel."""
        call = Call(request.method, request.url.path, dict(request.query_params), {})
        self.calls.append(call)
        if request.headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
            return google_error(401, "authError", "Invalid Credentials")
        if not self.can_read:
            return google_error(
                403, "insufficientPermissions", "Request had insufficient authentication scopes."
            )
        if call.query.get("mine") != "true":
            return google_error(400, "missingRequiredParameter", "No filter selected.")
        parts = call.query.get("part", "").split(",")
        return JSONResponse(
            {
                "kind": "youtube#channelListResponse",
                "etag": "e",
                "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
                "items": [
                    {
                        "kind": "youtube#channel",
                        "etag": "c",
                        "id": CHANNEL_ID,
                        **(
                            {
                                "snippet": {
                                    "title": self.channel_title,
                                    "description": "",
                                    "customUrl": "@citynews",
                                }
                            }
                            if "snippet" in parts
                            else {}
                        ),
                        **(
                            {
                                "contentDetails": {
                                    "relatedPlaylists": {"likes": "", "uploads": UPLOADS}
                                }
                            }
                            if "contentDetails" in parts
                            else {}
                        ),
                    }
                ],
            }
        )

    async def videos(self, request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k in RECORDED_HEADERS}
        call = Call(
            request.method,
            request.url.path,
            dict(request.query_params),
            headers,
            await request.body(),
        )
        self.calls.append(call)
        kind = self.failures.pop("start" if request.method == "POST" else "upload", None)
        if kind == "hang":
            return await hang(request, self.released)
        if kind is None and request.headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
            kind = "auth"
        if kind is not None:
            return google_error(*ERRORS[kind])
        return self.start(call) if request.method == "POST" else self.chunk(call)

    def start(self, call: Call) -> Response:
        upload_id = f"ADPycd{next(self.ids)}"
        self.sessions[upload_id] = {
            "resource": call.json,
            "total": int(call.headers["x-upload-content-length"]),
            "received": b"",
        }
        location = (
            f"{self.base}/upload/youtube/v3/videos?uploadType=resumable&upload_id={upload_id}"
        )
        return Response(status_code=200, headers={"Location": location})

    def chunk(self, call: Call) -> Response:
        session = self.sessions[call.query["upload_id"]]
        first, _, total = (
            call.headers["content-range"].removeprefix("bytes ").replace("/", "-").split("-")
        )
        if int(first) != len(session["received"]):
            return Response(status_code=400)
        session["received"] += call.body
        if len(session["received"]) < int(total):
            return Response(
                status_code=308, headers={"Range": f"bytes=0-{len(session['received']) - 1}"}
            )
        video_id = f"vid{next(self.ids):08d}"
        resource = {"kind": "youtube#video", "id": video_id, **session["resource"]}
        snippet = session["resource"].get("snippet") or {}
        self.add_upload(video_id, snippet.get("title", ""), snippet.get("description", ""))
        resource["status"] = {**resource.get("status", {}), "uploadStatus": "uploaded"}
        return JSONResponse(resource)


def google_error(status: int, reason: str, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": "youtube.video", "reason": reason}],
            }
        },
        status_code=status,
    )

"""A local Telegram Bot API: ``POST /bot<token>/<method>`` with query, form, multipart or JSON
parameters, answering ``{"ok": true, "result": …}`` or ``{"ok": false, "error_code", "description",
"parameters"?}`` as https://core.telegram.org/bots/api#making-requests describes.

``FakeNetwork`` (recording, scripted faults, hanging), ``Clock`` and ``media_file`` are shared by
the telegram, mastodon and bluesky fakes and tests; they would sit in tests/fakes/server.py,
which is not ours to edit.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from media.local import FileSource
from platforms.base import Media
from tests import leakscan
from tests.fakes.server import serve

HANG = "hang"


class Clock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def media_file(tmp_path: Path, kind: str = "image", content_type: str | None = None) -> Media:
    """A small image (7 bytes of "JPEG") or video on disk, as the poster hands media over."""
    name, default_type, data = (
        ("photo.jpg", "image/jpeg", b"\xff\xd8\xffjpeg")
        if kind == "image"
        else ("clip.mp4", "video/mp4", b"\x00\x00\x00\x18ftypmp42")
    )
    path = tmp_path / name
    path.write_bytes(data)
    return Media(
        kind=kind,
        content_type=content_type or default_type,
        filename=name,
        size=len(data),
        source=FileSource(path),
    )


@dataclass(frozen=True)
class Uploaded:
    """A file part as it arrived; ``data`` stays empty when the fake only counts (``keep_files``)."""

    filename: str | None
    content_type: str | None
    data: bytes
    size: int
    sha256: str

    @classmethod
    def of(cls, filename: str | None, content_type: str | None, data: bytes) -> Uploaded:
        return cls(filename, content_type, data, len(data), hashlib.sha256(data).hexdigest())

    @classmethod
    async def received(cls, part: UploadFile, keep: bool) -> Uploaded:
        """Read the part (spooled to disk by Starlette past 1 MB) a megabyte at a time."""
        if keep:
            return cls.of(part.filename, part.content_type, await part.read())
        digest, size = hashlib.sha256(), 0
        while chunk := await part.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
        return cls(part.filename, part.content_type, b"", size, digest.hexdigest())


@dataclass
class Seen:
    """One request exactly as it arrived."""

    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    # Form fields (lists for repeated ``name[]`` keys) or the JSON body's top-level keys.
    fields: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Uploaded] = field(default_factory=dict)
    body: bytes = b""


class FakeNetwork:
    """Records every request; answers the next ones with scripted faults when told to."""

    app: Starlette
    # False: uploaded files are counted and hashed, not kept (a 200 MB video stays on disk).
    keep_files = True

    def __init__(self) -> None:
        self.base_url = ""  # set by the test once the server runs
        self.requests: list[Seen] = []
        # (path suffix or "" for any request, the scripted answer or HANG)
        self._faults: deque[tuple[str, Response | str]] = deque()
        self._released = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        """Serve on 127.0.0.1 for the block; yields (and keeps in ``base_url``) the base URL."""
        async with serve(self) as base:
            self.base_url = base
            try:
                yield base
            finally:
                self.release()  # a hanging handler would keep the server from stopping

    def fail_next(self, response: Response, times: int = 1, path: str = "") -> None:
        """Answer the next ``times`` requests (to a path ending in ``path``) with ``response``."""
        self._faults.extend([(path, response)] * times)

    def hang_next(self, path: str = "") -> None:
        """Never answer the next request (to ``path``) until ``release``: the client times out."""
        self._faults.append((path, HANG))

    def release(self) -> None:
        """Let hanging requests finish, so the server can shut down."""
        self._released.set()

    def reset(self) -> None:
        """Forget what was seen and scripted, releasing anything still hanging."""
        self._released.set()
        self._released = asyncio.Event()
        self.requests.clear()
        self._faults.clear()

    def calls(self, path_suffix: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path.endswith(path_suffix)]

    async def record(self, request: Request) -> Seen:
        seen = Seen(
            request.method, request.url.path, dict(request.headers), dict(request.query_params)
        )
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            async with request.form() as form:
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        seen.files[key] = await Uploaded.received(value, self.keep_files)
                    elif key.endswith("[]"):
                        seen.fields.setdefault(key, []).append(value)
                    else:
                        seen.fields[key] = value
        else:
            seen.body = await request.body()
            if content_type.startswith("application/json") and seen.body:
                seen.fields = json.loads(seen.body)
        self.requests.append(seen)
        return seen

    async def fault(self, request: Request) -> Response | None:
        """The scripted answer for this request, if one is due (hanging first if so told)."""
        due = next((f for f in self._faults if request.url.path.endswith(f[0])), None)
        if due is None:
            return None
        self._faults.remove(due)
        fault = due[1]
        if fault == HANG:
            await self._released.wait()
            return Response(status_code=504)
        assert isinstance(fault, Response)
        return fault


def api_error(code: int, description: str, **parameters: Any) -> JSONResponse:
    """A Bot API error answer, e.g. ``api_error(429, "Too Many Requests: retry after 7", retry_after=7)``."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=code)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def url_entities(text: str) -> list[dict[str, Any]]:
    """``url`` entities with offsets in UTF-16 code units, as Telegram reports them."""
    return [
        {"type": "url", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
        for m in re.finditer(r"https?://\S+", text)
    ]


class FakeTelegram(FakeNetwork):
    def __init__(self, token: str, chats: list[dict[str, Any]]) -> None:
        super().__init__()
        self.token = token
        leakscan.register(token, "Telegram bot token")
        self.chats = chats
        self.messages: list[dict[str, Any]] = []
        self._next_id = 100
        self.init_updates()
        self.app = Starlette(
            routes=[Route("/bot{token}/{method}", self.handle, methods=["GET", "POST"])]
        )

    def reset(self) -> None:
        super().reset()
        self.messages.clear()
        self._next_id = 100
        self.init_updates()

    # --- the bot's updates (getUpdates), as a watcher reads a channel -------------------------

    def init_updates(self) -> None:
        # Unconfirmed updates, oldest first; getUpdates with an offset confirms (drops) those below.
        self.updates: list[dict[str, Any]] = []
        self._next_update = 500000
        # A webhook set on the bot (setWebhook): getUpdates then answers 409 Conflict.
        self.webhook_url = ""

    def channel_post(self, message: dict[str, Any]) -> None:
        """A new post in a channel where the bot is an admin becomes a ``channel_post`` update.

        Telegram may leave the bot's own posts out of its updates; this fake serves them too,
        so a test shows they are told apart by message_id rather than missed by luck."""
        chat = message["chat"]
        if (
            chat.get("type") != "channel"
            or chat.get("bot_status", "administrator") != "administrator"
        ):
            return
        self._next_update += 1
        self.updates.append({"update_id": self._next_update, "channel_post": message})

    def post_by_hand(
        self, chat: dict[str, Any], text: str, date: int | None = None
    ) -> dict[str, Any]:
        """A post an editor makes in the Telegram app, in the channel, as the channel."""
        public = {k: v for k, v in chat.items() if k not in ("bot_status", "can_post")}
        message = {
            "message_id": self._next_id,
            "date": int(time.time()) if date is None else date,
            "chat": public,
            "sender_chat": public,
            "text": text,
        }
        self._next_id += 1
        self.messages.append(message)
        self.channel_post({**message, "chat": chat})
        return message

    def get_updates(self, params: dict[str, str]) -> Response:
        if self.webhook_url:
            return api_error(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        if offset > 0:  # confirmed: gone for good
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        allowed = json.loads(params["allowed_updates"]) if "allowed_updates" in params else None
        limit = min(100, max(1, int(params.get("limit") or 100)))
        chosen = [u for u in self.updates if allowed is None or any(key in u for key in allowed)][
            :limit
        ]
        return ok(
            [
                {
                    "update_id": u["update_id"],
                    **{
                        key: {
                            **value,
                            "chat": {
                                k: v
                                for k, v in value["chat"].items()
                                if k not in ("bot_status", "can_post")
                            },
                        }
                        for key, value in u.items()
                        if key != "update_id"
                    },
                }
                for u in chosen
            ]
        )

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": int(self.token.split(":")[0]),
            "is_bot": True,
            "first_name": "Metronome",
            "username": "metronome_bot",
        }

    def member(self, chat: dict[str, Any], user_id: str) -> dict[str, Any]:
        """The bot's membership as getChatMember answers it: ``bot_status`` in the chat's entry
        ("administrator" unless told), ``can_post`` for a channel admin's right to post."""
        user = self.bot_user()
        if user_id != str(user["id"]):
            return {
                "status": "left",
                "user": {"id": int(user_id or 0), "is_bot": False, "first_name": "?"},
            }
        status = chat.get("bot_status", "administrator")
        if status != "administrator":
            return {"status": status, "user": user}
        rights = dict.fromkeys(
            (
                "can_be_edited",
                "is_anonymous",
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
                "can_send_welcome_messages",
            ),
            False,
        )
        return {
            "status": status,
            "user": user,
            **rights,
            "can_post_messages": chat.get("can_post", True),
            "can_edit_messages": True,
        }

    def find_chat(self, chat_id: str) -> dict[str, Any] | None:
        for chat in self.chats:
            if chat_id == str(chat["id"]) or (
                chat.get("username") and chat_id.lower() == f"@{chat['username']}".lower()
            ):
                return chat
        return None

    async def handle(self, request: Request) -> Response:
        seen = await self.record(request)
        if (fault := await self.fault(request)) is not None:
            return fault
        if request.path_params["token"] != self.token:
            return api_error(401, "Unauthorized")
        params = {
            **seen.query,
            **{k: v if isinstance(v, str) else json.dumps(v) for k, v in seen.fields.items()},
        }
        method = request.path_params["method"].lower()  # method names are case-insensitive
        if method == "getme":
            return ok(self.bot_user())
        if method == "getupdates":
            return self.get_updates(params)
        if method not in ("sendmessage", "sendphoto", "sendvideo", "getchat", "getchatmember"):
            return api_error(404, "Not Found")
        chat = self.find_chat(params.get("chat_id", ""))
        if chat is None:
            return api_error(400, "Bad Request: chat not found")
        public = {k: v for k, v in chat.items() if k not in ("bot_status", "can_post")}
        if method == "getchat":
            gifts = (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            )
            return ok(
                {
                    **public,
                    "accent_color_id": 0,
                    "max_reaction_count": 11,
                    "accepted_gift_types": dict.fromkeys(gifts, False),
                }
            )
        if method == "getchatmember":
            return ok(self.member(chat, params.get("user_id", "")))
        message: dict[str, Any] = {
            "message_id": self._next_id,
            "date": int(time.time()),
            "chat": chat,
        }
        if chat["type"] == "channel":
            message["sender_chat"] = chat
        if method == "sendmessage":
            answer = self.text_message(params, message)
        else:
            answer = self.media_message(method.removeprefix("send"), params, seen.files, message)
        if isinstance(answer, Response):
            return answer
        self._next_id += 1
        self.messages.append(answer)
        self.channel_post({**answer, "chat": chat})
        return ok(answer)

    def text_message(
        self, params: dict[str, str], message: dict[str, Any]
    ) -> dict[str, Any] | Response:
        text = params.get("text", "")
        if not text.strip():
            return api_error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return api_error(400, "Bad Request: message is too long")
        message.update(text=text, entities=url_entities(text))
        if "link_preview_options" in params:
            try:
                message["link_preview_options"] = json.loads(params["link_preview_options"])
            except ValueError:
                return api_error(400, "Bad Request: can't parse link preview options JSON object")
        return message

    def media_message(
        self, kind: str, params: dict[str, str], files: dict[str, Uploaded], message: dict[str, Any]
    ) -> dict[str, Any] | Response:
        value = params.get(kind, "")
        if value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        else:
            upload = files.get(kind) or (Uploaded.of(None, None, value.encode()) if value else None)
        if upload is None:
            return api_error(400, f"Bad Request: there is no {kind} in the request")
        caption = params.get("caption", "")
        if len(caption) > 1024:
            return api_error(400, "Bad Request: message caption is too long")
        file_id = "BAAC" + upload.sha256[:40]
        info = {"file_id": file_id, "file_unique_id": file_id[-12:], "file_size": upload.size}
        if kind == "photo":
            message["photo"] = [
                {**info, "width": 90, "height": 60},
                {**info, "width": 1280, "height": 853},
            ]
        else:
            message["video"] = {
                **info,
                "width": 1280,
                "height": 720,
                "duration": 5,
                "mime_type": "video/mp4",
                "file_name": upload.filename or "video.mp4",
            }
        if caption:
            message.update(caption=caption, caption_entities=url_entities(caption))
        return message


def ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})

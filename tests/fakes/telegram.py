"""A local Telegram Bot API: ``POST /bot<token>/<method>`` with query, form, multipart or JSON
parameters, answering ``{"ok": true, "result": …}`` or ``{"ok": false, "error_code", "description",
"parameters"?}`` as https://core.telegram.org/bots/api#making-requests describes.

``FakeNetwork`` (recording, scripted faults, hanging) is shared by the three fakes of this folder;
it would sit in tests/fakes/server.py, which is not ours to edit.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

HANG = "hang"


@dataclass(frozen=True)
class Uploaded:
    filename: str | None
    content_type: str | None
    data: bytes


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

    def __init__(self) -> None:
        self.base_url = ""  # set by the test once the server runs
        self.requests: list[Seen] = []
        self._faults: deque[Response | str] = deque()
        self._released = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def fail_next(self, response: Response, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``response`` instead of handling them."""
        self._faults.extend([response] * times)

    def hang_next(self) -> None:
        """Never answer the next request (until ``release``): the client's timeout fires."""
        self._faults.append(HANG)

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
        seen = Seen(request.method, request.url.path, dict(request.headers), dict(request.query_params))
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            async with request.form() as form:
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        seen.files[key] = Uploaded(value.filename, value.content_type, await value.read())
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

    async def fault(self) -> Response | None:
        if not self._faults:
            return None
        fault = self._faults.popleft()
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
        self.chats = chats
        self.messages: list[dict[str, Any]] = []
        self._next_id = 100
        self.app = Starlette(routes=[Route("/bot{token}/{method}", self.handle, methods=["GET", "POST"])])

    def reset(self) -> None:
        super().reset()
        self.messages.clear()
        self._next_id = 100

    def find_chat(self, chat_id: str) -> dict[str, Any] | None:
        for chat in self.chats:
            if chat_id == str(chat["id"]) or (chat.get("username") and chat_id.lower() == f"@{chat['username']}".lower()):
                return chat
        return None

    async def handle(self, request: Request) -> Response:
        seen = await self.record(request)
        if (fault := await self.fault()) is not None:
            return fault
        if request.path_params["token"] != self.token:
            return api_error(401, "Unauthorized")
        params = {**seen.query, **{k: v if isinstance(v, str) else json.dumps(v) for k, v in seen.fields.items()}}
        method = request.path_params["method"].lower()  # method names are case-insensitive
        if method == "getme":
            return ok({"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Metronome", "username": "metronome_bot"})
        if method not in ("sendmessage", "sendphoto", "sendvideo"):
            return api_error(404, "Not Found")
        chat = self.find_chat(params.get("chat_id", ""))
        if chat is None:
            return api_error(400, "Bad Request: chat not found")
        message: dict[str, Any] = {"message_id": self._next_id, "date": int(time.time()), "chat": chat}
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
        return ok(answer)

    def text_message(self, params: dict[str, str], message: dict[str, Any]) -> dict[str, Any] | Response:
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
            upload = files.get(kind) or (Uploaded(None, None, value.encode()) if value else None)
        if upload is None:
            return api_error(400, f"Bad Request: there is no {kind} in the request")
        caption = params.get("caption", "")
        if len(caption) > 1024:
            return api_error(400, "Bad Request: message caption is too long")
        file_id = "BAAC" + hashlib.sha1(upload.data).hexdigest()
        info = {"file_id": file_id, "file_unique_id": file_id[-12:], "file_size": len(upload.data)}
        if kind == "photo":
            message["photo"] = [{**info, "width": 90, "height": 60}, {**info, "width": 1280, "height": 853}]
        else:
            message["video"] = {**info, "width": 1280, "height": 720, "duration": 5, "mime_type": "video/mp4",
                                "file_name": upload.filename or "video.mp4"}
        if caption:
            message.update(caption=caption, caption_entities=url_entities(caption))
        return message


def ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})

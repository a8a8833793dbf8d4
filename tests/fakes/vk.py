"""A local VK API: ``/method/<name>`` answering like api.vk.com, plus the upload servers.

Every request is recorded (method name, form fields, uploaded files) so tests assert on what
was sent. ``fail(method, kind)`` makes the next call of ``method`` answer with VK's real error
shape (HTTP 200 with ``{"error": …}``) or never answer.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# kind -> (error_code, error_msg) as VK sends them.
ERRORS = {
    "rate_limit": (6, "Too many requests per second"),
    "flood": (9, "Flood control"),
    "daily": (29, "Rate limit reached"),
    "auth": (5, "User authorization failed: invalid access_token (4)."),
    "rejected": (214, "Access to adding post denied"),
    "internal": (10, "Internal server error"),
}


@dataclass
class Call:
    path: str
    form: dict[str, str]
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.path.removeprefix("/method/")


class FakeVK:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.base = ""  # set by the test once served
        self.failures: dict[str, str] = {}
        self.released = asyncio.Event()
        self.ids = itertools.count(101)
        self.wall: list[dict[str, Any]] = []  # newest first, as wall.get lists them
        # Communities groups.getById knows, and the token user's admin_level in each (0: none).
        self.groups: dict[str, dict[str, Any]] = {
            "12345": {"name": "City News", "screen_name": "citynews", "admin_level": 3}
        }
        self.app = Starlette(
            routes=[
                Route("/method/{name}", self.method, methods=["POST"]),
                Route("/upload/{kind}", self.upload_server, methods=["POST"]),
            ]
        )

    def fail(self, method: str, kind: str) -> None:
        """Make the next call of ``method`` fail: an ERRORS key, or "hang" (never answer)."""
        self.failures[method] = kind

    def post_by_hand(self, text: str, date: int | None = None, group_id: str = "12345") -> int:
        """A post an editor makes on the community's wall in VK itself; its id."""
        post_id = next(self.ids)
        self.wall.insert(
            0,
            {
                "id": post_id,
                "owner_id": -int(group_id),
                "from_id": -int(group_id),
                "date": int(time.time()) if date is None else date,
                "text": text,
                "post_type": "post",
            },
        )
        return post_id

    def release(self) -> None:
        """Let hanging requests end so the server can shut down."""
        self.released.set()

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def record(self, request: Request) -> Call:
        call = Call(request.url.path, *await read_form(request))
        self.calls.append(call)
        return call

    async def method(self, request: Request) -> Response:
        call = await self.record(request)
        kind = self.failures.pop(call.method, None)
        if kind == "hang" and call.method == "wall.post":
            self.answer(call)  # the post goes out; only its answer is lost
        if kind == "hang":
            return await hang(request, self.released)
        if kind is not None:
            code, msg = ERRORS[kind]
            params = [{"key": "method", "value": call.method}]  # VK echoes params, never the token
            return JSONResponse(
                {"error": {"error_code": code, "error_msg": msg, "request_params": params}}
            )
        if call.form.get("access_token") in (None, "", "bad-token"):
            return JSONResponse(
                {"error": {"error_code": 5, "error_msg": "User authorization failed"}}
            )
        answer = self.answer(call)
        if isinstance(answer, dict) and "error" in answer:
            return JSONResponse(answer)
        return JSONResponse({"response": answer})

    def answer(self, call: Call) -> Any:
        gid = call.form.get("group_id", "")
        if call.method == "photos.getWallUploadServer":
            return {"upload_url": f"{self.base}/upload/photo", "album_id": -14, "user_id": 1}
        if call.method == "photos.saveWallPhoto":
            return [{"id": next(self.ids), "owner_id": -int(gid), "album_id": -14, "text": ""}]
        if call.method == "video.save":
            return {
                "upload_url": f"{self.base}/upload/video",
                "video_id": next(self.ids),
                "owner_id": -int(gid),
                "title": call.form.get("name"),
                "access_key": "k",
            }
        if call.method == "wall.post":
            post_id = next(self.ids)
            self.wall.insert(
                0,
                {
                    "id": post_id,
                    "owner_id": -int(call.form["owner_id"].lstrip("-")),
                    "date": int(time.time()),
                    "text": call.form.get("message", ""),
                    "post_type": "post",
                },
            )
            return {"post_id": post_id}
        if call.method == "groups.getById":
            return self.group_by_id(call.form.get("group_id", ""))
        if call.method == "wall.get":
            start = int(call.form.get("offset", 0))
            items = self.wall[start : start + int(call.form.get("count", 20))]
            return {"count": len(self.wall), "items": items}
        return 1

    def group_by_id(self, group_id: str) -> Any:
        """API 5.199's shape: {"groups": [...], "profiles": []}; an unknown id is error 100."""
        group = self.groups.get(group_id.lstrip("-"))
        if group is None:
            return {
                "error": {
                    "error_code": 100,
                    "error_msg": "One of the parameters specified was missing or invalid: group_id is undefined",
                }
            }
        level = group.get("admin_level", 0)
        item = {
            "id": int(group_id.lstrip("-")),
            "name": group["name"],
            "screen_name": group["screen_name"],
            "is_closed": 0,
            "type": "page",
            "is_admin": int(level > 0),
            "photo_50": "https://sun9-1.userapi.com/s/v1/ig2/x.jpg",
        }
        if level:
            item["admin_level"] = level
        return {"groups": [item], "profiles": []}

    async def upload_server(self, request: Request) -> Response:
        call = await self.record(request)
        if self.failures.pop("upload", None) == "hang":
            return await hang(request, self.released)
        if request.path_params["kind"] == "photo":
            photo = call.files.get("photo")
            listing = json.dumps([{"photo": "abc", "sizes": []}]) if photo else "[]"
            return JSONResponse({"server": 777, "photo": listing, "hash": "h4sh"})
        if "video_file" not in call.files:
            return JSONResponse({"error": "no file"})
        return JSONResponse(
            {"size": len(call.files["video_file"][2]), "video_hash": "vh", "video_id": 1}
        )


# The two helpers below serve every fake network (the Graph, X and YouTube fakes import them).
async def read_form(request: Request) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
    """The fields and files (filename, content type, bytes) of a form-encoded or multipart body."""
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    for key, value in (await request.form()).multi_items():
        if isinstance(value, UploadFile):
            files[key] = (value.filename or "", value.content_type or "", await value.read())
        else:
            fields[key] = value
    return fields, files


async def hang(request: Request, released: asyncio.Event) -> Response:
    """Never answer: wait until the client gives up (disconnects) or the test releases the fake."""
    while not await request.is_disconnected():
        try:
            await asyncio.wait_for(released.wait(), 0.05)
            break
        except TimeoutError:
            continue
    return Response(status_code=504)

"""Media over HTTP: ``POST /api/media`` stores an upload once; ``GET /media/{id}`` serves it.

An upload is a multipart form with one ``file`` part, from a signed-in editor (session cookie)
or a machine (``Authorization: Bearer``). Its type is sniffed from its bytes and bounded per
kind; the same bytes uploaded twice give the same id. ``GET /media/{id}`` needs a session or a
token, or a signature (``?exp=…&sig=…``) the app made for a network that fetches media itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.types import Message, Receive

from board import attachments
from board.args import strict_int
from board.errors import BadRequest
from media import rows
from media.errors import MediaMissing, MediaRefused, MediaSettingError
from media.settings import MB, MediaSettings
from media.staging import stage_file
from media.store import MediaStore
from web.routes import bad_param, current_actor, json_error, origin_ok
from web.settings import SettingError

UPLOADERS = ("author", "editor", "admin")
# Multipart headers and boundaries around the file: generous, still bounded.
FORM_OVERHEAD = 64 * 1024


def media_settings(env: Mapping[str, str], data_dir: Path, secret_key: str) -> MediaSettings:
    """The media settings, or a SettingError naming the bad one (checked before serving)."""
    try:
        return MediaSettings.from_env(env, data_dir, secret_key)
    except MediaSettingError as exc:
        raise SettingError(exc.name, exc.reason) from None


def store_of(request: Request) -> MediaStore:
    store: MediaStore = request.app.state.services.extras["media"]
    return store


def bounded(receive: Receive, limit: int) -> Receive:
    """``receive`` that refuses a body longer than ``limit`` (chunked uploads have no length)."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise MediaRefused(f"the upload is larger than {limit // MB} MB", status=413)
        return message

    return wrapped


def refused(status: int, message: str) -> JSONResponse:
    code = {413: "too_large", 415: "unsupported_media_type"}.get(status, "bad_request")
    return json_error(status, code, message)


async def upload(request: Request) -> Response:
    actor = await current_actor(request)
    if actor is None:
        return json_error(401, "unauthorized", "sign in or send Authorization: Bearer <token>")
    if actor.role not in UPLOADERS:
        return json_error(
            403,
            "forbidden",
            f"uploading media needs the author role or above, you are {actor.role}",
        )
    if not origin_ok(request):
        return json_error(403, "forbidden", "cross-origin request refused")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return refused(400, "expected multipart/form-data with the file in a part named 'file'")
    store = store_of(request)
    limit = max(store.limits.values()) + FORM_OVERHEAD
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return refused(413, f"the upload is larger than {limit // MB} MB")
    services = request.app.state.services
    bounded_request = Request(request.scope, bounded(request.receive, limit))
    try:
        async with bounded_request.form(max_files=1, max_fields=10) as form:
            part = form.get("file")
            if not isinstance(part, UploadFile):
                return refused(400, "expected the file in a multipart part named 'file'")
            staged = await stage_file(await store.staging(), part.file)  # type: ignore[arg-type]
            filename = part.filename
    except MediaRefused as exc:
        return refused(exc.status, str(exc))
    try:
        async with services.database.transaction() as db:
            row, created = await store.save(db, staged, filename, user_id=actor.id)
    finally:
        staged.path.unlink(missing_ok=True)  # stored (moved or uploaded) by now, or not at all
    body = {
        "id": row.id,
        "kind": row.kind,
        "url": attachments.url(row.id),
        "content_type": row.content_type,
        "filename": row.filename,
        "size": row.size,
        "created": created,
    }
    return JSONResponse(body, status_code=201 if created else 200)


async def serve(request: Request) -> Response:
    store = store_of(request)
    services = request.app.state.services
    try:
        # The route takes ASCII digits of any length; the column is an int4.
        media_id = strict_int(request.path_params["id"], "id", "media", minimum=1)
    except BadRequest as exc:
        return bad_param(exc)
    now = services.clock.now().timestamp()
    params = request.query_params
    expires, signature = params.get("exp", ""), params.get("sig", "")
    # The signer reads exp with int() (which takes "²") and compares sig with hmac (ASCII
    # only): anything else is no signature of ours.
    well_formed = expires.isascii() and expires.isdigit() and signature.isascii()
    signed = (
        "sig" in params and well_formed and store.signer.verify(media_id, expires, signature, now)
    )
    if not signed:
        if "sig" in params:
            return json_error(403, "forbidden", "this media link has expired or is not valid")
        if await current_actor(request) is None:
            return json_error(401, "unauthorized", "sign in or send Authorization: Bearer <token>")
    async with services.database.connect() as db:
        row = await rows.by_id(db, media_id)
    if row is None:
        return json_error(404, "not_found", f"no media with id {media_id}")
    headers: dict[str, Any] = {
        "Cache-Control": "public, max-age=3600" if signed else "private, max-age=3600",
        "X-Content-Type-Options": "nosniff",
    }
    try:
        path = await store.local_path(row)
        if path is not None:
            return FileResponse(
                path,
                media_type=row.content_type,
                headers=headers,
                filename=row.filename,
                content_disposition_type="inline",
            )
        # On S3 the bucket serves the bytes: a short-lived presigned link.
        url = await store.public_url(row, now)
    except MediaMissing as exc:
        return json_error(404, "not_found", str(exc))
    return RedirectResponse(url or "/", status_code=302, headers={"Cache-Control": "no-store"})

"""Materials over HTTP (CONTRACT §2, §5) and the materials and feed ops of the WebSocket.

POST /api/materials upserts one material (a JSON object) or many (a JSON array) from the
CMS; a bad payload is a 422 that names the field. GET /api/materials?q= searches.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from board import materials, search
from board.args import param_int, text_problem
from board.context import Ctx, Event
from board.errors import BadRequest, NotFound
from web.routes import bad_param, current_actor, json_error, origin_ok

# A CMS pushes one material, or a batch when it catches up; more than this is a bulk import.
MAX_BATCH = 500
MAX_BODY = 8 * 1024 * 1024
WRITERS = ("editor", "admin")


def invalid(field: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": "bad_request", "field": field, "message": f"{field}: {message}"}},
        status_code=422,
    )


async def _payload(request: Request) -> Any:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        raise materials.Invalid("body", f"larger than {MAX_BODY // 1024 // 1024} MB")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise materials.Invalid("body", f"larger than {MAX_BODY // 1024 // 1024} MB")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise materials.Invalid(
            "body", "expected JSON: a material object or an array of them"
        ) from None


async def _upsert_one(ctx: Ctx, item: materials.MaterialInput) -> dict[str, Any]:
    done = await materials.upsert(ctx, item)
    result: dict[str, Any] = {
        "id": done.id,
        "external_id": item.external_id,
        "created": done.created,
        "changed": done.changed,
        "cards": done.followed,
    }
    if done.created and item.drafts_platform_id is not None:
        try:
            result["drafts"] = await materials.drop_into_drafts(
                ctx, item.drafts_platform_id, [done.id]
            )
        except (NotFound, BadRequest) as exc:
            raise materials.Invalid("drafts_platform_id", exc.message) from None
    return result


async def post_materials(request: Request) -> Response:
    actor = await current_actor(request)
    if actor is None:
        return json_error(401, "unauthorized", "sign in or send Authorization: Bearer <token>")
    if actor.role not in WRITERS:
        return json_error(
            403, "forbidden", f"adding materials needs the editor role, you are {actor.role}"
        )
    if not origin_ok(request):
        return json_error(403, "forbidden", "cross-origin request refused")
    services = request.app.state.services
    try:
        body = await _payload(request)
        batch = isinstance(body, list)
        if batch and len(body) > MAX_BATCH:
            raise materials.Invalid("body", f"more than {MAX_BATCH} materials in one request")
        payloads = body if batch else [body]
        items = []
        for i, payload in enumerate(payloads):
            try:
                items.append(materials.parse(payload))
            except materials.Invalid as exc:
                raise materials.Invalid(
                    f"[{i}].{exc.field}" if batch else exc.field, exc.reason
                ) from None
        event = Event("materials.upsert", {"external_ids": [item.external_id for item in items]})
        async with services.commands.unit(actor, services.clock.now(), event) as ctx:
            results = []
            for i, item in enumerate(items):
                try:
                    results.append(await _upsert_one(ctx, item))
                except materials.Invalid as exc:
                    raise materials.Invalid(
                        f"[{i}].{exc.field}" if batch else exc.field, exc.reason
                    ) from None
    except materials.Invalid as exc:
        return invalid(exc.field, exc.reason)
    if batch:
        return JSONResponse({"items": results})
    return JSONResponse(results[0], status_code=201 if results[0]["created"] else 200)


async def endpoint(request: Request) -> Response:
    """/api/materials: GET searches, POST upserts."""
    if request.method == "POST":
        return await post_materials(request)
    return await get_materials(request)


def _int(params: Any, name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    return param_int(raw, name, "materials", minimum=0 if name == "offset" else 1, maximum=maximum)


def _text(params: Any, name: str) -> str | None:
    value: str | None = params.get(name)
    problem = text_problem(value) if value else None
    if problem:
        raise BadRequest(f"materials: {name} {problem}", field=name)
    return value


async def get_materials(request: Request) -> Response:
    actor = await current_actor(request)
    if actor is None:
        return json_error(401, "unauthorized", "sign in or send Authorization: Bearer <token>")
    services = request.app.state.services
    params = request.query_params
    try:
        q = _text(params, "q") or ""
        section = _text(params, "section") or None
        limit = _int(params, "limit", search.DEFAULT_LIMIT, search.MAX_LIMIT)
        offset = _int(params, "offset", 0, search.MAX_OFFSET)
    except BadRequest as exc:
        return bad_param(exc)
    async with services.database.transaction() as db:
        found = await search.search(db, q, limit=limit, offset=offset, section=section)
    items = [materials.compact(materials.material_state(r)) for r in found]
    return Response(orjson.dumps({"items": items}), media_type="application/json")

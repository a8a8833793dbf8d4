"""HTTP routes of CONTRACT §2: the pages, login, health, metrics and state."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from board import accounts, history
from board.args import param_int
from board.context import Actor
from board.errors import CommandError
from web import auth

STATIC = Path(__file__).parent / "static"


def json_error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    error = {"code": code, "message": message}
    if field is not None:
        error["field"] = field  # the parameter at fault (docs/architecture.md)
    return JSONResponse({"error": error}, status_code=status)


def bad_param(exc: CommandError) -> JSONResponse:
    """A refused query or path parameter (board/args.py): 400 naming it."""
    return json_error(400, exc.code, exc.message, exc.field)


async def current_actor(request: Request) -> Actor | None:
    services = request.app.state.services
    return await auth.resolve(
        services.database, request.headers, request.cookies, services.clock.now()
    )


def origin_ok(request: Request) -> bool:
    services = request.app.state.services
    return auth.origin_allowed(
        request.headers.get("origin"),
        services.settings.allowed_origins,
        request.url.scheme,
        request.headers.get("host"),
    )


async def board_page(request: Request) -> Response:
    if await current_actor(request) is None:
        return RedirectResponse("/login", status_code=303)
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def login_page(request: Request) -> Response:
    return FileResponse(STATIC / "login.html", headers={"Cache-Control": "no-store"})


async def favicon(request: Request) -> Response:
    return FileResponse(STATIC / "favicon.ico", headers={"Cache-Control": "max-age=86400"})


async def _credentials(request: Request) -> tuple[str, str, bool]:
    """(email, password, is_form) from a JSON body or a posted form."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return str(form.get("email") or ""), str(form.get("password") or ""), True
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise ValueError('expected a JSON body {"email": …, "password": …}') from None
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("email"), str)
        or not isinstance(body.get("password"), str)
    ):
        raise ValueError('expected a JSON body {"email": …, "password": …} with string values')
    return body["email"], body["password"], False


async def login(request: Request) -> Response:
    services = request.app.state.services
    if not origin_ok(request):
        return json_error(403, "forbidden", "this origin may not sign in here")
    # The connecting address, or the client a trusted proxy names (web/cli.py proxy_options).
    client = request.client.host if request.client else "?"
    try:
        email, password, is_form = await _credentials(request)
    except ValueError as exc:
        return json_error(400, "bad_request", str(exc))
    throttle = services.login_throttle
    verdict = throttle.check(client, email)
    if not verdict.allowed:
        if is_form:
            return RedirectResponse("/login?error=throttled", status_code=303)
        return json_error(429, "rate_limited", f"{verdict.reason}; wait a few minutes")
    now = services.clock.now()
    async with services.database.connect() as db:
        actor = await accounts.authenticate(db, email, password)
        token = await accounts.start_session(db, actor.id, now) if actor else None
    if actor is None or token is None:
        throttle.failed(client, email)
        if is_form:
            return RedirectResponse("/login?error=1", status_code=303)
        return json_error(401, "unauthorized", "wrong e-mail or password")
    throttle.succeeded(client, email)
    response: Response
    if is_form:
        response = RedirectResponse("/", status_code=303)
    else:
        response = JSONResponse(
            {"ok": True, "me": {"id": actor.id, "email": actor.email, "role": actor.role}}
        )
    response.set_cookie(
        auth.COOKIE,
        token,
        max_age=int(accounts.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


async def logout(request: Request) -> Response:
    services = request.app.state.services
    if not origin_ok(request):
        return json_error(403, "forbidden", "cross-origin request refused")
    token = request.cookies.get(auth.COOKIE)
    if token:
        async with services.database.connect() as db:
            await accounts.end_session(db, token, services.clock.now())
    response = JSONResponse({"ok": True})
    response.delete_cookie(auth.COOKIE, path="/")
    return response


async def health(request: Request) -> Response:
    services = request.app.state.services
    body: dict[str, Any] = {"status": "ok", "db": "ok"}
    try:
        async with asyncio.timeout(3):
            async with services.database.connect() as db:
                await db.execute("SELECT 1")
    except Exception as exc:  # any failure here is the answer, not an error of ours
        body = {"status": "error", "db": f"unreachable: {type(exc).__name__}"}
    body["listen"] = "ok" if services.listener.connected.is_set() else "reconnecting"
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)


async def metrics(request: Request) -> Response:
    services = request.app.state.services
    return Response(
        services.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
    )


async def state(request: Request) -> Response:
    actor = await current_actor(request)
    if actor is None:
        return json_error(401, "unauthorized", "sign in or send Authorization: Bearer <token>")
    services = request.app.state.services
    return Response(orjson.dumps(await services.load_state(actor)), media_type="application/json")


async def snippet_history(request: Request) -> Response:
    """GET /api/snippets/{id}/history[?limit=N]: the card's story (board/history.py), for anyone
    signed in; 400 names a bad id or limit, 404 a card that never was."""
    actor = await current_actor(request)
    if actor is None:
        return json_error(401, "unauthorized", "sign in or send Authorization: Bearer <token>")
    services = request.app.state.services
    try:
        snippet_id = param_int(request.path_params["id"], "id", "history", minimum=1)
        raw_limit = request.query_params.get("limit")
        limit = (
            history.DEFAULT_LIMIT
            if raw_limit is None
            else param_int(raw_limit, "limit", "history", minimum=1, maximum=history.MAX_LIMIT)
        )
    except CommandError as exc:
        return bad_param(exc)
    try:
        async with services.database.connect() as db:
            story = await history.story(db, snippet_id, limit)
    except CommandError as exc:
        status = {"bad_request": 400, "not_found": 404}.get(exc.code, 500)
        return json_error(status, exc.code, exc.message, exc.field)
    return Response(orjson.dumps(story), media_type="application/json")

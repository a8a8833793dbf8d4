"""/api/openapi.json describes the app's real routes, and is served to those signed in."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from starlette.routing import Mount, Route

from tests.support import Running, make_token, make_user
from web.app import create_app
from web.openapi import NOT_DESCRIBED, PATH, describe
from web.settings import load


def _routes(tmp_path: Path) -> dict[str, set[str]]:
    settings = load({"METRONOME_SECRET_KEY": "k" * 32, "METRONOME_DATA_DIR": str(tmp_path)})
    app = create_app(settings, "postgresql+asyncpg://nowhere/none")
    found: dict[str, set[str]] = {}
    for route in app.routes:
        if isinstance(route, Route):
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
            found[path] = {m.lower() for m in (route.methods or set())} - {"head"}
        elif isinstance(route, Mount):
            found[route.path] = set()
    return found


def test_every_route_is_described_and_nothing_else(tmp_path: Path) -> None:
    """Each route of the app (but pages, static files and the WebSocket) is in the
    description with its methods; the description names no route the app lacks."""
    routes = _routes(tmp_path)
    described = {path: set(methods) for path, methods in describe()["paths"].items()}
    served = {p: m for p, m in routes.items() if p not in NOT_DESCRIBED}
    assert served == described


def test_path_parameters_match_the_routes(tmp_path: Path) -> None:
    """Every {name} in a described path is a declared path parameter, and the reverse."""
    for path, methods in describe()["paths"].items():
        for operation in methods.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"\{(\w+)\}", path)), path


async def test_served_to_the_signed_in_only(server: Running) -> None:
    """401 without a session or token; the description itself with one."""
    token = await make_token(server.database_url, await make_user(server.database_url, "viewer"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get(PATH)).status_code == 401
        response = await http.get(PATH, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json() == describe()

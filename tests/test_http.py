"""HTTP: login, logout, health (and its 503), metrics, state."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from tests.support import PASSWORD, Client, Running, make_user


async def test_login_logout(server: Running) -> None:
    """Good credentials give an HttpOnly, SameSite=Lax cookie; bad ones 401; logout ends the session."""
    email = await make_user(server.database_url, "editor")
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (
            await http.post("/api/login", json={"email": email, "password": "wrong"})
        ).status_code == 401
        assert (await http.post("/api/login", content=b"{not json")).status_code == 400
        response = await http.post(
            "/api/login", json={"email": email.upper(), "password": PASSWORD}
        )
        assert response.status_code == 200
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
        assert (await http.get("/api/state")).json()["me"]["email"] == email
        assert (await http.post("/api/logout")).status_code == 200
        http.cookies.clear()
        http.cookies.set("metronome_session", response.cookies["metronome_session"])
        assert (await http.get("/api/state")).status_code == 401


async def test_form_login_redirects(server: Running) -> None:
    """The login page's form posts to /api/login and lands on /."""
    email = await make_user(server.database_url, "viewer")
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 303 and response.headers["location"] == "/"
        assert (await http.get("/")).status_code in (200, 404)  # the page itself is the UI's


async def test_board_redirects_to_login(server: Running) -> None:
    """The board without a session redirects to /login."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/")
        assert response.status_code == 303 and response.headers["location"] == "/login"


async def test_login_throttle(server: Running) -> None:
    """Repeated wrong passwords from one address are slowed down with 429."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        codes = [
            (
                await http.post("/api/login", json={"email": "x@example.org", "password": "nope"})
            ).status_code
            for _ in range(12)
        ]
    assert codes[:10] == [401] * 10 and codes[-1] == 429


async def test_state_needs_auth_and_matches_ws(server: Running, admin: Client) -> None:
    """GET /api/state needs a session or token and equals the WebSocket's state."""
    await admin.ok("platform.create", {"kind": "log", "name": "L", "interval_s": 60})
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/api/state")).status_code == 401
    from tests.support import make_token

    token = await make_token(server.database_url, admin.state["me"]["email"])
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        state = (await http.get("/api/state")).json()
    await admin.wait_for(lambda s: len(s["platforms"]) == 1)
    assert state["platforms"] == admin.state["platforms"]


async def test_metrics(server: Running, admin: Client) -> None:
    """/metrics speaks Prometheus text with connections, commands and fanout latency."""
    await admin.ok("platform.create", {"kind": "log", "name": "L", "interval_s": 60})
    await admin.fails("platform.pause", {"id": 424242})
    async with httpx.AsyncClient(base_url=server.url) as http:
        text = (await http.get("/metrics")).text
    assert "metronome_ws_connections 1.0" in text
    assert 'metronome_commands_total{op="platform.create",outcome="ok"} 1.0' in text
    assert 'metronome_commands_total{op="platform.pause",outcome="not_found"} 1.0' in text
    assert "metronome_patch_fanout_seconds_count" in text


async def test_health_reports_unreachable_database(server: Running, pg_server: str) -> None:
    """Health is 200 with the database up, 503 naming the database when it is unreachable."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/api/health")).json()["db"] == "ok"
        name = server.database_url.rsplit("/", 1)[1]
        conn = await asyncpg.connect(pg_server)
        try:
            await conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
            response = await http.get("/api/health")
            assert response.status_code == 503 and response.json()["db"].startswith("unreachable")
        finally:
            await conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            await conn.close()
        for _ in range(50):
            response = await http.get("/api/health")
            if response.status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert response.status_code == 200

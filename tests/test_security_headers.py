"""Security headers on every page and API answer (issue 17 defect 8: a same-site page could
frame the live, signed-in board); the pages carry no inline script or style for the CSP."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support import Running, make_user, session_cookie
from web.headers import CSP
from web.routes import STATIC

EXPECTED = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/login",
        "/api/health",
        "/api/state",
        "/api/materials?limit=²",
        "/metrics",
        "/static/js/app.js",
        "/docs/architecture.md",
        "/no/such/page",
        "/api/openapi.json",
    ],
)
async def test_every_answer_carries_them(server: Running, path: str) -> None:
    cookie = await session_cookie(server.database_url, await make_user(server.database_url))
    async with httpx.AsyncClient(
        base_url=server.url, cookies={"metronome_session": cookie}
    ) as http:
        response = await http.get(path)
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (path, name, response.headers)


async def test_a_tracked_link_keeps_the_browsers_referrer(server: Running) -> None:
    """/l/<code> leads a reader to the newsroom's site: the referrer is left as browsers send
    it by default, the framing and sniffing headers as everywhere."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/l/nosuchcode")
    assert response.status_code == 404
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert "<style" not in response.text  # its page's style is a stylesheet (the CSP)


def test_the_csp_is_strict() -> None:
    """No inline script or style, no eval, no framing, no plugins, no base hijack."""
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in CSP and directives["base-uri"] == "'none'"


@pytest.mark.parametrize("page", ["index.html", "login.html"])
def test_the_pages_have_no_inline_script_or_style(page: str) -> None:
    html = (STATIC / page).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline <script>"
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html), "an inline event handler"

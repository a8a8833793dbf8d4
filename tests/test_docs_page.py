"""/docs/{page}: the guides the column dialog links to, rendered with GitHub's anchors; and the
dialog's fields (web/static/js/kinds.js) kept in step with the adapters and the docs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from platforms import KINDS, adapter_class
from tests.support import login, make_user
from web.docs import render, slug

ROOT = Path(__file__).resolve().parents[1]
KINDS_JS = (ROOT / "web" / "static" / "js" / "kinds.js").read_text()


def js_kinds() -> dict[str, dict[str, Any]]:
    """kind -> {docs, names}: each kind's docs anchor and field names, read from kinds.js."""
    found = {}
    for match in re.finditer(r"^  (\w+): \{\n(.*?)^  \},", KINDS_JS, re.M | re.S):
        body = match.group(2)
        anchor = re.search(r'docs: "([^"]*)"', body)
        found[match.group(1)] = {
            "docs": anchor.group(1) if anchor else None,
            "names": set(re.findall(r'name: "(\w+)"', body)),
        }
    return found


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Telegram (`telegram`)", "telegram-telegram"),
        ("Facebook Page (`facebook`)", "facebook-page-facebook"),
        ("Never twice: the Idempotency-Key", "never-twice-the-idempotency-key"),
        ("Log (`log`)", "log-log"),
    ],
)
def test_slug_is_githubs(heading: str, anchor: str) -> None:
    """Anchors are GitHub's, so the same links work on a forge and here."""
    assert slug(heading) == anchor


def test_render_the_markdown_our_docs_use() -> None:
    """Headings, tables, nested lists, fenced code (escaped), inline code, links between docs."""
    html = render(
        "# Title\n\nSome *words* and **bold** and `<code>`; see [platforms](docs/platforms.md#media).\n\n"
        "| a | b |\n|---|---|\n| `x` | y |\n\n- one\n  continued\n  - nested\n- two\n\n1. first\n2. second\n\n"
        '```json\n{"k": "<v>"}\n```\n'
    )
    assert '<h1 id="title">Title</h1>' in html
    assert (
        "<em>words</em>" in html
        and "<strong>bold</strong>" in html
        and "<code>&lt;code&gt;</code>" in html
    )
    assert '<a href="/docs/platforms.md#media">platforms</a>' in html
    assert (
        "<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td><code>x</code></td><td>y</td></tr>"
        in html
    )
    assert "<ul><li>one continued<ul><li>nested</li></ul></li><li>two</li></ul>" in html
    assert "<ol><li>first</li><li>second</li></ol>" in html
    assert "<pre><code>{&quot;k&quot;: &quot;&lt;v&gt;&quot;}</code></pre>" in html


def test_every_kind_has_fields_and_a_guide() -> None:
    """Every kind the server knows has the dialog's fields, each the adapter's own setting or
    secret, and its docs link lands on a heading of docs/platforms.md."""
    page = render((ROOT / "docs" / "platforms.md").read_text())
    kinds = js_kinds()
    assert set(kinds) == set(KINDS)
    for kind, spec in kinds.items():
        cls = adapter_class(kind)
        assert spec["names"] <= {*cls.setting_keys, *cls.secret_keys}, (
            f"{kind}: a field the adapter does not read"
        )
        # YouTube's bare access_token is for tests; the dialog asks for the OAuth client's three.
        asked = set(cls.secret_keys) - ({"access_token"} if kind == "youtube" else set())
        assert asked <= spec["names"], f"{kind}: a secret is not asked for"
        assert spec["docs"] and f'id="{spec["docs"]}"' in page, (
            f"{kind}: #{spec['docs']} is not a heading"
        )


async def test_docs_are_served_to_signed_in_users(server: Any) -> None:
    """/docs/platforms.md renders for a signed-in user; others go to /login; only docs files are served."""
    cookie = await login(server.url, await make_user(server.database_url, "viewer"))
    async with httpx.AsyncClient(base_url=server.url) as anonymous:
        assert (await anonymous.get("/docs/platforms.md")).headers["location"] == "/login"
    async with httpx.AsyncClient(
        base_url=server.url, cookies={"metronome_session": cookie}
    ) as http:
        page = await http.get("/docs/platforms.md")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert '<h2 id="telegram-telegram">' in page.text
        assert (await http.get("/docs/board.png")).headers["content-type"] == "image/png"
        for name in ("secret_key", "..%2Fpyproject.toml", "nothing.md", "platforms.MD"):
            assert (await http.get(f"/docs/{name}")).status_code == 404

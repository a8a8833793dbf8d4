"""Links a network answered reach the page only when they are http(s) (safeHref), open in a
new tab without the opener; the page runs under its strict CSP without a console error."""

from __future__ import annotations

import asyncio

from tests.browser.helpers import column, eventually
from tests.fakes.server import serve
from tests.fakes.webhook import Receiver


async def test_only_http_links_are_shown(open_page, board, live_server):
    receiver = Receiver()
    receiver.script.append((200, {}, {"id": "1", "url": "javascript:alert(document.domain)"}))
    receiver.script.append((200, {}, {"id": "2", "url": "https://hooks.example/2"}))
    receiver.script.append((200, {}, {"id": "3", "url": "https://hooks.example/3"}))
    async with serve(receiver.app()) as base:
        hook = await board.column("Hook", kind="webhook", settings={"url": base + "/hook"})
        planted, kept, stored = await board.cards(hook, "Planted", "Kept", "Stored before")
        for snippet in (planted, kept, stored):
            await board.command("snippet.send_now", id=snippet)
            await eventually(
                lambda s=snippet: _sent(board, s), within=10, what=f"card {snippet} sent"
            )
    # A javascript: link stored before the server checked them: the page must not show it.
    await asyncio.to_thread(
        live_server.sql,
        'UPDATE snippets SET meta = meta || \'{"remote_url": "javascript:alert(1)"}\' WHERE id = $1',
        stored,
    )
    page = await open_page()
    response = await page.request.get(live_server.url + "/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert await page.locator("script:not([src])").count() == 0
    await column(page, hook).locator("details.history > summary").click()
    await page.locator(f'[data-history-id="{kept}"]').wait_for()
    link = page.locator(f'[data-history-id="{kept}"] a.note-link')
    assert await link.get_attribute("href") == "https://hooks.example/2"
    assert await link.get_attribute("target") == "_blank"
    assert "noopener" in (await link.get_attribute("rel") or "")
    for snippet in (planted, stored):
        await page.locator(f'[data-history-id="{snippet}"]').wait_for()
        assert await page.locator(f'[data-history-id="{snippet}"] a.note-link').count() == 0
    assert await page.locator('a[href^="javascript:" i]').count() == 0


async def _sent(board, snippet_id):
    snippet = await board.snippet(snippet_id)
    return snippet if snippet and snippet["status"] == "sent" else None

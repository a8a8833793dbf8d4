"""Live updates: a change in one tab shows in another; a server restart shows the banner."""

from __future__ import annotations

import asyncio
import time

from tests.browser.helpers import card, column, dom_queue, resolve


async def test_a_change_in_one_tab_shows_in_the_other(open_page, board):
    """Two editors' pages: a card added, moved or deleted in one shows in the other within 1 s."""
    left = await board.column("Site feed")
    right = await board.column("Night feed")
    a, b = await board.cards(left, "Alpha", "Bravo")
    first = await open_page()
    second = await open_page()

    await column(first, left).get_by_role("button", name="New card").click()
    await column(first, left).get_by_label("text").fill("Breaking: the bridge reopens")
    await column(first, left).get_by_role("button", name="Add", exact=True).click()
    started = time.monotonic()
    await column(second, left).get_by_text("Breaking: the bridge reopens").wait_for(timeout=1000)
    assert time.monotonic() - started < 1.0

    await card(first, b).focus()
    await first.keyboard.press("Alt+ArrowRight")
    started = time.monotonic()
    await column(second, right).locator(f'[data-snippet-id="{b}"]').wait_for(timeout=1000)
    assert time.monotonic() - started < 1.0
    assert await dom_queue(second, right) == [b]


async def test_reconnect_banner_when_the_server_restarts(open_page, board, live_server):
    """The banner shows while the server is away; the page resyncs from a fresh full state."""
    platform = await board.column("Site feed")
    (a,) = await board.cards(platform, "Alpha")
    page = await open_page()
    # While the server is down, Chromium logs each refused reconnect probe (GET /api/state)
    # as a console error; a page cannot silence that. Those are the only errors accepted here.
    page.console_watch.allow(r"net::ERR_CONNECTION_REFUSED \(http://[^)]*/api/state\)")
    banner = page.locator("#connection-banner")
    assert await banner.is_hidden()
    restart = asyncio.ensure_future(resolve_restart(live_server))
    await banner.wait_for(state="visible", timeout=10_000)
    assert "Connection lost" in await banner.inner_text()
    await restart
    await banner.wait_for(state="hidden", timeout=20_000)
    assert await page.locator("#live-indicator").get_attribute("data-state") == "open"
    # The page is live again: a change made now shows up.
    (b,) = await board.cards(platform, "Bravo")
    await card(page, b).wait_for(timeout=2000)
    assert await dom_queue(page, platform) == [a, b]


async def resolve_restart(server):
    """Run the live server's restart, whether it is a coroutine or a blocking call."""
    result = server.restart
    if asyncio.iscoroutinefunction(result):
        return await result()
    return await resolve(await asyncio.to_thread(result))

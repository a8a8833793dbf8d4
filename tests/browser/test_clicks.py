"""Clicks in the page: a sent card's count rises live as readers click its tracked link, and
the column's clicks view shows the last 24 hours and the best posts of the day."""

from __future__ import annotations

import httpx

from tests.browser.helpers import column, eventually

READER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile"


async def readers_click(url: str, code: str, n: int) -> None:
    async with httpx.AsyncClient(base_url=url, headers={"User-Agent": READER}) as http:
        for _ in range(n):
            assert (
                await http.get(f"/l/{code}", headers={"Referer": "https://t.me/s/news"})
            ).status_code == 302


async def test_a_sent_cards_count_rises_as_clicks_arrive(open_page, board, live_server):
    """Clicks reach the card within seconds of arriving, without a reload; bots add none."""
    platform = await board.column(
        "Tracked", kind="log", interval_s=3600, paused=False, settings={"track": True}
    )
    page = await open_page()
    (snippet,) = await board.cards(platform, "Storm closes the bridge")

    async def code() -> str | None:
        """The card's tracked link, as GET /api/stats lists it once the card is sent."""
        cookies = {"metronome_session": live_server.cookie()}
        async with httpx.AsyncClient(base_url=live_server.url, cookies=cookies) as http:
            stats = (await http.get("/api/stats", params={"platform_id": platform})).json()
        links = [c["link"] for c in stats["cards"] if c["id"] == snippet and c["link"]]
        return links[0].rsplit("/l/", 1)[1] if links else None

    link_code = await eventually(code, within=10, what="the card sent with a tracked link")
    await column(page, platform).locator("details.history > summary").click()
    count = page.locator(f'[data-history-id="{snippet}"] .note-clicks')
    await count.wait_for(timeout=10_000)
    assert await count.get_attribute("data-clicks") == "0"
    assert "0 clicks" in await count.inner_text()

    await readers_click(live_server.url, link_code, 3)
    async with httpx.AsyncClient(base_url=live_server.url) as http:  # a preview bot: not counted
        await http.get(f"/l/{link_code}", headers={"User-Agent": "TelegramBot (like TwitterBot)"})
    await page.wait_for_selector(
        f'[data-history-id="{snippet}"] .note-clicks[data-clicks="3"]', timeout=10_000
    )
    assert "3 clicks" in await count.inner_text()
    await readers_click(live_server.url, link_code, 2)
    await page.wait_for_selector(
        f'[data-history-id="{snippet}"] .note-clicks[data-clicks="5"]', timeout=10_000
    )

    # The column's view: the chart of the last 24 hours and the best posts of the day.
    await column(page, platform).get_by_role("button", name="Clicks: the last 24 hours").click()
    dialog = page.get_by_role("dialog")
    await dialog.locator('svg[data-total="5"]').wait_for(timeout=10_000)
    assert await dialog.locator("rect.bar:not(.is-empty)").count() == 1
    best = dialog.locator(f'.clicks-card[data-card-id="{snippet}"]')
    assert "Storm closes the bridge" in await best.inner_text()
    assert await best.locator(".clicks-count").get_attribute("data-clicks") == "5"
    assert "t.me" in await dialog.locator(".clicks-referrers").inner_text()
    csv = await dialog.get_by_role("link", name="Download CSV").get_attribute("href")
    assert csv is not None and f"platform_id={platform}" in csv and "format=csv" in csv
    # It follows new clicks while open.
    await readers_click(live_server.url, link_code, 1)
    await dialog.locator('svg[data-total="6"]').wait_for(timeout=15_000)
    await dialog.get_by_role("button", name="Close").click()
    await page.get_by_role("dialog").wait_for(state="detached")


async def test_an_admin_turns_tracking_on_in_the_column_dialog(open_page, board):
    """ "Track clicks on links" in the column's dialog sets `track`; the column then has its
    clicks view."""
    platform = await board.column("Site feed", kind="log")
    page = await open_page()
    clicks_button = column(page, platform).get_by_role("button", name="Clicks: the last 24 hours")
    assert not await clicks_button.is_visible()
    await column(page, platform).get_by_role("button", name="Edit column Site feed").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_text("More settings").click()
    await dialog.get_by_label("Track clicks on links").check()
    await dialog.get_by_role("button", name="Save").click()
    await dialog.wait_for(state="detached")

    async def tracked():
        return (await board.platform(platform))["settings"].get("track") is True

    await eventually(tracked, what="settings.track saved")
    await clicks_button.wait_for(state="visible")

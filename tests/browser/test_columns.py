"""Column controls: pause and resume, the interval, clear with undo, an interval card."""

from __future__ import annotations

from datetime import datetime

from tests.browser.helpers import card, column, dom_queue, eventually


async def _paused(board, platform, expected):
    return (await board.platform(platform))["paused"] is expected


async def test_pause_and_resume(open_page, board):
    """The pause button pauses the column (its cards lose their times) and resumes it."""
    platform = await board.column("Drafts first", kind="log", paused=True)
    await board.cards(platform, "Alpha")
    page = await open_page()
    col = column(page, platform)
    await col.get_by_role("button", name="Resume publishing").click()
    await eventually(lambda: _paused(board, platform, False), what="resume on the server")
    await col.get_by_role("button", name="Pause publishing").wait_for()
    await col.get_by_role("button", name="Pause publishing").click()
    await eventually(lambda: _paused(board, platform, True), what="pause on the server")
    await col.locator(".badge", has_text="Paused").wait_for()
    await col.get_by_role("button", name="Resume publishing").wait_for()


async def test_interval_selector(open_page, board):
    """Choosing 10 min sets interval_s 600; Custom… asks for any value."""
    platform = await board.column("Site feed", interval_s=3600)
    page = await open_page()
    select = column(page, platform).get_by_label("Publishing interval")
    await select.select_option("600")
    await eventually(lambda: _interval(board, platform, 600), what="interval 600 s")
    await select.select_option("custom")
    dialog = page.locator("dialog")
    await dialog.get_by_label("Interval length").fill("45")
    await dialog.get_by_role("button", name="Set").click()
    await eventually(lambda: _interval(board, platform, 2700), what="interval 45 min")
    await eventually(lambda: _select_is(select, "2700"), what="the selector showing 45 min")


async def _interval(board, platform, seconds):
    return (await board.platform(platform))["interval_s"] == seconds


async def _select_is(select, value):
    return await select.input_value() == value


async def test_clear_and_undo(open_page, board):
    """Clear asks first, empties the queue, and Undo in the toast restores every card."""
    platform = await board.column("Site feed")
    ids = await board.cards(platform, "Alpha", "Bravo", "Charlie")
    page = await open_page()
    await column(page, platform).get_by_role("button", name="Clear the queue").click()
    await page.locator("dialog").get_by_role("button", name="Clear").click()
    await eventually(lambda: _queue_len(board, platform, 0), what="the cleared queue")
    await eventually(lambda: _dom_len(page, platform, 0), what="an empty column on the page")
    await page.locator(".toast").get_by_role("button", name="Undo").click()
    await eventually(lambda: _queue_len(board, platform, 3), what="the restored queue")
    assert await board.queue(platform) == ids
    await eventually(lambda: _dom_len(page, platform, 3), what="the cards back on the page")


async def test_clear_can_be_cancelled(open_page, board):
    """Cancel in the confirmation leaves the queue alone."""
    platform = await board.column("Site feed")
    await board.cards(platform, "Alpha")
    page = await open_page()
    await column(page, platform).get_by_role("button", name="Clear the queue").click()
    await page.locator("dialog").get_by_role("button", name="Cancel").click()
    await page.locator("dialog").wait_for(state="detached")
    assert len(await board.queue(platform)) == 1


async def _queue_len(board, platform, n):
    return len(await board.queue(platform)) == n


async def _dom_len(page, platform, n):
    return len(await dom_queue(page, platform)) == n


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


async def test_interval_card_changes_the_times_below(open_page, board):
    """ "Interval from here" inserts a divider; the cards below it get earlier times."""
    platform = await board.column("Site feed", interval_s=3600, paused=False)
    a, b, c, d = await board.cards(platform, "Alpha", "Bravo", "Charlie", "Delta")
    before = await board.snippet(d)
    page = await open_page()
    await card(page, c).hover()
    await card(page, c).get_by_role("button", name="Interval from here").click()
    dialog = page.locator("dialog")
    await dialog.get_by_role("button", name="5 min").click()
    await dialog.get_by_role("button", name="Insert").click()

    marker = column(page, platform).locator('[data-kind="interval"]')
    await marker.wait_for()
    assert "from here: every 5 min" in await marker.inner_text()
    # The divider stands right before Charlie.
    queue = await dom_queue(page, platform)
    marker_id = int(await marker.get_attribute("data-snippet-id"))
    assert queue.index(marker_id) == queue.index(c) - 1

    after = await eventually(
        lambda: _earlier(board, d, before["eta"]), what="an earlier eta for Delta"
    )
    charlie = await board.snippet(c)
    assert (_at(after["eta"]) - _at(charlie["eta"])).total_seconds() == 300
    # The page shows the new time: wait for its clock to match the server's eta.
    expected = await page.evaluate(
        "iso => new Intl.DateTimeFormat(undefined, {hour: '2-digit', minute: '2-digit'}).format(new Date(iso))",
        after["eta"],
    )
    await card(page, d).locator(".card-clock", has_text=expected).wait_for()
    assert await card(page, d).locator(".card-clock").get_attribute("datetime") == after["eta"]


async def _earlier(board, snippet_id, old_eta):
    snippet = await board.snippet(snippet_id)
    if snippet and snippet.get("eta") and _at(snippet["eta"]) < _at(old_eta):
        return snippet
    return None

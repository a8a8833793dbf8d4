"""A post made outside Metronome in the page (CONTRACT §9): the column's history shows it as
"posted outside Metronome", with its link, live as the watcher records it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from board import watching
from board.context import BoardConfig
from board.secretbox import SecretBox
from board.unit import unit_of_work
from poster.worker import POSTER
from tests.browser.helpers import column
from web.database import open_database


async def test_an_external_post_shows_in_the_history_with_its_badge(open_page, board, live_server):
    """What a watcher records reaches the open page: a sent card in History with the badge and
    a link to the post; no card of the queue is added."""
    platform = await board.column("Watched", kind="log")
    page = await open_page()
    database = await open_database(live_server.database_url, size=1)
    now = datetime.now(UTC)
    config = BoardConfig(min_interval_s=1, min_lead=timedelta(0), box=SecretBox("x" * 32))
    try:
        async with unit_of_work(database, POSTER, now, config) as ctx:
            [snippet] = await watching.record(
                ctx,
                platform,
                [
                    watching.Found(
                        "4242",
                        now - timedelta(minutes=3),
                        "Storm warning, posted from the phone",
                        "https://t.me/newsroom/4242",
                    )
                ],
                "4243",
            ) or [None]
    finally:
        await database.close()
    await column(page, platform).locator("details.history > summary").click()
    card = page.locator(f'[data-history-id="{snippet}"]')
    await card.wait_for(timeout=10_000)
    assert "Storm warning, posted from the phone" in await card.inner_text()
    badge = card.locator('[data-origin="external"]')
    assert (await badge.inner_text()).strip() == "posted outside Metronome"
    link = card.locator("a.note-link")
    assert await link.get_attribute("href") == "https://t.me/newsroom/4242"
    assert await column(page, platform).locator("[data-snippet-id]").count() == 0

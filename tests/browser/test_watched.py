"""A post made outside Metronome in the page (CONTRACT §9): the column's history shows it as
"posted outside Metronome", with its link, live as the watcher records it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from board import watching
from board.context import BoardConfig
from board.secretbox import SecretBox
from board.unit import unit_of_work
from poster.worker import POSTER
from tests.browser.helpers import column, eventually
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


async def test_a_watcher_in_trouble_shows_and_an_admin_turns_it_off(open_page, board):
    """A watcher that cannot reach the network says so under the column's name; unticking
    "Count posts made outside Metronome" in the column's dialog saves `watch: false` and the
    line goes."""
    platform = await board.column(
        "Channel",
        kind="telegram",
        settings={"chat_id": "@newsroom", "api_base": "http://127.0.0.1:9", "watch_s": 5},
        secrets={"bot_token": "123456789:AAHfakeTOKENfor-browser_0123456789ab"},
    )
    page = await open_page()
    trouble = column(page, platform).get_by_text("Not watching the account")
    await trouble.wait_for(timeout=20_000)
    await column(page, platform).get_by_role("button", name="Edit column Channel").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_text("More settings").click()
    toggle = dialog.get_by_label("Count posts made outside Metronome")
    assert await toggle.is_checked()
    await toggle.uncheck()
    await dialog.get_by_role("button", name="Save").click()
    await dialog.wait_for(state="detached")

    async def off():
        return (await board.platform(platform))["settings"].get("watch") is False

    await eventually(off, what="settings.watch saved")
    await trouble.wait_for(state="detached", timeout=10_000)

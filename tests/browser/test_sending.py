"""Publishing as the page shows it: sending → sent live, the post's link, failed with Retry,
needs_check with "it went out", and send now. The posters publish for real: a `log` column,
or a `webhook` column posting to a local receiver."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import JSONResponse, Response

from tests.browser.helpers import column, eventually
from tests.fakes.server import serve
from tests.fakes.webhook import Receiver


class SlowReceiver(Receiver):
    """Answers "slow" 1.5 s late: past a 1 s column timeout, and done before the test ends."""

    async def hook(self, request: Any) -> Response:
        if self.script and self.script[0] == "slow":
            self.script.popleft()
            await asyncio.sleep(1.5)
            return JSONResponse({"id": "late"})
        return await super().hook(request)


@contextlib.asynccontextmanager
async def webhook_column(
    board, *script: Any, interval_s: int = 3600, **settings: Any
) -> AsyncIterator[tuple[Receiver, int]]:
    receiver = SlowReceiver()
    receiver.script.extend(script)
    async with serve(receiver.app()) as base:
        platform = await board.column(
            "Hook",
            kind="webhook",
            interval_s=interval_s,
            paused=False,
            settings={"url": base + "/hook", "utm": False, **settings},
        )
        yield receiver, platform


def history(page, snippet_id: int):
    return page.locator(f'[data-history-id="{snippet_id}"]')


async def _status(board, snippet_id, *statuses):
    snippet = await board.snippet(snippet_id)
    return snippet if snippet and snippet["status"] in statuses else None


async def test_a_card_turns_sent_live(open_page, board):
    """A log column publishes its head card; the page moves it from the queue to History, sent."""
    platform = await board.column("Site feed", kind="log", interval_s=3600, paused=False)
    page = await open_page()
    (snippet,) = await board.cards(platform, "Goes out now")
    sent = history(page, snippet).and_(page.locator('[data-status="sent"]'))
    await sent.wait_for(state="attached", timeout=10_000)
    assert await page.locator(f'[data-snippet-id="{snippet}"]').count() == 0
    await column(page, platform).locator("details.history > summary").click()
    assert "Sent" in await sent.inner_text()
    assert (await board.snippet(snippet))["status"] == "sent"


async def test_sent_card_links_to_the_post(open_page, board):
    """A sent card links to the published post (meta.remote_url)."""
    async with webhook_column(board) as (receiver, platform):
        page = await open_page()
        (snippet,) = await board.cards(platform, "To the hook")
        await eventually(lambda: _status(board, snippet, "sent"), within=10, what="the card sent")
        await column(page, platform).locator("details.history > summary").click()
        link = history(page, snippet).get_by_role("link", name="View the post")
        assert await link.get_attribute("href") == f"https://hooks.example/{snippet}"


async def test_failed_card_shows_the_error_and_retries(open_page, board):
    """A refused publish shows the network's message; Retry puts it back at the top of the
    queue, and it goes out one interval after the failed attempt."""
    refusal = (400, {}, {"error": "the hook refuses this"})
    async with webhook_column(board, refusal, interval_s=2) as (receiver, platform):
        page = await open_page()
        (snippet,) = await board.cards(platform, "Refused once")
        await eventually(
            lambda: _status(board, snippet, "failed"), within=10, what="the card failed"
        )
        await column(page, platform).locator("details.history > summary").click()
        failed = history(page, snippet)
        await failed.locator(".note-error", has_text="HTTP 400").wait_for()
        await failed.get_by_role("button", name="Retry").click()
        await page.locator(f'[data-snippet-id="{snippet}"]').wait_for(state="attached")
        await eventually(
            lambda: _status(board, snippet, "sent"), within=10, what="the retried card sent"
        )
        await history(page, snippet).and_(page.locator('[data-status="sent"]')).wait_for()
        assert len(receiver.received) == 2


async def test_needs_check_card_can_be_marked_sent(open_page, board):
    """An unknown outcome asks the editor; "It went out" records it, with the post's link."""
    async with webhook_column(board, "slow", timeout_s=1) as (receiver, platform):
        page = await open_page()
        (snippet,) = await board.cards(platform, "Did it go out?")
        await eventually(
            lambda: _status(board, snippet, "needs_check"), within=15, what="needs_check"
        )
        card = history(page, snippet)
        await card.get_by_role("button", name="Send again").wait_for()
        await card.get_by_role("button", name="It went out").click()
        dialog = page.locator("dialog")
        await dialog.get_by_label("Link to the post").fill("https://hooks.example/by-hand")
        await dialog.get_by_role("button", name="Mark as sent").click()
        done = await eventually(
            lambda: _status(board, snippet, "sent"), what="the card marked sent"
        )
        assert done["meta"].get("remote_url") == "https://hooks.example/by-hand"
        await (
            history(page, snippet)
            .and_(page.locator('[data-status="sent"]'))
            .wait_for(state="attached")
        )


async def test_send_now(open_page, board):
    """Send now publishes a card out of turn, after a confirmation."""
    async with webhook_column(board) as (receiver, platform):
        first, second = await board.cards(platform, "First", "Second")
        await eventually(
            lambda: _status(board, first, "sent"), within=10, what="the head card sent"
        )
        page = await open_page()
        card = page.locator(f'[data-snippet-id="{second}"]')
        await card.hover()
        await card.get_by_role("button", name="Send now").click()
        await page.locator("dialog").get_by_role("button", name="Send now").click()
        await eventually(
            lambda: _status(board, second, "sent"), within=10, what="the card sent now"
        )
        await (
            history(page, second)
            .and_(page.locator('[data-status="sent"]'))
            .wait_for(state="attached")
        )

"""Nothing goes out by surprise, and nothing is lost, on a server with the default 30 s grace:
the countdown, a card passed through a due column, five Undos at once, text kept when its
card is deleted, failures on every board, the first run, and the card's own layout."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.async_api import expect

from tests.browser.helpers import card, column, eventually
from tests.fakes.server import serve
from tests.fakes.webhook import Receiver
from tests.live import LiveServer, serving


@pytest.fixture
def live_server(pg_server: str, template_db: str) -> Iterator[LiveServer]:
    """`metronome serve` with the grace of the default settings (the suite's servers use 0)."""
    with serving(pg_server, template_db, {"METRONOME_MIN_LEAD_S": "30"}) as server:
        yield server


COUNTDOWN = re.compile(r"^in 0:\d\d$")


async def test_countdown_and_a_pass_through(open_page, board):
    """A card moved to the top of a due column counts down from 0:30; moved on 450 ms later
    (Alt+→ twice) it waits in the next column and the due one never publishes it."""
    held = await board.column("Held", interval_s=60)
    due = await board.column("Due", interval_s=60, paused=False)
    beyond = await board.column("Beyond", interval_s=60)
    (moving,) = await board.cards(held, "Passing through on its way")
    page = await open_page()
    await card(page, moving).focus()
    await page.keyboard.press("Alt+ArrowRight")
    rel = column(page, due).locator(f'[data-snippet-id="{moving}"] .card-rel')
    await expect(rel).to_have_text(COUNTDOWN)
    await expect(rel).to_have_class(re.compile("is-countdown"))
    first = await rel.inner_text()
    assert int(first[-2:]) >= 25, f"the grace starts at 30 s, shown {first}"
    await expect(column(page, due).locator(".column-next-rel")).to_have_text(COUNTDOWN)
    await page.wait_for_timeout(450)
    await page.keyboard.press("Alt+ArrowRight")
    await expect(column(page, beyond).locator(f'[data-snippet-id="{moving}"]')).to_be_visible()
    await expect(card(page, moving)).to_be_focused()
    snippet = await eventually(
        lambda: _in(board, moving, beyond), what="the card in the third column"
    )
    assert snippet["status"] == "pending"
    state = await board.state()
    assert not [s for s in state["snippets"].values() if s["platform_id"] == due], (
        "nothing went out of Due"
    )


async def _in(board, snippet_id, platform_id):
    snippet = await board.snippet(snippet_id)
    return snippet if snippet and snippet["platform_id"] == platform_id else None


async def test_ticking_countdown_then_sent(open_page, board):
    """The countdown ticks by the second; at zero the card goes out (send now does not wait)."""
    platform = await board.column("Site feed", interval_s=60, paused=False)
    (first,) = await board.cards(platform, "Counting down")
    page = await open_page()
    rel = card(page, first).locator(".card-rel")
    await expect(rel).to_have_text(COUNTDOWN)
    before = await rel.inner_text()
    await expect(rel).not_to_have_text(before, timeout=3000)
    (urgent,) = await board.cards(platform, "Urgent")
    await board.command("snippet.send_now", id=urgent)
    await eventually(lambda: _status(board, urgent, "sent"), within=5, what="send now at once")


async def _status(board, snippet_id, status):
    snippet = await board.snippet(snippet_id)
    return snippet if snippet and snippet["status"] == status else None


async def test_five_undos_stack_and_none_is_lost(open_page, board):
    """Clearing five columns leaves five Undos, gathered in a list; the first column's still works."""
    columns = [await board.column(f"Desk {n}") for n in range(1, 6)]
    for platform in columns:
        await board.cards(platform, "One", "Two")
    page = await open_page()
    for n, platform in enumerate(columns, 1):
        await column(page, platform).get_by_role("button", name="Clear the queue").click()
        await page.get_by_role("dialog").get_by_role("button", name="Clear").click()
        await expect(page.locator(".toast", has_text=f"from Desk {n}")).to_have_count(1)
    await expect(page.get_by_role("button", name="4 more to undo")).to_be_visible()
    await expect(page.locator(".toast", has_text="Cleared 2 cards")).to_have_count(5)
    await page.get_by_role("button", name="4 more to undo").click()
    await page.locator(".toast", has_text="from Desk 1").get_by_role("button", name="Undo").click()
    await eventually(lambda: _queue_len(board, columns[0], 2), what="Desk 1's cards back")
    await expect(column(page, columns[0]).locator("[data-snippet-id]")).to_have_count(2)
    await expect(page.locator(".toast", has_text="Cleared 2 cards")).to_have_count(4)


async def _queue_len(board, platform, n):
    return len(await board.queue(platform)) == n


async def test_text_is_kept_when_its_card_is_deleted(open_page, board):
    """Someone deletes the card being edited: the typed text stays in the column, comes back on
    its card with Undo (restore), and can be added as a new card."""
    platform = await board.column("Site feed")
    (target,) = await board.cards(platform, "The original text")
    page = await open_page()
    await card(page, target).focus()
    await page.keyboard.press("Enter")
    editor = card(page, target).get_by_label("Edit card: text")
    await editor.fill("My careful rewrite, not saved yet")
    await board.command("snippet.delete", id=target)
    kept = column(page, platform).get_by_role("region", name="Your text was kept")
    await expect(kept).to_be_visible()
    await expect(kept.get_by_role("textbox").first).to_have_value(
        "My careful rewrite, not saved yet"
    )
    await board.command("snippet.restore", id=target)
    await expect(kept).to_have_count(0)
    await expect(card(page, target).get_by_label("Edit card: text")).to_have_value(
        "My careful rewrite, not saved yet"
    )

    await board.command("snippet.delete", id=target)
    await expect(kept).to_be_visible()
    await kept.get_by_role("button", name="Add as a new card").click()
    await expect(kept).to_have_count(0)

    async def added():
        state = await board.state()
        return [
            s
            for s in state["snippets"].values()
            if s["body"] == "My careful rewrite, not saved yet"
        ]

    assert await eventually(added, what="the kept text as a new card")


async def test_a_failure_reaches_every_board(open_page, board):
    """A card refused by the network: a notice in plain words on both open boards, the raw
    text under Details, "Show" brings the card into view; the column's header says "1 failed"."""
    receiver = Receiver()
    receiver.script.append((400, {}, {"error": "channel_not_found"}))
    async with serve(receiver.app()) as base:
        platform = await board.column(
            "Slack #news", kind="webhook", paused=False, settings={"url": f"{base}/hook"}
        )
        first, second = await open_page(), await open_page()
        (failing,) = await board.cards(platform, "Storm warning for the coast tonight")
        await board.command("snippet.send_now", id=failing)
        for page in (first, second):
            notice = page.locator(".toast-error", has_text="Slack #news: a post failed")
            await expect(notice).to_contain_text("Webhook refused this post.", timeout=10_000)
            await expect(notice).to_contain_text("Storm warning for the coast tonight")
            await expect(
                column(page, platform).get_by_role("button", name="1 failed")
            ).to_be_visible()
        notice = first.locator(".toast-error", has_text="a post failed")
        await notice.get_by_text("Details").click()
        await expect(notice.locator("code")).to_contain_text("HTTP 400")
        await notice.get_by_role("button", name="Show").click()
        history_card = first.locator(f'[data-history-id="{failing}"]')
        await expect(history_card).to_be_focused()
        await expect(history_card).to_contain_text("Webhook refused this post.")
        # Retried, the card leaves the failures: the notice goes with it.
        await board.command("snippet.retry", id=failing)
        await expect(second.locator(".toast-error", has_text="a post failed")).to_have_count(
            0, timeout=10_000
        )


async def test_first_run_teaches_and_the_demo_moves(open_page, board):
    """An empty board shows an admin the three steps; the demo fills it with log columns whose
    first cards count down."""
    page = await open_page()
    steps = page.locator(".steps")
    await expect(steps).to_contain_text("Add a column for each account")
    await expect(steps).to_contain_text("Invite the editors")
    await page.get_by_role("button", name="Try it with demo columns").click()
    await expect(page.locator("[data-platform-id]")).to_have_count(4)
    await expect(page.locator(".card-rel.is-countdown").first).to_have_text(COUNTDOWN)
    await expect(steps).to_have_count(0)


async def test_card_layout_and_keys(open_page, board):
    """Actions on hover never cover the text; Backspace deletes nothing; the offline banner
    does not cover the headers; a paused column's name is not cut; times are not cut."""
    platform = await board.column("Telegram evening desk")
    (first,) = await board.cards(
        platform, "A card whose first line must stay readable while hovered"
    )
    page = await open_page()
    target = card(page, first)
    await target.hover()
    actions = target.locator(".card-actions")
    await expect(actions).to_be_visible()
    body = await target.locator(".card-body").bounding_box()
    box = await actions.bounding_box()
    assert box["y"] >= body["y"] + body["height"], "the actions sit below the text"
    await target.focus()
    await page.keyboard.press("Backspace")
    await page.wait_for_timeout(300)
    assert await board.queue(platform) == [first]
    name = column(page, platform).locator(".column-name")
    assert await name.evaluate("el => el.scrollWidth <= el.clientWidth"), (
        "the name is not cut by the Paused badge"
    )
    await page.evaluate("document.getElementById('connection-banner').hidden = false")
    banner = await page.locator("#connection-banner").bounding_box()
    header = await column(page, platform).locator(".column-header").bounding_box()
    assert header["y"] >= banner["y"] + banner["height"], "the banner pushes the board down"

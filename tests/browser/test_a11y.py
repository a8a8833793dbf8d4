"""Accessibility: axe-core (vendored, tests/browser/vendor) on the sign-in page, the board and
every dialog, at 1280×800 and 390×844, light and dark: no critical or serious violation. Then
what a keyboard or a screen reader meets: a card says its place and time, a queue is two Tab
stops, and the single-key shortcuts (pause, clear, new card, send now, the card menu,
breaking news) do what the help says."""

from __future__ import annotations

import re
from typing import Any

import httpx
import orjson
import pytest
from playwright.async_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.helpers import card, column, eventually, sign_in

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
STORY = {
    "external_id": "cms-a11y-1",
    "url": "https://news.example.org/2026/11/museum",
    "title": "The new museum director on putting the collection online",
    "social_text": "Interview: why the museum goes online first",
    "published_at": "2026-11-22T08:00:00Z",
}


def post_material(server: Any) -> None:
    response = httpx.post(
        server.url + "/api/materials",
        content=orjson.dumps([STORY]),
        headers={"Content-Type": "application/json", "Origin": server.url},
        cookies={"metronome_session": server.cookie()},
        timeout=10,
    )
    response.raise_for_status()


async def unfold(page: Page) -> None:
    """On a phone, open the folded top bar."""
    menu = page.locator("#top-menu")
    if await menu.is_visible() and await menu.get_attribute("aria-expanded") != "true":
        await menu.click()


async def top(page: Page, name: str) -> None:
    """Press a top-bar button; on a phone through the folded Menu first."""
    await unfold(page)
    await page.locator("#topbar").get_by_role("button", name=name, exact=True).click()


async def closes(page: Page) -> None:
    """Escape closes the open dialog (Cancel, for a question)."""
    await page.keyboard.press("Escape")
    await expect(page.locator("dialog[open]")).to_have_count(0)


async def card_menu(page: Page, snippet_id: int) -> None:
    """Open a card's menu with its "⋯" (on a desktop it shows while the card is hovered)."""
    await card(page, snippet_id).hover()
    await card(page, snippet_id).get_by_role("button", name="Card actions").click()


async def checked_dialog(page: Page, what: str, name: str | re.Pattern[str] | None = None) -> None:
    dialog = page.get_by_role("dialog", name=name) if name else page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await page.wait_for_timeout(150)  # the dialog's own fetches (users, history) land
    await assert_accessible(page, what)
    await closes(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_login_board_and_every_dialog_pass_axe(open_page, board, live_server, viewport):
    """Sign-in, the board (paused, running with a sent card, a marker, a tracked column, an
    inbox), and each dialog and pop-up in turn: no critical or serious axe finding."""
    news = await board.column("City news", settings={"track": True})
    live = await board.column("Live desk", paused=False, interval_s=3600)
    inbox = await board.column("Drafts", kind="drafts", paused=False)
    first, second, third = await board.cards(
        news, "Mayor resigns", "Storm warning", "Budget passes"
    )
    await board.command("marker.create", platform_id=news, interval_s=1800, after_id=first)
    await board.cards(live, "Goes out at once", "Then in an hour")
    await board.cards(inbox, "A draft")
    post_material(live_server)
    await eventually(
        lambda: _status(board, live, "sent"), what="the live desk's first card sent", within=10
    )

    page = await open_page(sign=False)
    await page.set_viewport_size(viewport)
    await page.goto(live_server.url + "/login")
    await assert_accessible(page, "the sign-in page")
    await sign_in(page, live_server)
    await expect(card(page, first)).to_be_visible()
    await assert_accessible(page, "the board")
    await page.emulate_media(color_scheme="dark")
    await assert_accessible(page, "the board, dark")
    await page.emulate_media(color_scheme="light")

    # The top bar's dialogs.
    await top(page, "Add column")
    await checked_dialog(page, "the column dialog (add)")
    await top(page, "Users")
    await checked_dialog(page, "the users dialog")
    await unfold(page)
    await page.locator("#me").click()
    await checked_dialog(page, "your account")
    await top(page, "Breaking news")
    await checked_dialog(page, "the breaking news dialog")
    await top(page, "Keyboard")
    await checked_dialog(page, "the keyboard help")

    # The materials panel, its Feeds and "Add to a column".
    await top(page, "Materials")
    panel = page.locator("#materials")
    await expect(panel.locator("[data-material-id]")).to_have_count(1)
    await assert_accessible(page, "the materials panel")
    await panel.get_by_role("button", name="Feeds").click()
    await checked_dialog(page, "the feeds dialog")
    await panel.get_by_role("button", name="Add to a column… (Enter)").click()
    await checked_dialog(page, "the add-to-a-column dialog")
    await top(page, "Materials")
    await expect(panel).to_be_hidden()

    # A column's dialogs: edit, rhythm, clicks, clear, a custom interval.
    col = column(page, news)
    await col.get_by_role("button", name="Edit column City news").click()
    await checked_dialog(page, "the column dialog (edit)")
    await col.get_by_role("button", name="Rhythm and quiet hours").click()
    await checked_dialog(page, "the rhythm dialog")
    await col.get_by_role("button", name="Clicks: the last 24 hours").click()
    await checked_dialog(page, "the clicks dialog")
    await col.get_by_role("button", name="Clear the queue").click()
    await checked_dialog(page, "the clear question")
    await col.get_by_label("Publishing interval").select_option("custom")
    await checked_dialog(page, "the interval dialog")

    # A card: its menu, send now, interval from here, and the editor with the card's story.
    await card_menu(page, second)
    await expect(page.get_by_role("menu")).to_be_visible()
    await assert_accessible(page, "the card menu")
    await page.get_by_role("menuitem", name="Send now").click()
    await checked_dialog(page, "the send-now question")
    await card_menu(page, second)
    await page.get_by_role("menuitem", name="Interval from here").click()
    await checked_dialog(page, "the interval-from-here dialog")
    await card_menu(page, second)
    await page.get_by_role("menuitem", name="Edit").click()
    editor = card(page, second)
    await editor.locator("summary", has_text="History of this card").click()
    await expect(editor.locator(".story")).to_contain_text("created")
    await assert_accessible(page, "the card editor and its story")
    await page.keyboard.press("Escape")

    if viewport == PHONE:
        await page.locator("#top-menu").click()
        await assert_accessible(page, "the phone's open menu")


async def _status(board: Any, platform: int, status: str) -> bool:
    snippets = (await board.state())["snippets"].values()
    return any(s["platform_id"] == platform and s["status"] == status for s in snippets)


async def test_cards_say_their_place_and_time(open_page, board):
    """A queued card's name is its place, its time and its first words; the queue is a list
    of list items with aria-posinset / aria-setsize."""
    desk = await board.column("Night desk", interval_s=3600)
    a, b, c = await board.cards(desk, "The mayor resigns after the vote", "Storm warning", "Budget")
    page = await open_page()
    await expect(card(page, b)).to_have_attribute("role", "listitem")
    await expect(card(page, a)).to_have_accessible_name(
        "1 of 3, Paused, The mayor resigns after the vote"
    )
    await expect(card(page, b)).to_have_attribute("aria-posinset", "2")
    await expect(card(page, b)).to_have_attribute("aria-setsize", "3")
    # Running, the first card goes out at once and the next waits its interval.
    await board.command("platform.resume", id=desk)
    await eventually(lambda: _status_of(board, a, "sent"), what="the first card sent", within=10)
    await expect(card(page, b).locator(".card-clock")).not_to_be_empty()
    clock = await card(page, b).locator(".card-clock").inner_text()
    await expect(card(page, b)).to_have_accessible_name(f"1 of 2, at {clock}, Storm warning")
    await expect(card(page, c)).to_have_attribute("aria-posinset", "2")
    # Nothing else in the queue is an item of it without being a card.
    roles = (
        await column(page, desk)
        .locator(".queue > *")
        .evaluate_all(
            "els => els.filter((el) => el.getBoundingClientRect().height > 0)"
            ".map((el) => el.getAttribute('role'))"
        )
    )
    assert set(roles) == {"listitem"}


async def test_a_queue_is_two_tab_stops(open_page, board):
    """Tab reaches a column's current card, then its "⋯", then leaves the queue; the arrows
    move the stop, and Home / End go to the ends."""
    news = await board.column("City news")
    ids = await board.cards(news, *(f"Story {n}" for n in range(1, 7)))
    page = await open_page()
    queue = column(page, news).locator(".queue")
    stops = await queue.evaluate(
        "q => [...q.querySelectorAll('a, button, [tabindex]')].filter((el) => el.tabIndex >= 0).length"
    )
    assert stops == 2
    await card(page, ids[0]).focus()
    await page.keyboard.press("End")
    await expect(card(page, ids[-1])).to_be_focused()
    await page.keyboard.press("ArrowUp")
    await expect(card(page, ids[-2])).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(card(page, ids[-2]).get_by_role("button", name="Card actions")).to_be_focused()
    await page.keyboard.press("Tab")
    assert await page.evaluate("() => !document.activeElement.closest('.queue')")
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Shift+Tab")
    await expect(card(page, ids[-2])).to_be_focused()
    await page.keyboard.press("Home")
    await expect(card(page, ids[0])).to_be_focused()


async def test_shortcuts_pause_clear_new_card_send_now_and_the_menu(open_page, board):
    """P pauses and resumes the focused card's column, N opens its new-card form, M opens the
    card's menu (Move down with the keys), S asks and sends it now, C asks and clears the
    queue; the help lists them."""
    # Running: the first card goes out at once, and the next waits an hour after it.
    news = await board.column("City news", interval_s=3600, paused=False)
    first, a, b, c = await board.cards(news, "First out", "Alpha", "Bravo", "Charlie")
    await eventually(lambda: _status_of(board, first, "sent"), what="the first card out", within=10)
    page = await open_page()
    await card(page, a).focus()

    await page.keyboard.press("p")
    await eventually(lambda: _paused(board, news, True), what="the column paused")
    await page.keyboard.press("p")
    await eventually(lambda: _paused(board, news, False), what="the column running again")
    await expect(card(page, a)).to_be_focused()

    await page.keyboard.press("m")
    await expect(page.get_by_role("menuitem", name="Move up")).to_have_attribute(
        "aria-disabled", "true"
    )
    await page.keyboard.press("ArrowDown")  # the first enabled item is Move down: on to the next
    await page.keyboard.press("ArrowUp")
    await expect(page.get_by_role("menuitem", name="Move down")).to_be_focused()
    await page.keyboard.press("Enter")
    await eventually(lambda: _queue_is(board, news, [b, a, c]), what="the card one place down")
    await expect(card(page, a)).to_be_focused()
    await page.keyboard.press("Shift+F10")
    await expect(page.get_by_role("menu")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("menu")).to_have_count(0)
    await expect(card(page, a)).to_be_focused()

    await page.keyboard.press("n")
    form = column(page, news).locator(".composer")
    await expect(form.locator("textarea")).to_be_focused()
    await form.locator("textarea").fill("Delta from the keyboard")
    await page.keyboard.press("Control+Enter")
    await eventually(lambda: _count(board, news, 4), what="the new card")
    await page.keyboard.press("Escape")

    await card(page, c).focus()
    await page.keyboard.press("s")
    ask = page.get_by_role("dialog", name="Send now?")
    await ask.get_by_role("button", name="Send now").click()
    await eventually(lambda: _status_of(board, c, "sent"), what="the card sent now", within=10)

    await card(page, b).focus()
    await page.keyboard.press("c")
    ask = page.get_by_role("dialog", name="Clear City news?")
    await ask.get_by_role("button", name="Clear").click()
    await eventually(lambda: _count(board, news, 0), what="the queue cleared")

    await page.keyboard.press("?")
    help_ = page.get_by_role("dialog", name="Keyboard")
    for what in (
        "Pause or resume",
        "Clear the focused column",
        "New card in",
        "Send the focused",
        "Breaking news",
        "card's menu",
    ):
        await expect(help_).to_contain_text(what)
    await closes(page)


async def _paused(board: Any, platform: int, paused: bool) -> bool:
    return bool((await board.platform(platform)).get("paused")) == paused


async def _queue_is(board: Any, platform: int, expected: list[int]) -> bool:
    return await board.queue(platform) == expected


async def _count(board: Any, platform: int, n: int) -> bool:
    return len(await board.queue(platform)) == n


async def _status_of(board: Any, snippet_id: int, status: str) -> bool:
    snippet = await board.snippet(snippet_id)
    return bool(snippet and snippet["status"] == status)

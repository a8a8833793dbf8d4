"""The board on a phone (390×844): one column per screen with a switcher, the card menu that
moves cards (up, to another column), the top bar folded into a menu that signs out, nothing
of the bar outside the screen, and touch targets of at least 44 px."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from tests.browser.helpers import card, column, dom_queue, eventually, sign_in

PHONE = {"width": 390, "height": 844}
TOUCH = 44


async def phone_page(open_page: Any, server: Any) -> Page:
    page = await open_page(sign=False)
    await page.set_viewport_size(PHONE)
    await sign_in(page, server)
    return page


async def box(locator: Any) -> dict[str, float]:
    found = await locator.bounding_box()
    assert found is not None, f"{locator} is not on screen"
    return dict(found)


async def test_a_card_moves_up_and_to_another_column_through_its_menu(open_page, board):
    """The "⋯" of the third card, "Move up": one snippet.move and it is second; the menu of the
    first card, "Move to another column…", "Weather": it is at the top of that column."""
    news = await board.column("City news")
    weather = await board.column("Weather")
    a, b, c = await board.cards(news, "Alpha story", "Bravo story", "Charlie story")
    (w,) = await board.cards(weather, "Storm warning")
    page = await phone_page(open_page, board.server)

    await card(page, c).get_by_role("button", name="Card actions").click()
    menu = page.get_by_role("menu")
    await expect(menu.get_by_role("menuitem", name="Move up")).to_be_focused()
    await menu.get_by_role("menuitem", name="Move up").click()
    await expect(menu).to_have_count(0)
    await eventually(lambda: _queue_is(board, news, [a, c, b]), what="the card one place up")
    await eventually(lambda: _dom_is(page, news, [a, c, b]), what="the page showing it")
    # The focus went back to the moved card.
    assert await page.evaluate("() => document.activeElement.dataset.snippetId") == str(c)

    await card(page, a).get_by_role("button", name="Card actions").click()
    await menu.get_by_role("menuitem", name="Move to another column…").click()
    await menu.get_by_role("menuitem", name="Weather").click()
    await eventually(lambda: _queue_is(board, weather, [a, w]), what="the card on top of Weather")
    await eventually(lambda: _queue_is(board, news, [c, b]), what="the card gone from City news")
    # The switcher goes to Weather, where the card is now the first.
    await page.get_by_label("Column", exact=True).select_option(label="Weather")
    await eventually(lambda: _dom_is(page, weather, [a, w]), what="Weather showing it")
    assert abs((await box(column(page, weather)))["x"]) < 2, "Weather fills the screen"
    await expect(card(page, a)).to_be_in_viewport()


async def _queue_is(board: Any, platform: int, expected: list[int]) -> bool:
    return await board.queue(platform) == expected


async def _dom_is(page: Page, platform: int, expected: list[int]) -> bool:
    return await dom_queue(page, platform) == expected


async def test_one_column_per_screen_and_the_switcher_follows(open_page, board):
    """Each column is the screen's width; ‹ › and the select go between them, and a scroll of
    the board (a swipe) moves the select along. The page itself never scrolls sideways."""
    first = await board.column("First")
    second = await board.column("Second")
    await board.cards(first, "One")
    await board.cards(second, "Two")
    page = await phone_page(open_page, board.server)
    switch = page.get_by_label("Column", exact=True)
    await expect(switch).to_have_value(str(first))
    assert (await box(column(page, first)))["width"] >= PHONE["width"] - 2
    await page.get_by_role("button", name="Next column").click()
    await expect(switch).to_have_value(str(second))
    assert abs((await box(column(page, second)))["x"]) < 2
    await expect(page.get_by_role("button", name="Next column")).to_be_disabled()
    await page.locator("#board").evaluate("b => b.scrollTo({left: 0, behavior: 'instant'})")
    await expect(switch).to_have_value(str(first))
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide"


async def test_the_folded_top_bar_fits_and_signs_out(open_page, board, live_server):
    """Every element of the top bar is inside the screen, folded and open; "Log out" in the
    menu ends the session."""
    await board.column("City news")
    page = await phone_page(open_page, live_server)
    outside = """() => [...document.querySelectorAll('.topbar *')].filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && (r.left < 0 || r.right > innerWidth + 0.5 || r.top < 0);
      }).map((el) => el.id || el.className.baseVal || el.className || el.tagName)"""
    assert await page.evaluate(outside) == []
    assert await page.get_by_role("button", name="Log out").is_hidden()
    menu = page.get_by_role("button", name="Menu")
    await menu.click()
    await expect(menu).to_have_attribute("aria-expanded", "true")
    for name in ("Materials", "Breaking news", "Add column", "Users", "Keyboard", "Log out"):
        await expect(page.locator("#topbar").get_by_role("button", name=name)).to_be_visible()
    assert await page.evaluate(outside) == []
    # Your account is there too; Escape folds the bar again.
    await expect(page.locator("#me")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(menu).to_have_attribute("aria-expanded", "false")
    await expect(menu).to_be_focused()

    await menu.click()
    await page.get_by_role("button", name="Log out").click()
    await page.wait_for_url("**/login")
    state = await page.request.get(live_server.url + "/api/state")
    assert state.status == 401


async def test_touch_targets_are_at_least_44_px(open_page, board):
    """The card menu's button, its items, the switcher and the Menu button: 44 × 44 px or more."""
    news = await board.column("City news")
    await board.column("Weather")
    (a,) = await board.cards(news, "Alpha story")
    page = await phone_page(open_page, board.server)
    targets = [
        card(page, a).get_by_role("button", name="Card actions"),
        page.get_by_role("button", name="Previous column"),
        page.get_by_role("button", name="Next column"),
        page.get_by_label("Column", exact=True),
        page.get_by_role("button", name="Menu"),
        column(page, news).get_by_role("button", name="New card"),
        column(page, news).get_by_role("button", name="Resume publishing"),
    ]
    for target in targets:
        size = await box(target)
        assert size["width"] >= TOUCH and size["height"] >= TOUCH, f"{target}: {size}"
    await targets[0].click()
    for item in await page.get_by_role("menuitem").all():
        size = await box(item)
        assert size["height"] >= TOUCH and size["width"] >= TOUCH, f"{item}: {size}"


async def test_the_menus_moves_at_the_ends_of_a_queue(open_page):
    """cardmenu.js in the page: the first card has no Up or Top, the last no Down or End, and
    each move names the neighbour the server places the card by."""
    page = await open_page()
    moves = await page.evaluate(
        """async () => {
          const { moveTargets } = await import('/static/js/cardmenu.js');
          const queue = [{ id: 11 }, { id: 12 }, { id: 13 }];
          return [0, 1, 2].map((i) => moveTargets(queue, i, 7));
        }"""
    )
    assert moves[0] == {
        "up": None,
        "down": {"platform_id": 7, "after_id": 12},
        "top": None,
        "bottom": {"platform_id": 7, "after_id": 13},
    }
    assert moves[1]["up"] == {"platform_id": 7, "before_id": 11}
    assert moves[1]["top"] == {"platform_id": 7, "after_id": None}
    assert moves[2] == {
        "up": {"platform_id": 7, "before_id": 12},
        "down": None,
        "top": {"platform_id": 7, "after_id": None},
        "bottom": None,
    }

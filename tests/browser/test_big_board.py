"""Big boards: a long queue draws only the cards near sight, yet every card can be reached,
moved and kept current; the column finder; folded columns remembered across a reload."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.browser.helpers import card, column, dom_queue, eventually

LONG = 150  # cards in the long column: well past what a column draws at once


async def long_column(live_server: Any, board: Any, name: str = "Wire") -> tuple[int, list[int]]:
    """A paused column holding LONG cards (inserted in one statement: 150 commands take long)."""
    platform = await board.column(name)
    rows = await asyncio.to_thread(
        live_server.sql,
        "INSERT INTO snippets (platform_id, ord, kind, status, body)"
        " SELECT $1, n, 'post', 'pending', 'Story number ' || n || ' of the long queue'"
        " FROM generate_series(1, $2) AS n RETURNING id",
        platform,
        LONG,
    )
    return platform, [row["id"] for row in rows]


async def drawn(page: Any, platform: int) -> list[int]:
    """The cards of the queue the page has drawn (the rest stand in as space)."""
    return await dom_queue(page, platform, ".queue > [data-snippet-id]")


async def test_far_card_moves_by_keyboard_and_by_drag(open_page, board, live_server):
    """Only the cards near sight are drawn, but the arrows walk to card 120, Alt+↓ moves it,
    and a card dragged from the top lands before card 130."""
    platform, ids = await long_column(live_server, board)
    page = await open_page()
    await eventually(lambda: drawn(page, platform), what="the first cards")
    first = await drawn(page, platform)
    assert first[0] == ids[0] and len(first) < 60, f"expected a window of cards, got {len(first)}"

    await card(page, ids[0]).focus()
    for _ in range(119):
        await page.keyboard.press("ArrowDown")
    focused = await page.evaluate("Number(document.activeElement.dataset.snippetId)")
    assert focused == ids[119]
    await page.keyboard.press("Alt+ArrowDown")
    expected = ids[:119] + [ids[120], ids[119]] + ids[121:]
    await eventually(lambda: _queue_is(board, platform, expected), what="the keyboard move")
    assert await page.evaluate("Number(document.activeElement.dataset.snippetId)") == ids[119]

    # Drag the top card down: it stays drawn while the column scrolls to card 130.
    body = column(page, platform).locator(".column-body")
    await body.evaluate("el => { el.scrollTop = 0; }")
    await eventually(lambda: card(page, ids[0]).count(), what="the top card drawn again")
    await card(page, ids[0]).dispatch_event("dragstart", {"dataTransfer": await _transfer(page)})
    target = expected[130]
    await body.evaluate(
        """async (el, id) => {
          for (let i = 0; i < 200 && !el.querySelector(`[data-snippet-id="${id}"]`); i += 1) {
            el.scrollTop += 200;
            await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
          }
          el.querySelector(`[data-snippet-id="${id}"]`).scrollIntoView({ block: "center" });
          await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        }""",
        target,
    )
    assert await card(page, ids[0]).count() == 1, "the dragged card left the page"
    box = await card(page, target).bounding_box()
    point = {"clientX": box["x"] + 20, "clientY": box["y"] + 5}
    await card(page, target).evaluate(
        """(el, p) => {
          const dt = new DataTransfer();
          for (const type of ["dragover", "drop"]) {
            el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt, ...p }));
          }
          document.dispatchEvent(new DragEvent("dragend", { bubbles: true }));
        }""",
        point,
    )
    moved = [i for i in expected[1:130]] + [ids[0]] + expected[130:]
    await eventually(lambda: _queue_is(board, platform, moved), what="the drop before card 130")


async def _transfer(page: Any) -> Any:
    return await page.evaluate_handle("new DataTransfer()")


async def _queue_is(board: Any, platform: int, expected: list[int]) -> bool:
    return bool(await board.queue(platform) == expected)


async def test_card_scrolled_into_view_is_current(open_page, board, live_server):
    """A patch for a card far down (not drawn) shows as soon as the card scrolls into view;
    a drawn card shows its patch at once."""
    platform, ids = await long_column(live_server, board)
    page = await open_page()
    await eventually(lambda: drawn(page, platform), what="the first cards")
    assert ids[140] not in await drawn(page, platform)
    version = (await board.snippet(ids[140]))["version"]
    await board.command("snippet.update", id=ids[140], version=version, body="Changed far away")
    version = (await board.snippet(ids[1]))["version"]
    await board.command("snippet.update", id=ids[1], version=version, body="Changed in sight")
    await eventually(
        lambda: _text_is(page, ids[1], "Changed in sight"), what="the patch on a drawn card"
    )
    await (
        column(page, platform)
        .locator(".column-body")
        .evaluate("el => { el.scrollTop = el.scrollHeight; }")
    )
    await eventually(lambda: card(page, ids[140]).count(), what="the far card drawn")
    assert await card(page, ids[140]).locator(".card-body").text_content() == "Changed far away"


async def _text_is(page: Any, snippet_id: int, text: str) -> bool:
    return bool(await card(page, snippet_id).locator(".card-body").text_content() == text)


async def test_finder_jumps_to_a_column(open_page, board):
    """G opens the finder; typing a name and Enter brings that column into sight, focused."""
    ids = [await board.column(f"Desk {n:02d}") for n in range(1, 13)]
    target = await board.column("Weather desk")
    page = await open_page()
    box = await column(page, target).bounding_box()
    assert box["x"] > 1280, "expected the last column off screen at first"
    await page.keyboard.press("g")
    dialog = page.get_by_role("dialog", name="Go to column")
    await dialog.get_by_role("combobox").fill("weath")
    assert await dialog.get_by_role("option").count() == 1
    await page.keyboard.press("Enter")
    await eventually(lambda: _in_sight(page, target), what="the column in sight")
    assert await page.evaluate(
        "document.activeElement.closest('[data-platform-id]').dataset.platformId"
    ) == str(target)
    # Ctrl+K and the top bar's button open it too; Escape closes it.
    await page.keyboard.press("Control+k")
    await dialog.get_by_role("combobox").fill("desk 01")
    await page.keyboard.press("Enter")
    await eventually(lambda: _in_sight(page, ids[0]), what="the first column in sight")
    await page.get_by_role("button", name="Go to column").click()
    await page.keyboard.press("Escape")
    assert await dialog.count() == 0


async def _in_sight(page: Any, platform: int) -> bool:
    box = await column(page, platform).bounding_box()
    return bool(box and box["x"] >= 0 and box["x"] + box["width"] <= 1280)


async def test_folded_column_is_remembered(open_page, board):
    """A column folded to a strip stays folded after a reload, showing its name and count."""
    left = await board.column("Site feed")
    right = await board.column("Night feed")
    await board.cards(right, "Alpha", "Bravo", "Charlie")
    page = await open_page()
    strip = column(page, right)
    await strip.get_by_role("button", name="Fold Night feed to a strip").click()
    await eventually(lambda: _folded(page, right), what="the strip")
    assert await strip.locator(".column-count").text_content() == "3"
    assert await strip.locator("[data-snippet-id]").count() == 0
    await page.reload()
    await page.wait_for_selector("#board:not([aria-busy])")
    assert await _folded(page, right)
    assert not await _folded(page, left)
    await strip.get_by_role("button", name="Unfold Night feed").click()
    await eventually(lambda: strip.locator("[data-snippet-id]").count(), what="the cards back")
    await page.reload()
    await page.wait_for_selector("#board:not([aria-busy])")
    assert not await _folded(page, right)


async def _folded(page: Any, platform: int) -> bool:
    el = column(page, platform)
    box = await el.bounding_box()
    folded = await el.evaluate("el => el.classList.contains('is-collapsed')")
    return bool(folded and box and box["width"] <= 50)


async def test_window_arithmetic_and_finder_matching(open_page, live_server):
    """virtual.js: the cards meeting a band, the spacers' heights, pinned cards kept;
    finder.js: every word must match, names that start with the first word come first."""
    page = await open_page(sign=False)
    await page.goto(live_server.url + "/login")
    result = await page.evaluate(
        """async () => {
            const v = await import("/static/js/virtual.js");
            const f = await import("/static/js/finder.js");
            const heights = [100, 100, 100, 100, 100];
            const columns = [
              { name: "Night desk", kind: "telegram" }, { name: "Desk of sport", kind: "vk" },
              { name: "Deskside", kind: "x" }, { name: "Weather", kind: "telegram" },
            ];
            return {
              band: v.visibleRange(heights, 150, 250, 6),
              none: v.visibleRange(heights, 900, 1000, 6),
              offset: v.offsetOf(heights, 3, 6),
              span: v.spanHeight(heights, 1, 3, 6),
              drawn: v.drawnIndices(5, [1, 2], [4, 1, 9]),
              desk: f.matchColumns(columns, "desk").map((c) => c.name),
              telegram: f.matchColumns(columns, "night telegram").map((c) => c.name),
            };
        }"""
    )
    assert result["band"] == [1, 2]
    assert result["none"] is None
    assert result["offset"] == 318
    assert result["span"] == 312
    assert result["drawn"] == [1, 2, 4]
    assert result["desk"] == ["Desk of sport", "Deskside", "Night desk"]
    assert result["telegram"] == ["Night desk"]

"""Moving cards: mouse drag and drop within and between columns, and the keyboard."""

from __future__ import annotations

from tests.browser.helpers import card, column, dom_queue, eventually


async def _queue_is(board, platform, expected):
    return await board.queue(platform) == expected


async def test_drag_to_the_top_of_the_column(open_page, board):
    """Dropped over the upper half of the first card, a card goes to the top."""
    platform = await board.column("Site feed")
    a, b, c = await board.cards(platform, "Alpha", "Bravo", "Charlie")
    page = await open_page()
    await page.drag_and_drop(
        f'[data-snippet-id="{c}"]', f'[data-snippet-id="{a}"]', target_position={"x": 40, "y": 6}
    )
    await eventually(lambda: _queue_is(board, platform, [c, a, b]), what="the move on the server")
    await eventually(lambda: _dom_is(page, platform, [c, a, b]), what="the move on the page")


async def _dom_is(page, platform, expected):
    return await dom_queue(page, platform) == expected


async def test_drag_into_another_column(open_page, board):
    """Dropped on another column below its last card, a card goes to the end of that queue."""
    left = await board.column("Site feed")
    right = await board.column("Drafts", kind="drafts", paused=False)
    a, b = await board.cards(left, "Alpha", "Bravo")
    (x,) = await board.cards(right, "X-ray")
    page = await open_page()
    body = column(page, right).locator(".column-body")
    box = await body.bounding_box()
    await page.drag_and_drop(
        f'[data-snippet-id="{a}"]',
        f'[data-platform-id="{right}"] .column-body',
        target_position={"x": box["width"] / 2, "y": box["height"] - 20},
    )
    await eventually(lambda: _queue_is(board, right, [x, a]), what="the card in the other column")
    assert await board.queue(left) == [b]
    await eventually(lambda: _dom_is(page, right, [x, a]), what="the page showing it there")
    assert await dom_queue(page, left) == [b]


async def test_drag_between_cards_of_another_column(open_page, board):
    """Dropped over the lower half of a card, a card goes right after it."""
    left = await board.column("Site feed")
    right = await board.column("Night feed")
    (a,) = await board.cards(left, "Alpha")
    x, y = await board.cards(right, "X-ray", "Yankee")
    page = await open_page()
    target = card(page, x)
    box = await target.bounding_box()
    await page.drag_and_drop(
        f'[data-snippet-id="{a}"]',
        f'[data-snippet-id="{x}"]',
        target_position={"x": 30, "y": box["height"] - 4},
    )
    await eventually(lambda: _queue_is(board, right, [x, a, y]), what="the card between X and Y")


async def test_a_drop_sends_exactly_one_move(open_page, board):
    """One drag and drop is one snippet.move command on the socket."""
    platform = await board.column("Site feed")
    a, b = await board.cards(platform, "Alpha", "Bravo")
    page = await open_page()
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    # Watch the socket from its start: the reload opens a new one.
    await page.reload()
    await page.wait_for_selector(f'[data-snippet-id="{b}"]')
    await page.drag_and_drop(
        f'[data-snippet-id="{b}"]', f'[data-snippet-id="{a}"]', target_position={"x": 30, "y": 4}
    )
    await eventually(lambda: _queue_is(board, platform, [b, a]), what="the move")
    moves = [frame for frame in sent if '"snippet.move"' in str(frame)]
    assert len(moves) == 1, moves


async def test_keyboard_moves(open_page, board):
    """Alt+Up/Down move the focused card one place; Alt+Right to the top of the next column."""
    left = await board.column("Site feed")
    right = await board.column("Night feed")
    a, b, c = await board.cards(left, "Alpha", "Bravo", "Charlie")
    (x,) = await board.cards(right, "X-ray")
    page = await open_page()
    await card(page, c).focus()
    await page.keyboard.press("Alt+ArrowUp")
    await eventually(lambda: _queue_is(board, left, [a, c, b]), what="Alt+Up")
    await eventually(lambda: _dom_is(page, left, [a, c, b]), what="the page after Alt+Up")
    # The card keeps the focus, so moves can follow one another.
    assert await card(page, c).evaluate("el => el === document.activeElement")
    await page.keyboard.press("Alt+ArrowDown")
    await eventually(lambda: _queue_is(board, left, [a, b, c]), what="Alt+Down")
    await page.keyboard.press("Alt+ArrowRight")
    await eventually(lambda: _queue_is(board, right, [c, x]), what="Alt+Right")
    await eventually(lambda: _dom_is(page, right, [c, x]), what="the page after Alt+Right")
    assert await card(page, c).evaluate("el => el === document.activeElement")
    await page.keyboard.press("Alt+ArrowLeft")
    await eventually(lambda: _queue_is(board, left, [c, a, b]), what="Alt+Left")

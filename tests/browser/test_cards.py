"""Cards: create, edit in place (with a conflict), delete with undo, the text counter."""

from __future__ import annotations

from tests.browser.helpers import card, column, dom_queue, eventually


async def test_create_a_card_from_the_column(open_page, board):
    """The column's + opens a form; Add puts the card at the end of the queue, on the server too."""
    platform = await board.column("Site feed")
    (first,) = await board.cards(platform, "Already queued")
    page = await open_page()
    await column(page, platform).get_by_role("button", name="New card").click()
    form = column(page, platform).locator("form.card-form")
    await form.get_by_label("text").fill("Storm warning for the coast tonight")
    await form.get_by_label("link").fill("https://news.example.org/storm")
    await form.get_by_role("button", name="Add", exact=True).click()

    ids = await eventually(lambda: _two(board, platform), what="the new card on the server")
    assert ids[0] == first
    new = ids[1]
    await card(page, new).wait_for()
    assert await dom_queue(page, platform) == [first, new]
    assert "Storm warning" in await card(page, new).inner_text()
    snippet = await board.snippet(new)
    assert snippet["url"] == "https://news.example.org/storm"
    # The form stays open and empty for the next card.
    assert await form.get_by_label("text").input_value() == ""


async def _two(board, platform):
    ids = await board.queue(platform)
    return ids if len(ids) == 2 else None


async def test_counter_follows_the_network_limit(open_page, board):
    """A column with a text limit counts against it and refuses an over-long text."""
    # Unwatched, on a closed local port: its watcher would otherwise call X with a made-up token.
    platform = await board.column(
        "X",
        kind="x",
        settings={"api_base": "http://127.0.0.1:9", "watch": False},
        secrets={"access_token": "not-used"},
    )
    limit = (await board.platform(platform)).get("text_limit")
    assert limit, "an X column carries its text limit"
    page = await open_page()
    await column(page, platform).get_by_role("button", name="New card").click()
    form = column(page, platform).locator("form.card-form")
    await form.get_by_label("text").fill("a" * (limit + 1))
    assert await form.locator(".counter").inner_text() == f"{limit + 1} / {limit}"
    assert await form.get_by_role("button", name="Add", exact=True).is_disabled()
    await form.get_by_label("text").fill("short")
    assert not await form.get_by_role("button", name="Add", exact=True).is_disabled()


async def test_edit_in_place_saves_with_the_version(open_page, board):
    """Enter on a focused card edits it; Ctrl+Enter saves; the server has the new text."""
    platform = await board.column("Site feed")
    (snippet,) = await board.cards(platform, "Old text")
    page = await open_page()
    await card(page, snippet).focus()
    await page.keyboard.press("Enter")
    text = card(page, snippet).get_by_label("text")
    await text.fill("New text")
    await page.keyboard.press("Control+Enter")
    await eventually(lambda: _body_is(board, snippet, "New text"), what="the saved text")
    await card(page, snippet).locator(".card-body", has_text="New text").wait_for()


async def _body_is(board, snippet_id, body):
    return (await board.snippet(snippet_id))["body"] == body


async def _editing(open_page, board):
    """A page with one card open in its editor, and a helper for someone else's change."""
    platform = await board.column("Site feed")
    (snippet,) = await board.cards(platform, "First version")
    page = await open_page()
    await card(page, snippet).hover()
    await card(page, snippet).get_by_role("button", name="Edit").click()

    async def their_change():
        version = (await board.snippet(snippet))["version"]
        await board.command("snippet.update", id=snippet, version=version, body="Their version")

    return page, card(page, snippet), their_change


async def test_edit_conflict_shows_who_changed_it(open_page, board, live_server):
    """Someone else saves first: the editor says who, and loads their text on request."""
    page, editing, their_change = await _editing(open_page, board)
    await editing.get_by_label("text").fill("My version")
    await their_change()
    notice = editing.locator(".form-notice")
    await notice.get_by_text(live_server.admin_email).wait_for()
    await notice.get_by_role("button", name="Load their text").click()
    assert await editing.get_by_label("text").input_value() == "Their version"


async def test_stale_save_gets_a_conflict(open_page, board):
    """A save with an old version is refused by the server and the editor says so."""
    page, editing, their_change = await _editing(open_page, board)
    # Hold the page's patches back so its save goes out with the old version.
    await page.evaluate("() => { window.metronome.conn.handlers.onPatch = () => {}; }")
    await their_change()
    await editing.get_by_label("text").fill("My version")
    await editing.get_by_role("button", name="Save").click()
    await editing.locator(".form-notice", has_text="changed while you were editing").wait_for()
    snippet_id = int(await editing.get_attribute("data-snippet-id"))
    assert (await board.snippet(snippet_id))["body"] == "Their version"


async def test_delete_and_undo(open_page, board):
    """Delete removes the card; the toast's Undo brings it back in its place."""
    platform = await board.column("Site feed")
    ids = await board.cards(platform, "One", "Two", "Three")
    page = await open_page()
    await card(page, ids[1]).hover()
    await card(page, ids[1]).get_by_role("button", name="Delete").click()
    await card(page, ids[1]).wait_for(state="detached")
    assert await board.queue(platform) == [ids[0], ids[2]]
    await page.locator(".toast").get_by_role("button", name="Undo").click()
    await card(page, ids[1]).wait_for()
    assert await dom_queue(page, platform) == ids
    assert await board.queue(platform) == ids

"""Together on one board (CONTRACT §12): the others' avatars, "‹name› is editing" and the warning
before typing into their card; an author's card waits, an editor approves it and it goes out;
a card's story in its editor."""

from __future__ import annotations

import asyncio
import time

from board.accounts import hash_password
from tests.browser.helpers import card, column, eventually

PASSWORD = "together-password-1"


async def make_user(live_server, email: str, role: str) -> tuple[str, str]:
    """A user to sign in through the form: (email, password)."""
    await asyncio.to_thread(
        live_server.sql,
        "INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3)",
        email,
        hash_password(PASSWORD),
        role,
    )
    return email, PASSWORD


async def test_an_editor_sees_the_other_and_what_they_edit(open_page, board, live_server):
    """Two editors: each sees the other's avatar within a second; when one opens a card, the
    other sees "‹name› is editing" on it within a second, and opening it too warns before it
    lets them type; when the first leaves, their avatar goes."""
    platform = await board.column("Site feed")
    (story,) = await board.cards(platform, "The mayor resigns")
    ann = await make_user(live_server, "ann.lee@example.org", "editor")
    me = await open_page()
    other_context_page = await open_page(user=ann)
    started = time.monotonic()
    avatar = me.locator("#presence [data-user-id]", has_text="AL")
    await avatar.wait_for(timeout=1000)
    assert time.monotonic() - started < 1.0
    assert "ann.lee@example.org" in (await avatar.get_attribute("title") or "")

    await card(other_context_page, story).focus()
    await other_context_page.keyboard.press("Enter")
    await card(other_context_page, story).get_by_label("text").wait_for()
    started = time.monotonic()
    note = card(me, story).locator(".card-presence")
    await note.get_by_text("ann.lee is editing").wait_for(timeout=1000)
    assert time.monotonic() - started < 1.0
    assert "is editing" in (await avatar.get_attribute("title") or "")

    # Opening the same card: a warning first, the text read-only until "Edit anyway".
    await card(me, story).focus()
    await me.keyboard.press("Enter")
    text = card(me, story).get_by_label("text")
    await card(me, story).get_by_text("ann.lee is editing this card.").wait_for()
    assert await text.get_attribute("readonly") is not None
    assert await card(me, story).get_by_role("button", name="Save").is_disabled()
    await card(me, story).get_by_role("button", name="Edit anyway").click()
    assert await text.get_attribute("readonly") is None
    await text.fill("The mayor resigns, effective at once")
    assert not await card(me, story).get_by_role("button", name="Save").is_disabled()
    await me.keyboard.press("Escape")

    # She stops editing, then leaves the board.
    await other_context_page.keyboard.press("Escape")
    await note.wait_for(state="hidden", timeout=2000)
    await other_context_page.context.close()
    await avatar.wait_for(state="detached", timeout=3000)


async def test_an_authors_card_waits_and_goes_out_once_approved(open_page, board, live_server):
    """An author adds a card to a running column: it shows as waiting, with no time and no way
    for the author to send, move or delete it; the editor filters the board to waiting cards,
    reads the card's story, approves it, and it goes out."""
    platform = await board.column("Live feed", interval_s=60, paused=False)
    reporter = await make_user(live_server, "reporter@example.org", "author")
    writer = await open_page(user=reporter)
    await column(writer, platform).get_by_role("button", name="New card").click()
    form = column(writer, platform).locator("form.card-form")
    await form.get_by_label("text").fill("Exclusive: the bridge will reopen on Monday")
    await form.get_by_role("button", name="Add", exact=True).click()
    queue = await eventually(lambda: board.queue(platform), what="the author's card")
    (waiting,) = queue
    assert (await board.snippet(waiting))["approval"] == "pending"
    mine = card(writer, waiting)
    await mine.get_by_text("Waiting for approval").wait_for()
    assert await mine.get_attribute("draggable") is None, "authors do not move cards"
    assert await mine.get_by_role("button", name="Approve").count() == 0
    assert await mine.get_by_role("button", name="Send now").count() == 0
    assert await mine.get_by_role("button", name="Delete (Del)").count() == 0
    assert await mine.locator(".card-clock").inner_text() == ""
    await asyncio.sleep(1.5)  # a running column: an approved card would have gone by now
    assert (await board.snippet(waiting))["status"] == "pending"

    editor = await open_page()
    filter_button = editor.locator("#waiting-filter")
    await filter_button.get_by_text("1", exact=True).wait_for()
    # Elsewhere (a paused column), so the live column's next slot stays free for the approval.
    (other,) = await board.cards(await board.column("Archive"), "Weather: rain all week")
    await card(editor, other).wait_for()
    await filter_button.click()
    assert await filter_button.get_attribute("aria-pressed") == "true"
    await card(editor, other).wait_for(state="hidden")
    assert await card(editor, waiting).is_visible()

    # The card's story, in its editor.
    await card(editor, waiting).focus()
    await editor.keyboard.press("Enter")
    await card(editor, waiting).get_by_text("History of this card").click()
    await card(editor, waiting).get_by_text("reporter created it").wait_for()
    await editor.keyboard.press("Escape")

    await card(editor, waiting).get_by_role("button", name="Approve").click()
    await eventually(lambda: _sent(board, waiting), within=5, what="the approved card sent")
    await editor.locator(f'[data-history-id="{waiting}"][data-status="sent"]').wait_for(
        state="attached"
    )
    await filter_button.click()
    assert await filter_button.get_attribute("aria-pressed") == "false"


async def _sent(board, snippet_id):
    snippet = await board.snippet(snippet_id)
    return snippet and snippet["status"] == "sent"

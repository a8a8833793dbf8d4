"""Signing in and out through the pages."""

from __future__ import annotations

from tests.browser.helpers import column
from tests.support import PASSWORD, make_user


async def test_sign_in_lands_on_the_board(open_page, board, live_server):
    """The login form leads to the board, which shows the columns and who is signed in."""
    drafts = await board.column("Drafts", kind="drafts", paused=False)
    page = await open_page()
    assert page.url == live_server.url + "/"
    await column(page, drafts).wait_for()
    assert await page.locator("#me-email").text_content() == live_server.admin_email
    assert await page.locator("#live-indicator").get_attribute("data-state") == "open"


async def test_log_out_returns_to_the_login_page(open_page, live_server):
    """Log out ends the session: the board sends the browser back to /login."""
    page = await open_page()
    await page.click("#logout")
    await page.wait_for_url("**/login")
    await page.goto(live_server.url + "/")
    await page.wait_for_url("**/login")


async def test_a_viewer_sees_the_board_read_only(open_page, board, live_server):
    """A viewer gets the same board without controls: nothing to drag, edit or pause."""
    platform = await board.column("Site feed")
    (snippet,) = await board.cards(platform, "Alpha")
    email = await make_user(live_server.database_url, "viewer")
    page = await open_page(user=(email, PASSWORD))
    col = column(page, platform)
    await col.locator(f'[data-snippet-id="{snippet}"]').wait_for()
    assert await page.locator("#me-role").text_content() == "viewer"
    assert await col.locator("[draggable=true]").count() == 0
    assert await col.get_by_role("button", name="New card").is_hidden()
    assert await col.get_by_role("button", name="Clear the queue").is_hidden()
    assert await col.get_by_label("Publishing interval").is_disabled()
    assert await col.locator(f'[data-snippet-id="{snippet}"] button').count() == 0

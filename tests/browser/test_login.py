"""Signing in and out through the pages."""

from __future__ import annotations

from tests.browser.helpers import column


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

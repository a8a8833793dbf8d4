"""Users in the page: the admin adds a user (a one-time password shown once), changes a role,
disables someone whose open board then closes at once; anyone changes their own password; a
wrong password at sign-in is said without a console error. The dialogs in light and dark."""

from __future__ import annotations

import asyncio
import time

import httpx
from playwright.async_api import expect

from tests.browser.helpers import eventually, shoot_dialog
from tests.support import PASSWORD, make_user


async def signs_in(server, email: str, password: str) -> bool:
    async with httpx.AsyncClient(base_url=server.url) as http:
        return (
            await http.post("/api/login", json={"email": email, "password": password})
        ).status_code == 200


async def test_users_dialog_adds_changes_and_disables(open_page, browser, live_server):
    """A new editor signs in with the one-time password; made a viewer, their board loses the
    controls; disabled, their open board goes to the sign-in page within 5 s."""
    page = await open_page()
    await page.get_by_role("button", name="Users").click()
    dialog = page.get_by_role("dialog")
    await expect(
        dialog.get_by_role("row").filter(has_text=live_server.admin_email)
    ).to_contain_text("you")
    await dialog.get_by_label("E-mail").fill("not an address")
    await dialog.get_by_role("button", name="Add").click()
    await expect(dialog.locator("#new-user-error")).to_be_visible()
    await dialog.get_by_label("E-mail").fill("Night.Editor@example.org")
    await dialog.get_by_label("Role", exact=True).select_option("editor")
    await dialog.get_by_role("button", name="Add").click()
    shown = dialog.locator(".one-time-password")
    await expect(shown).to_be_visible()
    password = await shown.inner_text()
    await expect(dialog.locator(".one-time")).to_contain_text("not shown again")
    row = dialog.get_by_role("row").filter(has_text="night.editor@example.org")
    await expect(row).to_be_visible()
    await shoot_dialog(page, "users-dialog-light")

    # They sign in with it, in a browser of their own.
    theirs = await open_page(user=("night.editor@example.org", password))
    await expect(theirs.locator("#me-role")).to_have_text("editor")

    # A new role reaches their board at once (it reconnects with it).
    await row.get_by_label("Role: night.editor@example.org").select_option("viewer")
    await expect(theirs.locator("#me-role")).to_have_text("viewer", timeout=5000)

    # Disabled: asked first, then their board closes and goes to the sign-in page.
    await row.get_by_role("button", name="Disable").click()
    confirm = page.get_by_role("dialog").filter(has_text="Disable night.editor@example.org?")
    started = time.monotonic()
    await confirm.get_by_role("button", name="Disable").click()
    await theirs.wait_for_url("**/login", timeout=5000)
    assert time.monotonic() - started < 5
    await expect(
        page.get_by_role("dialog").get_by_role("row").filter(has_text="night.editor@example.org")
    ).to_contain_text("Disabled")
    rows = await asyncio.to_thread(
        live_server.sql, "SELECT disabled FROM users WHERE email = 'night.editor@example.org'"
    )
    assert rows[0]["disabled"] is True
    # The sign-in page after that says it plainly, and logs nothing to the console.
    await theirs.fill("input[name=email]", "night.editor@example.org")
    await theirs.fill("input[name=password]", password)
    await theirs.click("button[type=submit]")
    await expect(theirs.locator("#login-error")).to_have_text("Wrong e-mail or password.")


async def test_users_dialog_dark_and_a_new_password(open_page, live_server):
    """An admin gives someone a new one-time password; the old one stops working."""
    email = await make_user(live_server.database_url, "viewer")
    page = await open_page(color_scheme="dark")
    await page.get_by_role("button", name="Users").click()
    dialog = page.get_by_role("dialog")
    row = dialog.get_by_role("row").filter(has_text=email)
    await row.get_by_role("button", name="New password").click()
    await (
        page.get_by_role("dialog")
        .filter(has_text="New password for")
        .get_by_role("button", name="New password")
        .click()
    )
    await expect(dialog.locator(".one-time-password")).to_be_visible()
    fresh = await dialog.locator(".one-time-password").inner_text()
    await shoot_dialog(page, "users-dialog-dark")
    assert await signs_in(live_server, email, PASSWORD) is False
    assert await signs_in(live_server, email, fresh) is True


async def test_own_password_change(open_page, live_server):
    """Anyone changes their password from the account button: a wrong current one is named
    beside it; the new one works from then on."""
    email = await make_user(live_server.database_url, "editor")
    for scheme in ("light", "dark"):
        page = await open_page(
            user=(email, PASSWORD) if scheme == "light" else (email, "a brand new password"),
            color_scheme=scheme,
        )
        await page.locator("#me").click()
        dialog = page.get_by_role("dialog")
        await expect(dialog).to_contain_text(email)
        await shoot_dialog(page, f"account-dialog-{scheme}")
        if scheme == "dark":
            break
        await dialog.get_by_label("Current password").fill("not my password")
        await dialog.get_by_label("New password", exact=True).fill("a brand new password")
        await dialog.get_by_label("New password again").fill("a brand new password")
        await dialog.get_by_role("button", name="Change password").click()
        await expect(dialog.locator("#account-current-error")).to_have_text(
            "That is not your current password"
        )
        await dialog.get_by_label("Current password").fill(PASSWORD)
        await dialog.get_by_label("New password again").fill("a brand new passwort")
        await dialog.get_by_role("button", name="Change password").click()
        await expect(dialog.locator("#account-again-error")).to_have_text(
            "The two new passwords differ"
        )
        await dialog.get_by_label("New password again").fill("a brand new password")
        await dialog.get_by_role("button", name="Change password").click()
        await expect(dialog).to_be_hidden()
        await expect(page.locator(".toast", has_text="Password changed")).to_be_visible()
    await eventually(
        lambda: signs_in(live_server, email, "a brand new password"), what="the new password"
    )


async def test_a_wrong_password_logs_no_console_error(open_page, live_server):
    """A refused sign-in says so on the page; the console stays clean (open_page checks)."""
    page = await open_page(sign=False)
    await page.goto(live_server.url + "/login")
    await page.fill("input[name=email]", live_server.admin_email)
    await page.fill("input[name=password]", "not the password")
    await page.click("button[type=submit]")
    await expect(page.locator("#login-error")).to_have_text("Wrong e-mail or password.")
    assert page.url.endswith("/login")

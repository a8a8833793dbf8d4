"""Alerts in the page: the admin adds a webhook target, sends a test alert and sees it arrive;
a target that fails is flagged on the top bar; an alert's link opens the board at its column."""

from __future__ import annotations

import asyncio

from playwright.async_api import expect

from tests.browser.helpers import shoot_dialog
from tests.fakes.alerting import Hook
from tests.fakes.server import serve


async def test_alerts_dialog_adds_tests_and_flags(open_page, board, live_server):
    """Add a webhook target, "Send a test alert": it arrives and the page says so; a target
    answering 404 shows its error, and the top bar's Alerts button turns red."""
    hook = Hook()
    async with serve(hook.app()) as base:
        page = await open_page()
        await page.get_by_role("button", name="Alerts").click()
        dialog = page.get_by_role("dialog", name="Alerts")
        await expect(dialog).to_contain_text("No alert targets yet")
        await dialog.get_by_label("Kind").select_option("webhook")
        await dialog.get_by_label("Name").fill("Night hook")
        await dialog.get_by_label("URL").fill(f"{base}/alerts")
        await dialog.get_by_label("A queue runs dry").uncheck()
        await dialog.get_by_role("button", name="Add", exact=True).click()
        row = dialog.locator("[data-alert-id]").filter(has_text="Night hook")
        await expect(row).to_contain_text("Not tried yet")
        await expect(row).not_to_contain_text("A queue runs dry")

        await row.get_by_role("button", name="Send a test alert").click()
        await expect(row.get_by_role("status")).to_contain_text("Delivered")
        await expect(row).to_contain_text("Working")
        assert [a.body["event"] for a in hook.alerts] == ["test"]
        assert hook.alerts[0].body["link"] == f"{live_server.url}/"
        assert "Night hook" in hook.alerts[0].body["text"]

        # A bad URL is refused in the form, naming the field.
        await dialog.get_by_label("Name").fill("Broken hook")
        await dialog.get_by_label("URL").fill("ftp://example.org/hook")
        await dialog.get_by_role("button", name="Add", exact=True).click()
        await expect(dialog.locator("#alert-error")).to_contain_text("settings.url")
        await dialog.get_by_label("URL").fill(f"{base}/nowhere")
        await dialog.get_by_role("button", name="Add", exact=True).click()
        broken = dialog.locator("[data-alert-id]").filter(has_text="Broken hook")
        await broken.get_by_role("button", name="Send a test alert").click()
        await expect(broken.get_by_role("status")).to_contain_text(
            "Not delivered: the webhook answered HTTP 404"
        )
        await expect(broken).to_contain_text("Failing")
        await shoot_dialog(page, "alerts-dialog-light")
        await dialog.get_by_role("button", name="Close").click()
        button = page.locator("#alerts")
        await expect(button).to_have_class("btn btn-quiet alerts-button is-failing")
        await expect(button).to_have_attribute("title", "Alerts: Broken hook is failing")

        # Edited to a good URL and tested again: the flag goes.
        await button.click()
        await broken.get_by_role("button", name="Edit").click()
        await dialog.get_by_label("URL").fill(f"{base}/alerts")
        await dialog.get_by_role("button", name="Save").click()
        await broken.get_by_role("button", name="Send a test alert").click()
        await expect(broken.get_by_role("status")).to_contain_text("Delivered")
        await expect(page.locator("#alerts")).not_to_have_class(
            "btn btn-quiet alerts-button is-failing"
        )
        assert len(hook.alerts) == 2
        await dialog.get_by_role("button", name="Close").click()

        # An alert's link opens the board at the column it names.
        pid = await board.column(name="Linked desk")
        await page.goto(f"{live_server.url}/#platform-{pid}")
        await expect(page.locator(f'[data-platform-id="{pid}"]').first).to_be_focused()
        await asyncio.sleep(0)


async def test_alerts_are_for_admins_only(open_page, live_server):
    """An editor's page has no Alerts button."""
    from tests.support import PASSWORD, make_user

    email = await make_user(live_server.database_url, "editor")
    page = await open_page(user=(email, PASSWORD))
    await expect(page.locator("#me-role")).to_have_text("editor")
    await expect(page.locator("#alerts")).to_be_hidden()

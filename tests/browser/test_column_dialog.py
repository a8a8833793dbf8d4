"""Columns in the page: add, check the connection, edit and delete a webhook, a Telegram
(against the local Bot API) and a Mastodon column; field errors beside their field; secrets
that are never shown back; the dialog in light and dark."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.helpers import column, eventually, shoot_dialog
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import serve
from tests.fakes.telegram import FakeTelegram
from tests.fakes.webhook import Receiver
from tests.support import PASSWORD, make_user

TOKEN = "123456789:AAHfakeTOKENfor-tests_0123456789abcd"
WRONG_TOKEN = "123456789:AAHwrongTOKENfor-tests_012345678abc"
MASTODON_TOKEN = "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0"
# A check may wait for the network, and the first of a kind imports its client library.
CHECK_MS = 20_000
CHANNEL = {"id": -1001234567890, "type": "channel", "title": "City News", "username": "citynews"}


async def open_add(page: Page):
    await page.get_by_role("button", name="Add column").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    return dialog


async def delete_column(page: Page, platform_id: int, name: str) -> None:
    """Edit → "Delete column…" → confirm; the column leaves the board."""
    await column(page, platform_id).get_by_role("button", name=f"Edit column {name}").click()
    await page.get_by_role("dialog").get_by_role("button", name="Delete column…").click()
    confirm = page.get_by_role("dialog").filter(has_text=f"Delete {name}?")
    await confirm.get_by_role("button", name="Delete").click()
    await expect(column(page, platform_id)).to_have_count(0)


async def platforms(board) -> dict[str, dict]:
    return dict((await board.state())["platforms"])


async def named(board, name: str) -> dict | None:
    return next((p for p in (await platforms(board)).values() if p["name"] == name), None)


async def test_webhook_column_from_first_screen_to_delete(open_page, board, live_server):
    """The admin adds a webhook column from an empty board, checks it, edits it and deletes it."""
    receiver = Receiver()
    async with serve(receiver.app()) as base:
        page = await open_page()
        await expect(page.get_by_role("button", name="Add the first column")).to_be_visible()
        dialog = await open_add(page)
        await dialog.get_by_label("Kind").select_option("webhook")
        await dialog.get_by_label("Name").fill("Slack #news")
        await dialog.get_by_label("Interval").fill("15")
        # A field left empty is named where it is, and nothing is sent.
        await dialog.get_by_role("button", name="Add").click()
        await expect(dialog.locator('[data-field="url"] .field-error')).to_have_text("Required")
        # A malformed one: the server's refusal lands beside the field.
        await dialog.get_by_label("URL").fill("ftp://files.example.org/in")
        await dialog.get_by_role("button", name="Add").click()
        await expect(dialog.locator('[data-field="url"] .field-error')).to_contain_text(
            "expected an http(s) URL"
        )
        await expect(dialog.get_by_label("URL")).to_have_attribute("aria-invalid", "true")
        await dialog.get_by_label("URL").fill(f"{base}/hook")
        await dialog.get_by_role("button", name="Check connection").click()
        await expect(
            dialog.get_by_role("status").filter(has_text="The address answers")
        ).to_be_visible(timeout=CHECK_MS)
        assert receiver.received == [], "checking posts nothing"
        await dialog.get_by_role("button", name="Add").click()
        await expect(dialog).to_be_hidden()
        made = await eventually(lambda: named(board, "Slack #news"), what="the new column")
        assert (made["kind"], made["interval_s"], made["settings"]) == (
            "webhook",
            900,
            {"url": f"{base}/hook"},
        )
        await expect(column(page, made["id"])).to_be_visible()

        # Edit: a new name and interval; a token set, which is never shown back.
        await column(page, made["id"]).get_by_role("button", name="Edit column Slack #news").click()
        dialog = page.get_by_role("dialog")
        await expect(dialog.get_by_label("Kind")).to_be_disabled()
        await dialog.get_by_label("Name").fill("Slack #breaking")
        await dialog.get_by_label("Interval").fill("5")
        await dialog.get_by_label("Token (sent as Bearer)").fill("hook-secret-token-123")
        await dialog.get_by_role("button", name="Save").click()
        await expect(dialog).to_be_hidden()
        edited = await eventually(lambda: named(board, "Slack #breaking"), what="the edited column")
        assert edited["interval_s"] == 300 and "token" not in str(edited)
        await (
            column(page, made["id"])
            .get_by_role("button", name="Edit column Slack #breaking")
            .click()
        )
        dialog = page.get_by_role("dialog")
        token = dialog.get_by_label("Token (sent as Bearer)")
        assert await token.input_value() == "" and await token.get_attribute("type") == "password"
        await expect(dialog.locator('[data-field="token"] .secret-state')).to_have_text("set")
        await dialog.get_by_role("button", name="Delete column…").click()
        confirm = page.get_by_role("dialog").filter(has_text="Delete Slack #breaking?")
        await confirm.get_by_role("button", name="Delete").click()
        await expect(column(page, made["id"])).to_have_count(0)
        assert await named(board, "Slack #breaking") is None


async def test_telegram_column_checked_against_the_bot_api(open_page, board):
    """Check connection names the bot and the channel; a refused token is said in plain words
    beside the token; the column is added, edited with a new token, and deleted."""
    fake = FakeTelegram(TOKEN, [CHANNEL])
    async with fake.running():
        page = await open_page()
        dialog = await open_add(page)
        await dialog.get_by_label("Kind").select_option("telegram")
        await expect(dialog.get_by_role("link", name="How to set up Telegram")).to_have_attribute(
            "href", "/docs/platforms.md#telegram-telegram"
        )
        await dialog.get_by_label("Name").fill("Telegram @citynews")
        await dialog.get_by_label("Channel or chat").fill("@citynews")
        await dialog.get_by_text("More settings").click()
        await dialog.get_by_label("API server").fill(fake.base_url)
        await dialog.get_by_label("Bot token").fill(WRONG_TOKEN)
        await dialog.get_by_role("button", name="Check connection").click()
        refused = "Telegram refused the bot token. Copy it again from @BotFather."
        await expect(dialog.locator(".check-result")).to_contain_text(refused, timeout=CHECK_MS)
        await expect(dialog.locator('[data-field="bot_token"] .field-error')).to_have_text(refused)
        await dialog.locator(".check-result summary").click()
        await expect(dialog.locator(".check-result code")).to_contain_text("Unauthorized")
        await dialog.get_by_label("Bot token").fill(TOKEN)
        await dialog.get_by_role("button", name="Check connection").click()
        await expect(dialog.locator(".check-result")).to_have_text(
            "Telegram says: posts as @metronome_bot to City News (@citynews).", timeout=CHECK_MS
        )
        await shoot_dialog(page, "column-dialog-light")
        await dialog.get_by_role("button", name="Add").click()
        made = await eventually(
            lambda: named(board, "Telegram @citynews"), what="the Telegram column"
        )
        assert made["settings"] == {"chat_id": "@citynews", "api_base": fake.base_url}

        # Edit: the saved column checks as saved; a replaced token is checked before saving.
        await (
            column(page, made["id"])
            .get_by_role("button", name="Edit column Telegram @citynews")
            .click()
        )
        dialog = page.get_by_role("dialog")
        await expect(dialog.locator('[data-field="bot_token"] .secret-state')).to_have_text("set")
        await dialog.get_by_role("button", name="Check connection").click()
        await expect(dialog.locator(".check-result")).to_contain_text(
            "posts as @metronome_bot", timeout=CHECK_MS
        )
        await dialog.get_by_label("Bot token").fill(WRONG_TOKEN)
        await dialog.get_by_role("button", name="Check connection").click()
        await expect(dialog.locator(".check-result")).to_contain_text(
            "Telegram refused the bot token", timeout=CHECK_MS
        )
        await dialog.get_by_role("button", name="Cancel").click()
        await expect(dialog).to_be_hidden()
        assert fake.messages == [], "no check, no edit posted anything"
        await delete_column(page, made["id"], "Telegram @citynews")


async def test_mastodon_column_and_the_dark_dialog(open_page, board):
    """A Mastodon column: a wrong instance is said in plain words, the right one names the
    account; it is added, renamed, deleted. The dialog in dark mode."""
    fake = FakeMastodon(MASTODON_TOKEN)
    async with fake.running():
        page = await open_page(color_scheme="dark")
        dialog = await open_add(page)
        await dialog.get_by_label("Kind").select_option("mastodon")
        await dialog.get_by_label("Name").fill("Mastodon @newsroom")
        await dialog.get_by_label("Instance URL").fill(f"{fake.base_url}/nothing-here")
        await dialog.get_by_label("Access token").fill(MASTODON_TOKEN)
        await dialog.get_by_role("button", name="Check connection").click()
        await expect(dialog.locator('[data-field="instance_url"] .field-error')).to_have_text(
            "That address is not a Mastodon instance.", timeout=CHECK_MS
        )
        await dialog.get_by_label("Instance URL").fill(fake.base_url)
        await dialog.get_by_role("button", name="Check connection").click()
        await expect(dialog.locator(".check-result")).to_contain_text(
            "Mastodon says: posts as City News (@newsroom@127.0.0.1)", timeout=CHECK_MS
        )
        await shoot_dialog(page, "column-dialog-dark")
        await dialog.get_by_role("button", name="Add").click()
        made = await eventually(
            lambda: named(board, "Mastodon @newsroom"), what="the Mastodon column"
        )
        await (
            column(page, made["id"])
            .get_by_role("button", name="Edit column Mastodon @newsroom")
            .click()
        )
        dialog = page.get_by_role("dialog")
        await dialog.get_by_label("Name").fill("Mastodon newsroom")
        await dialog.get_by_role("button", name="Save").click()
        await eventually(lambda: named(board, "Mastodon newsroom"), what="the renamed column")
        await delete_column(page, made["id"], "Mastodon newsroom")
        assert fake.statuses == {}


async def test_columns_are_moved_by_their_headers(open_page, board):
    """Dragging a column's header to the left of another moves it there, for every board;
    Alt+→ on a column's name moves it one place right."""
    first = await board.column("First")
    second = await board.column("Second")
    third = await board.column("Third")
    page = await open_page()
    other = await open_page()
    # Dropped over the left half of the first column: it goes before it.
    await (
        column(page, third)
        .locator(".column-header")
        .drag_to(column(page, first).locator(".column-header"), target_position={"x": 20, "y": 20})
    )

    async def order(on: Page) -> list[int]:
        ids = await on.locator("[data-platform-id]").evaluate_all(
            "els => els.map(e => Number(e.dataset.platformId))"
        )
        return list(ids)

    await eventually(
        lambda: _is(order(other), [third, first, second]), what="the new order on the other board"
    )
    await column(page, first).locator(".column-name").focus()
    await page.keyboard.press("Alt+ArrowRight")
    await eventually(lambda: _is(order(page), [third, second, first]), what="the keyboard move")
    positions = {p["id"]: p["position"] for p in (await platforms(board)).values()}
    assert sorted(positions, key=positions.get) == [third, second, first]


async def _is(awaitable, expected) -> bool:
    return await awaitable == expected


async def test_editors_see_no_column_set_up(open_page, board, live_server):
    """An editor's board has no Add column, Users or Edit column buttons."""
    platform = await board.column("Site feed")
    email = await make_user(live_server.database_url, "editor")
    page = await open_page(user=(email, PASSWORD))
    await expect(column(page, platform)).to_be_visible()
    await expect(page.get_by_role("button", name="Add column")).to_have_count(0)
    await expect(page.get_by_role("button", name="Users")).to_have_count(0)
    await expect(
        column(page, platform).get_by_role("button", name="Edit column Site feed")
    ).to_have_count(0)

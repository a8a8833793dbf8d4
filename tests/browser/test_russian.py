"""The page in Russian: a ru-RU browser gets Russian words, Russian plurals, times in the
column's zone, a server refusal in Russian, and the switch to English and back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import column, eventually
from tests.live import LiveServer, serving

RU = "ru-RU"


@pytest.fixture
def live_server(pg_server: str, template_db: str) -> Iterator[LiveServer]:
    """The tests' server with the product's smallest interval (60 s), so one can be refused."""
    with serving(pg_server, template_db, env={"METRONOME_MIN_INTERVAL_S": "60"}) as server:
        yield server


async def test_sign_in_and_board_speak_russian(open_page, board):
    """The board's chrome and a column are in Russian; <html lang=ru>."""
    page = await open_page(locale=RU)
    platform_id = await board.column("Лента сайта", interval_s=3600)
    await board.cards(platform_id, "Первая новость дня")
    await expect(page.locator("html")).to_have_attribute("lang", "ru")
    await expect(page.get_by_role("button", name="Добавить колонку")).to_be_visible()
    await expect(page.get_by_role("button", name="Выйти")).to_be_visible()
    await expect(page.locator("#live-indicator")).to_have_text("В сети")
    await expect(column(page, platform_id).locator(".badge")).to_have_text("На паузе")
    await expect(column(page, platform_id).locator(".column-next-label")).to_have_text(
        "ничего не уходит"
    )
    await expect(page.locator("#me-role")).to_have_text("администратор")


async def test_login_page_in_russian(open_page, live_server):
    """A Russian browser's sign-in form: its title, labels and button."""
    page = await open_page(sign=False, locale=RU)
    await page.goto(live_server.url + "/login")
    await expect(page).to_have_title("Вход · Metronome")
    await expect(page.get_by_label("Эл. почта")).to_be_visible()
    await expect(page.get_by_label("Пароль")).to_be_visible()
    await expect(page.get_by_role("button", name="Войти")).to_be_visible()
    await page.fill("input[name=email]", live_server.admin_email)
    await page.fill("input[name=password]", "not the password")
    await page.click("button[type=submit]")
    await expect(page.locator("#login-error")).to_have_text("Неверный адрес или пароль.")


async def relative_times(page: Page) -> dict[str, str]:
    return dict(
        await page.evaluate(
            """async () => {
                const t = await import("/static/js/time.js");
                const now = Date.parse("2026-11-22T10:00:00Z");
                const at = (minutes) => new Date(now + minutes * 60000).toISOString();
                const out = {};
                for (const n of [1, 2, 5, 11, 21, 22, 25]) out[n] = t.relative(at(n), now);
                out.ago3 = t.relative(at(-3), now);
                out.hours = t.relative(at(65), now);
                out.hour = t.relative(at(60), now);
                out.days = t.relative(at(5 * 24 * 60), now);
                out.countdown = t.relative(at(0.5), now);
                return out;
            }"""
        )
    )


async def test_relative_times_take_russian_plurals(open_page, board):
    """1 минуту, 2 минуты, 5 минут, 21 минуту (Intl.PluralRules("ru")), on the board too."""
    page = await open_page(locale=RU)
    assert await relative_times(page) == {
        "1": "через 1 минуту",
        "2": "через 2 минуты",
        "5": "через 5 минут",
        "11": "через 11 минут",
        "21": "через 21 минуту",
        "22": "через 22 минуты",
        "25": "через 25 минут",
        "ago3": "3 минуты назад",
        "hours": "через 1 ч 5 мин",
        "hour": "через 1 час",
        "days": "через 5 дней",
        "countdown": "через 0:30",
    }
    cleared = await page.evaluate(
        """async () => {
            const { M } = await import("/static/js/messages.js");
            return [1, 2, 5, 21].map((n) => M.cleared(n, "Ленты"));
        }"""
    )
    assert cleared == [
        "Из Ленты убрана 1 карточка",
        "Из Ленты убраны 2 карточки",
        "Из Ленты убрано 5 карточек",
        "Из Ленты убрана 21 карточка",
    ]
    # A running column: its first card goes out at once, the next one is 21 minutes later.
    platform_id = await board.column("Каждые 21 минуту", interval_s=21 * 60, paused=False)
    await board.cards(platform_id, "Уходит сразу", "Через двадцать одну минуту")
    await expect(column(page, platform_id).locator(".column-next-rel")).to_have_text(
        "через 21 минуту", timeout=15_000
    )
    await expect(column(page, platform_id).locator(".column-next-label")).to_have_text("Следующая")


async def test_english_keeps_english_plurals(open_page):
    """The same times in an en-US browser, as the cards have always read them."""
    page = await open_page()
    times = await relative_times(page)
    assert [times[n] for n in ("1", "2", "21", "ago3", "hours", "days")] == [
        "in 1 min",
        "in 2 min",
        "in 21 min",
        "3 min ago",
        "in 1h 5m",
        "in 5 days",
    ]


async def test_times_in_the_columns_time_zone(open_page, board):
    """A column in Asia/Tokyo shows its next slot in Tokyo time to a browser in Moscow."""
    page = await open_page(locale=RU, timezone_id="Europe/Moscow")
    platform_id = await board.column(
        "Токио", interval_s=3600, paused=False, settings={"timezone": "Asia/Tokyo"}
    )
    first, second = await board.cards(platform_id, "Сразу", "Через час")

    async def second_eta() -> str | None:
        snippet = await board.snippet(second)
        first_card = await board.snippet(first)
        return snippet and first_card and first_card["status"] == "sent" and snippet.get("eta")

    eta = await eventually(second_eta, within=15, what="the second card's eta")
    at = datetime.fromisoformat(eta.replace("Z", "+00:00"))
    tokyo = at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
    moscow = at.astimezone(ZoneInfo("Europe/Moscow")).strftime("%H:%M")
    clock = column(page, platform_id).locator(".column-next-clock")
    await expect(clock).to_contain_text(tokyo)
    assert moscow not in (await clock.text_content() or "")
    await expect(clock).to_have_attribute("title", _contains("GMT+9"))


def _contains(text: str) -> re.Pattern[str]:
    return re.compile(re.escape(text))


async def test_a_refused_interval_is_explained_in_russian(open_page, board):
    """An interval below the server's minimum: the server's reason, worded in Russian, beside
    the interval field."""
    page = await open_page(locale=RU)
    await page.get_by_role("button", name="Добавить колонку").first.click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_label("Тип").select_option("log")
    await dialog.get_by_label("Название").fill("Слишком часто")
    await dialog.get_by_label("Интервал", exact=True).fill("30")
    await dialog.get_by_label("Единица").select_option("1")
    await dialog.get_by_role("button", name="Добавить", exact=True).click()
    await expect(dialog.locator('[data-field="interval_s"] .field-error')).to_have_text(
        "Интервал должен быть не меньше 1 мин"
    )
    assert not [
        p for p in (await board.state())["platforms"].values() if p["name"] == "Слишком часто"
    ]


async def test_switch_to_english_and_back(open_page, board):
    """The language menu reloads the page in English, remembered; and back to Russian."""
    page = await open_page(locale=RU)
    switch = page.locator("select[name=lang]")
    await expect(switch).to_have_value("ru")
    await expect(switch).to_have_attribute("aria-label", "Язык")
    await switch.select_option("en")
    await expect(page.get_by_role("button", name="Add column")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.reload()
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()
    await page.locator("select[name=lang]").select_option("ru")
    await expect(page.get_by_role("button", name="Добавить колонку")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "ru")

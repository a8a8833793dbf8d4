"""Browser tests: Debian's Chromium driven by Playwright against a real `metronome serve`.

Every page opened through `open_page` fails its test on a console error or an uncaught
exception, a missing favicon included.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

from tests.browser.helpers import Board, sign_in
from tests.live import LiveServer  # its fixture, live_server, comes from tests/conftest.py

CHROMIUM = os.environ.get("METRONOME_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
# The page speaks the browser's language: pinned, so the English tests do not depend on the
# machine (tests/browser/test_russian.py opens ru-RU pages).
LOCALE = "en-US"


class ConsoleWatch:
    """Collects a page's console errors and uncaught exceptions."""

    def __init__(self, page: Page, name: str) -> None:
        self.name = name
        self.errors: list[str] = []
        self.allowed: list[re.Pattern[str]] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def allow(self, pattern: str) -> None:
        """Accept errors matching `pattern` (only the reconnect test needs this)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [
            f"{self.name}: {e}" for e in self.errors if not any(p.search(e) for p in self.allowed)
        ]


def require_chromium() -> None:
    """A missing browser fails the test (the README's test command installs it)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
def board(live_server: LiveServer) -> Board:
    """Sets up columns and cards through the server's own commands."""
    return Board(live_server)


@pytest.fixture
async def open_page(
    browser: Browser, live_server: LiveServer
) -> AsyncIterator[Callable[..., Awaitable[Page]]]:
    """open_page(color_scheme=, sign=, user=(email, password), locale=, timezone_id=) → a page
    in a context of its own.

    It is signed in as the admin unless `user` names someone else (or sign=False).
    """
    watches: list[ConsoleWatch] = []
    contexts = []

    async def _open(
        *,
        color_scheme: str = "light",
        sign: bool = True,
        user: tuple[str, str] | None = None,
        locale: str = LOCALE,
        timezone_id: str | None = None,
    ) -> Page:
        context = await browser.new_context(
            viewport=VIEWPORT,  # type: ignore[arg-type]
            color_scheme=color_scheme,  # type: ignore[arg-type]
            locale=locale,
            timezone_id=timezone_id,
        )
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(10_000)
        watch = ConsoleWatch(page, f"page {len(watches) + 1}")
        watches.append(watch)
        page.console_watch = watch  # type: ignore[attr-defined]
        if sign:
            await sign_in(page, live_server, user)
        return page

    yield _open
    for context in contexts:
        await context.close()
    errors = [error for watch in watches for error in watch.unexpected()]
    assert not errors, "the browser logged errors:\n" + "\n".join(errors)

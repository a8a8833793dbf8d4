"""Helpers for the browser tests: signing in, setting up the board, waiting for the server."""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.async_api import Locator, Page

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"


async def shoot_dialog(page: Page, name: str) -> None:
    """The open dialog alone, as it opens (folded, at the top), saved as an artifact; with
    METRONOME_UPDATE_DOCS_SCREENSHOT=1 also into docs/, where the docs show it."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialog = page.get_by_role("dialog")
    await dialog.evaluate(
        "d => { d.querySelectorAll('details').forEach(x => { x.open = false; });"
        " d.querySelectorAll('form').forEach(f => { f.scrollTop = 0; }); }"
    )
    await page.wait_for_timeout(200)
    path = SHOTS / f"{name}.png"
    await dialog.screenshot(path=str(path))
    if os.environ.get("METRONOME_UPDATE_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(path, ROOT / "docs" / f"{name}.png")


async def resolve(value: Any) -> Any:
    """The live server's methods may be plain or async; take either."""
    return await value if inspect.isawaitable(value) else value


async def sign_in(page: Page, server: Any, user: tuple[str, str] | None = None) -> None:
    """Sign in through the login form, as a person would, and wait for the board."""
    email, password = user or (server.admin_email, server.admin_password)
    await page.goto(server.url + "/")
    await page.wait_for_url("**/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_url(server.url + "/")
    await page.wait_for_selector("#board:not([aria-busy])")


def column(page: Page, platform_id: int) -> Locator:
    return page.locator(f'[data-platform-id="{platform_id}"]')


def card(page: Page, snippet_id: int) -> Locator:
    return page.locator(f'[data-snippet-id="{snippet_id}"]')


async def dom_queue(page: Page, platform_id: int, cards: str = "[data-snippet-id]") -> list[int]:
    """The ids of the column's cards (those ``cards`` selects), in the order the page shows them."""
    ids = (
        await column(page, platform_id)
        .locator(cards)
        .evaluate_all("els => els.map(el => Number(el.dataset.snippetId))")
    )
    return list(ids)


async def eventually(
    check: Callable[[], Any], *, within: float = 5.0, what: str = "condition"
) -> Any:
    """Poll `check` (plain or async) until it returns something truthy, for `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = await resolve(check())
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.05)


class Board:
    """Sets the board up through the server's commands, as the admin."""

    def __init__(self, server: Any) -> None:
        self.server = server

    async def command(self, op: str, **args: Any) -> dict[str, Any]:
        return dict(await resolve(self.server.command(op, args)) or {})

    async def state(self) -> dict[str, Any]:
        return dict(await resolve(self.server.state()))

    async def column(
        self,
        name: str,
        *,
        kind: str = "log",
        interval_s: int = 3600,
        paused: bool = True,
        **extra: Any,
    ) -> int:
        """A new column; paused by default, so no card leaves it while the test runs."""
        platform_id = int(
            (
                await self.command(
                    "platform.create",
                    kind=kind,
                    name=name,
                    interval_s=interval_s,
                    **{"settings": {}, **extra},
                )
            )["id"]
        )
        if paused:
            await self.command("platform.pause", id=platform_id)
        return platform_id

    async def cards(self, platform_id: int, *bodies: str) -> list[int]:
        ids = []
        for body in bodies:
            slug = "-".join(re.findall(r"[a-z0-9]+", body.lower())[:5])
            result = await self.command(
                "snippet.create",
                platform_id=platform_id,
                body=body,
                url=f"https://news.example.org/2026/11/{slug}",
            )
            ids.append(int(result["id"]))
        return ids

    async def queue(self, platform_id: int) -> list[int]:
        """The column's pending cards in queue order, as the server has them."""
        snippets = (await self.state())["snippets"].values()
        pending = [
            s for s in snippets if s["platform_id"] == platform_id and s["status"] == "pending"
        ]
        return [s["id"] for s in sorted(pending, key=lambda s: s["ord"])]

    async def snippet(self, snippet_id: int) -> dict[str, Any] | None:
        return (await self.state())["snippets"].get(str(snippet_id))

    async def platform(self, platform_id: int) -> dict[str, Any]:
        return dict((await self.state())["platforms"][str(platform_id)])

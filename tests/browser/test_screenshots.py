"""The board at 1280×800 with six columns, light and dark: readable, and saved as artifacts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.browser.helpers import column

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
README_SHOT = ROOT / "docs" / "board.png"

STORIES = [
    "Parliament passes the budget after a 14-hour debate; the opposition walked out before the vote.",
    "Storm warning for the coast tonight. Ferries are cancelled until Sunday morning.",
    "Interview: the new museum director on why the collection goes online first.",
    "Five charts that explain this winter's energy prices",
    "Football: a late equaliser keeps the title race open",
    "Opinion: the city needs fewer parking spaces, not more",
    "Weather: a sunny weekend ahead, up to 24 °C in the south",
]


# The networks' columns point at a closed local port and are not watched: pausing stops the
# poster, not the watcher or the token keeper, and neither may reach the internet (or stop a
# column over a made-up token) while the picture is taken. A keeper's check that cannot connect
# only logs and tries later: the columns look as an editor's do.
NOWHERE = "http://127.0.0.1:9"
QUIET = {"api_base": NOWHERE, "watch": False}


async def _newsroom(board) -> list[int]:
    """Six columns like a newsroom's: networks paused (nothing leaves), a live feed, drafts."""
    columns = [
        await board.column(
            "Telegram @citynews",
            kind="telegram",
            interval_s=1800,
            settings={"chat_id": "@citynews", **QUIET},
            secrets={"bot_token": "123456789:AAFakeTokenForScreenshots_abcdefghij"},
        ),
        await board.column(
            "X @citynews",
            kind="x",
            interval_s=600,
            settings=QUIET,
            secrets={"access_token": "unused"},
        ),
        await board.column(
            "Facebook page",
            kind="facebook",
            interval_s=3600,
            settings={"page_id": "1234567890", **QUIET},
            secrets={"access_token": "unused"},
        ),
        await board.column(
            "VK community",
            kind="vk",
            interval_s=1800,
            settings={"group_id": 12345, **QUIET},
            secrets={"access_token": "unused"},
        ),
        await board.column("Site feed", kind="log", interval_s=1800, paused=False),
        await board.column("Drafts", kind="drafts", paused=False),
    ]
    for n, platform in enumerate(columns):
        bodies = [STORIES[(n * 2 + i) % len(STORIES)] for i in range(3 + n % 2)]
        ids = await board.cards(platform, *bodies)
        if n == 4:
            await board.command(
                "marker.create", platform_id=platform, interval_s=3600, after_id=ids[1]
            )
    return columns


async def test_six_columns_fit_1280x800_light_and_dark(open_page, board):
    """Every column's first card is on screen without scrolling, in light and dark mode."""
    columns = await _newsroom(board)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page = await open_page(color_scheme=scheme)
        for platform in columns:
            first = column(page, platform).locator("[data-snippet-id]").first
            await first.wait_for()
            box = await first.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, (
                f"column {platform} is off screen"
            )
            assert box["y"] + box["height"] <= 800, (
                f"the first card of column {platform} is below the fold"
            )
        overflow = await page.evaluate(
            "() => { const b = document.getElementById('board'); return b.scrollWidth - b.clientWidth; }"
        )
        assert overflow <= 0, "six columns must fit 1280 px without sideways scrolling"
        await page.wait_for_timeout(300)
        await page.screenshot(path=str(SHOTS / f"board-{scheme}.png"))
    for platform in columns:
        shown = await board.platform(platform)
        assert shown["status"] != "auth_rejected" and not shown.get("watch_error"), shown
    # The README's picture is a tracked file: refreshed only on request, never as a side effect.
    if os.environ.get("METRONOME_UPDATE_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(SHOTS / "board-light.png", README_SHOT)


async def test_more_columns_scroll_sideways(open_page, board):
    """Beyond six, columns keep their width and the board scrolls sideways."""
    for n in range(8):
        await board.column(f"Feed {n + 1}", kind="drafts", paused=False)
    page = await open_page()
    widths = await page.locator("[data-platform-id]").evaluate_all(
        "els => els.map(el => el.getBoundingClientRect().width)"
    )
    assert len(widths) == 8 and min(widths) >= 200
    overflow = await page.evaluate(
        "() => { const b = document.getElementById('board'); return b.scrollWidth - b.clientWidth; }"
    )
    assert overflow > 0

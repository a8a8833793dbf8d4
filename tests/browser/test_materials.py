"""The materials panel: search, drag a material into a column, add one by keyboard, AI drafts, feeds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.browser.helpers import card, column, dom_queue, eventually
from tests.fakes.openai import FakeOpenAI
from tests.fakes.server import ThreadedServer
from tests.live import LiveServer, serving
from tests.support import PASSWORD, make_user

ELECTIONS = {
    "external_id": "cms-101",
    "url": "https://news.example.org/2026/11/election-results",
    "title": "Итоги выборов в регионах",
    "lead": "Явка оказалась выше, чем пять лет назад.",
    "social_text": "Выборы: подсчёт голосов закончен, вот итоги по регионам",
    "section": "politics",
    "published_at": "2026-11-22T09:00:00Z",
}
STORM = {
    "external_id": "cms-102",
    "url": "https://news.example.org/2026/11/storm-warning",
    "title": "Storm warning for the coast tonight",
    "section": "weather",
    "published_at": "2026-11-22T10:00:00Z",
}
MUSEUM = {
    "external_id": "cms-103",
    "url": "https://news.example.org/2026/11/museum",
    "title": "The new museum director on putting the collection online",
    "section": "culture",
    "social_text": "Interview: why the museum goes online first",
    "published_at": "2026-11-22T08:00:00Z",
}
DRAFTS = ["Первый вариант текста", "Второй вариант, подлиннее", "Третий вариант"]


def post_materials(server: LiveServer, *items: dict[str, Any]) -> list[int]:
    """Materials as the CMS sends them (here with the admin's session)."""
    response = httpx.post(
        server.url + "/api/materials",
        content=orjson.dumps(list(items)),
        headers={"Content-Type": "application/json", "Origin": server.url},
        cookies={"metronome_session": server.cookie()},
        timeout=10,
    )
    response.raise_for_status()
    return [int(item["id"]) for item in response.json()["items"]]


async def edit(page, snippet_id: int) -> None:
    await card(page, snippet_id).hover()
    await card(page, snippet_id).get_by_role("button", name="Edit").click()


def material(page, material_id: int):
    return page.locator(f'#materials [data-material-id="{material_id}"]')


async def shown_materials(page) -> list[int]:
    ids = await page.locator("#materials [data-material-id]").evaluate_all(
        "els => els.map(el => Number(el.dataset.materialId))"
    )
    return list(ids)


def sent_ops(frames: list[Any], op: str) -> list[dict[str, Any]]:
    out = []
    for frame in frames:
        try:
            data = orjson.loads(frame if isinstance(frame, str | bytes) else str(frame))
        except orjson.JSONDecodeError:
            continue
        if isinstance(data, dict) and data.get("op") == op:
            out.append(data)
    return out


async def watched_page(open_page, **kwargs):
    """A signed-in page whose WebSocket frames (sent) are recorded from the socket's start."""
    page = await open_page(**kwargs)
    sent: list[Any] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    await page.reload()
    await page.wait_for_selector("#board:not([aria-busy])")
    await page.wait_for_selector('#live-indicator[data-state="open"]')
    return page, sent


async def open_panel(page) -> None:
    if await page.locator("#materials").is_hidden():
        await page.click("#materials-toggle")
    await page.locator("#materials .materials-search").wait_for()


# A `metronome serve` whose AI drafts go to a local OpenAI-protocol server, for the tests
# that ask for the `fake_openai` fixture; the others get the ordinary live server.
@pytest.fixture
def fake_openai() -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI(content=orjson.dumps({"texts": DRAFTS}).decode())
    with ThreadedServer(fake.app()) as server:
        yield fake, server.url


@pytest.fixture
def live_server(
    request: pytest.FixtureRequest, pg_server: str, template_db: str
) -> Iterator[LiveServer]:
    env = {}
    if "fake_openai" in request.fixturenames:
        _, url = request.getfixturevalue("fake_openai")
        env = {
            "METRONOME_OPENAI_API_KEY": "sk-browser-test",
            "METRONOME_OPENAI_BASE_URL": f"{url}/v1",
            "METRONOME_OPENAI_MODEL": "newsroom-mini",
            "METRONOME_OPENAI_TIMEOUT_S": "5",
        }
    with serving(pg_server, template_db, env) as server:
        yield server


async def test_search_then_drag_a_material_between_two_cards(open_page, board, live_server):
    """Typing searches (word forms, a prefix); the dropped material is one snippet.create, prefilled, there."""
    platform = await board.column("Site feed")
    a, b = await board.cards(platform, "Alpha", "Bravo")
    elections, storm, museum = post_materials(live_server, ELECTIONS, STORM, MUSEUM)
    page, sent = await watched_page(open_page)
    await open_panel(page)
    # An empty box lists the newest materials from the state.
    await eventually(
        lambda: _shown_is(page, [storm, elections, museum]), what="the newest materials"
    )

    await page.fill("#materials .materials-search", "выбо")  # a prefix of «выборов»
    await eventually(lambda: _shown_is(page, [elections]), what="the search results")
    searches = sent_ops(sent, "materials.search")
    assert searches and searches[-1]["args"]["q"] == "выбо"
    assert len(searches) <= 2, "typing is debounced: one search per pause, not one per letter"
    await page.fill("#materials .materials-search", "выборы итоги")  # other word forms
    await eventually(lambda: _shown_is(page, [elections]), what="word forms found")
    assert "1 found" in await page.locator("#materials .materials-status").text_content()

    target = card(page, b)
    await page.drag_and_drop(
        f'#materials [data-material-id="{elections}"]',
        f'[data-snippet-id="{b}"]',
        target_position={"x": 40, "y": 5},
    )  # the upper half of Bravo
    queue = await eventually(
        lambda: _queue_of_length(board, platform, 3), what="the new card on the server"
    )
    new = queue[1]
    assert queue == [a, new, b], "the card lands where it was dropped: between Alpha and Bravo"
    snippet = await board.snippet(new)
    assert snippet["body"] == ELECTIONS["social_text"]
    assert snippet["url"] == ELECTIONS["url"]
    assert snippet["material_id"] == elections
    creates = sent_ops(sent, "snippet.create")
    assert len(creates) == 1, creates
    assert creates[0]["args"] == {"platform_id": platform, "material_id": elections, "after_id": a}

    await eventually(lambda: _dom_is(page, platform, [a, new, b]), what="the card on the page")
    shown = card(page, new)
    assert await shown.locator(".card-body").text_content() == ELECTIONS["social_text"]
    assert await shown.locator(".card-link").text_content() == ELECTIONS["title"]
    assert await target.is_visible()
    # The material now says where it is queued.
    await material(page, elections).locator(".material-used .used").first.wait_for()


async def test_drag_to_the_top_and_the_end_of_a_column(open_page, board, live_server):
    """Over the first card's upper half is the top (after_id null); below the last card, the end."""
    left = await board.column("Site feed")
    right = await board.column("Drafts", kind="drafts", paused=False)
    (a,) = await board.cards(left, "Alpha")
    (x,) = await board.cards(right, "X-ray")
    _, storm, museum = post_materials(live_server, ELECTIONS, STORM, MUSEUM)
    page, sent = await watched_page(open_page)
    await open_panel(page)
    await material(page, storm).wait_for()

    await page.drag_and_drop(
        f'#materials [data-material-id="{storm}"]',
        f'[data-snippet-id="{a}"]',
        target_position={"x": 40, "y": 4},
    )
    queue = await eventually(lambda: _queue_of_length(board, left, 2), what="the card on top")
    assert queue[1] == a
    assert (await board.snippet(queue[0]))["body"] == STORM["title"], "no social_text: the title"

    body = column(page, right).locator(".column-body")
    box = await body.bounding_box()
    await page.drag_and_drop(
        f'#materials [data-material-id="{museum}"]',
        f'[data-platform-id="{right}"] .column-body',
        target_position={"x": box["width"] / 2, "y": box["height"] - 20},
    )
    queue = await eventually(lambda: _queue_of_length(board, right, 2), what="the card at the end")
    assert queue[0] == x
    creates = sent_ops(sent, "snippet.create")
    assert [c["args"].get("after_id", "absent") for c in creates] == [None, "absent"]
    await eventually(lambda: _dom_is(page, right, queue), what="the page showing it")


async def test_keyboard_adds_a_material_and_a_duplicate_is_flagged(open_page, board, live_server):
    """Enter on a focused material asks for a column; the same link twice warns, it is not refused."""
    platform = await board.column("Site feed")
    (a,) = await board.cards(platform, "Alpha")
    (museum,) = post_materials(live_server, MUSEUM)
    page = await open_page()
    await page.keyboard.press("/")  # opens the panel with the cursor in the search box
    await eventually(
        lambda: page.evaluate("() => document.activeElement.matches('.materials-search')"),
        what="the search box focused",
    )
    await page.keyboard.press("ArrowDown")
    assert await page.evaluate("() => document.activeElement.dataset.materialId") == str(museum)

    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Add to a column")
    await dialog.get_by_label("Column").select_option(str(platform))
    await dialog.get_by_label("On top").check()
    await dialog.get_by_role("button", name="Add card").click()
    queue = await eventually(lambda: _queue_of_length(board, platform, 2), what="the card on top")
    assert queue[1] == a
    first = queue[0]
    assert (await board.snippet(first))["body"] == MUSEUM["social_text"]
    # Focus comes back to the material, ready for the next column.
    assert await page.evaluate("() => document.activeElement.dataset.materialId") == str(museum)

    # The same material again, at the end this time: a toast and a warning on the card.
    await page.keyboard.press("Enter")
    await dialog.get_by_role("button", name="Add card").click()
    queue = await eventually(lambda: _queue_of_length(board, platform, 3), what="the second card")
    second = queue[2]
    await page.locator(".toast", has_text="already").wait_for()
    assert (await board.snippet(second))["meta"]["duplicate"]["snippet_id"] == first
    await card(page, second).locator(".note-warn").wait_for()


async def test_materials_arrive_live_and_the_panel_keeps_the_layout(open_page, board, live_server):
    """A material the CMS sends shows at once; with the panel open the columns keep their width."""
    for n in range(6):
        await board.column(f"Feed {n + 1}", kind="drafts", paused=False)
    page = await open_page()
    await open_panel(page)
    await page.locator("#materials .materials-status", has_text="No materials yet").wait_for()
    (storm,) = post_materials(live_server, STORM)
    await material(page, storm).wait_for(timeout=2000)
    assert await material(page, storm).locator(".material-title").text_content() == STORM["title"]
    widths = await page.locator("[data-platform-id]").evaluate_all(
        "els => els.map(el => el.getBoundingClientRect().width)"
    )
    assert len(widths) == 6 and min(widths) >= 200
    height = await page.evaluate("() => document.documentElement.scrollHeight")
    assert height <= 800, "the page itself never scrolls"
    # Closed again, the six columns fit 1280 px as before; the choice survives a reload.
    await page.click("#materials-toggle")
    overflow = await page.evaluate(
        "() => { const b = document.getElementById('board'); return b.scrollWidth - b.clientWidth; }"
    )
    assert overflow <= 0
    await page.reload()
    await page.wait_for_selector("#board:not([aria-busy])")
    assert await page.locator("#materials").is_hidden()


async def test_a_viewer_searches_but_cannot_add(open_page, board, live_server):
    """Viewers may search; their materials are not draggable and have no Add button."""
    await board.column("Site feed")
    (storm,) = post_materials(live_server, STORM)
    email = await make_user(live_server.database_url, "viewer")
    page = await open_page(user=(email, PASSWORD))
    await open_panel(page)
    await material(page, storm).wait_for()
    assert await material(page, storm).get_attribute("draggable") is None
    assert (
        await material(page, storm)
        .get_by_role("button", name="Add to a column… (Enter)")
        .is_hidden()
    )


async def test_suggest_puts_an_ai_draft_in_the_editor(open_page, board, live_server, fake_openai):
    """Suggest shows the model's drafts; picking one fills the editor, Save stores it; errors show."""
    fake, _ = fake_openai
    platform = await board.column("Site feed")
    (a,) = await board.cards(platform, "Alpha")
    page = await open_page()
    await edit(page, a)
    editor = card(page, a).locator("form.card-form")
    suggest = editor.get_by_role("button", name="Suggest")
    await suggest.click()
    options = editor.locator(".suggestion")
    await options.nth(2).wait_for()
    assert await options.all_text_contents() == DRAFTS
    assert fake.requests and fake.requests[-1]["model"] == "newsroom-mini"
    await options.nth(1).click()
    assert await editor.locator("textarea").input_value() == DRAFTS[1]
    await editor.get_by_role("button", name="Save").click()
    await eventually(lambda: _body_is(board, a, DRAFTS[1]), what="the draft saved")

    fake.mode = "error"
    await edit(page, a)
    await editor.get_by_role("button", name="Suggest").click()
    await editor.locator(".suggest-note.is-error", has_text="HTTP 500").wait_for()
    assert await editor.locator("textarea").input_value() == DRAFTS[1], (
        "an error leaves the text alone"
    )


async def test_an_ai_draft_from_the_panel_waits_for_approval(
    open_page, board, live_server, fake_openai
):
    """ "Let the AI write the text" in the add dialog: snippet.draft puts a card with the model's
    first text where asked, marked as written by the AI and waiting for approval (CONTRACT §12)."""
    platform = await board.column("Site feed")
    (a,) = await board.cards(platform, "Alpha")
    post_materials(live_server, MUSEUM)
    page = await open_page()
    await open_panel(page)
    await page.locator("#materials .material").first.focus()
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Add to a column")
    await dialog.get_by_label("Column").select_option(str(platform))
    await dialog.get_by_label("On top").check()
    await dialog.get_by_label("Let the AI write the text").check()
    await dialog.get_by_role("button", name="Add card").click()
    queue = await eventually(lambda: _queue_of_length(board, platform, 2), what="the AI's card")
    drafted = await board.snippet(queue[0])
    assert queue[1] == a and drafted["body"] == DRAFTS[0]
    assert drafted["approval"] == "pending" and drafted["meta"]["drafted_by"] == "newsroom-mini"
    await card(page, queue[0]).get_by_text("Written by the AI").wait_for()
    await card(page, queue[0]).get_by_role("button", name="Approve").wait_for()


async def test_suggest_is_off_without_a_key(open_page, board, live_server):
    """Without METRONOME_OPENAI_API_KEY the button is disabled and says why."""
    platform = await board.column("Site feed")
    (a,) = await board.cards(platform, "Alpha")
    page = await open_page()
    await edit(page, a)
    suggest = card(page, a).locator(".suggest-button")
    await eventually(lambda: suggest.is_disabled(), what="the button turned off")
    assert await suggest.get_attribute("title") == "AI drafts are off"


async def test_feeds_dialog_shows_a_failing_feed_and_polls_it(open_page, board, live_server):
    """The Feeds dialog lists each source with its health; "Poll now" sends feed.poll."""
    await board.column("Site feed")
    feed = int(
        (
            await board.command(
                "feed.create", url="http://127.0.0.1:9/rss.xml", interval_s=900, title="Closed port"
            )
        )["id"]
    )
    page, sent = await watched_page(open_page)
    await open_panel(page)
    await page.locator("#materials").get_by_role("button", name="Feeds").click()
    row = page.locator(f'[data-feed-id="{feed}"]')
    await row.locator(".badge", has_text="Failing").wait_for(timeout=15_000)
    await row.get_by_role("button", name="Poll now").click()
    await page.locator(".toast", has_text="Polling the feed now").wait_for()
    assert [c["args"] for c in sent_ops(sent, "feed.poll")] == [{"id": feed}]


async def _shown_is(page, expected: list[int]) -> bool:
    return await shown_materials(page) == expected


async def _dom_is(page, platform: int, expected: list[int]) -> bool:
    return await dom_queue(page, platform) == expected


async def _queue_of_length(board, platform: int, n: int) -> list[int] | None:
    queue = await board.queue(platform)
    return queue if len(queue) == n else None


async def _body_is(board, snippet_id: int, body: str) -> bool:
    return (await board.snippet(snippet_id))["body"] == body


async def test_screenshots_of_the_panel_and_drafts(open_page, board, live_server, fake_openai):
    """The panel open beside the board with an AI draft picked, light and dark (saved as artifacts)."""
    shots = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"  # noqa: ASYNC240 (a test, once)
    shots.mkdir(parents=True, exist_ok=True)
    telegram = await board.column("Telegram @citynews", kind="drafts", paused=False)
    site = await board.column("Site feed", interval_s=1800)
    await board.column("Night feed", interval_s=600)
    ids = post_materials(
        live_server,
        ELECTIONS,
        STORM,
        MUSEUM,
        {
            "external_id": "cms-104",
            "url": "https://news.example.org/2026/11/budget",
            "title": "Parliament passes the budget after a 14-hour debate",
            "section": "politics",
            "lead": "The opposition walked out before the vote.",
            "image_url": "https://news.example.org/i/1.jpg",
            "published_at": "2026-11-22T11:00:00Z",
        },
    )
    await board.command("snippet.create", platform_id=site, material_id=ids[0])
    (a,) = await board.cards(
        telegram, "Storm warning for the coast tonight. Ferries are cancelled."
    )
    for scheme in ("light", "dark"):
        page = await open_page(color_scheme=scheme)
        await open_panel(page)
        await material(page, ids[3]).wait_for()
        await edit(page, a)
        await card(page, a).get_by_role("button", name="Suggest").click()
        await card(page, a).locator(".suggestion").nth(2).wait_for()
        await card(page, a).locator(".suggestion").nth(0).click()
        await page.mouse.move(640, 780)
        await page.wait_for_timeout(300)
        await page.screenshot(path=str(shots / f"materials-{scheme}.png"))

"""Breaking news in the page: one dialog publishes a story to five columns and holds the rest
in five actions; every editor sees the hold's banner within a second and may release it;
per-network texts and counters; "don't publish after…" and expired cards in the history."""

from __future__ import annotations

import time

from tests.browser.helpers import card, column, eventually
from tests.browser.test_materials import STORM, post_materials
from tests.support import PASSWORD, make_user

STORY = "Breaking: the river has burst its banks in the city centre"


async def pending(board, platform_id: int) -> list[dict]:
    snippets = (await board.state())["snippets"].values()
    return [s for s in snippets if s["platform_id"] == platform_id and s["status"] == "pending"]


async def test_breaking_to_five_columns_and_hold_the_rest_in_five_actions(
    open_page, board, live_server
):
    """B, the text, "Hold the rest", Publish…, Confirm: five actions. Each column's card is
    sent (shown live in the dialog), the scheduled cards wait, a second editor's page shows
    the banner within a second, held columns look held, and Release on that page ends it."""
    columns = [
        await board.column(f"Desk {n}", kind="log", interval_s=3600, paused=False) for n in range(5)
    ]
    for platform in columns:  # the first goes at once; the ones after wait an hour
        (first,) = await board.cards(platform, f"Earlier news {platform}")
        await eventually(
            lambda first=first: _status(board, first, "sent"), within=10, what="a first send"
        )
    scheduled = [(await board.cards(platform, f"Scheduled {platform}"))[0] for platform in columns]
    email = await make_user(live_server.database_url, "editor")
    second = await open_page(user=(email, PASSWORD))
    page = await open_page()
    await card(page, scheduled[0]).wait_for()

    await page.keyboard.press("b")  # 1
    dialog = page.get_by_role("dialog", name="Breaking news")
    await dialog.get_by_label("Text", exact=True).fill(STORY)  # 2
    await dialog.get_by_label("Hold the rest").check()  # 3
    await dialog.get_by_role("button", name="Publish…").click()  # 4
    await dialog.get_by_role("button", name="Publish now").click()  # 5
    confirmed = time.monotonic()

    banner = second.locator("#holds-banner .hold")
    await banner.wait_for(timeout=1000)
    assert time.monotonic() - confirmed < 1.0
    assert "Breaking: the river has burst its banks" in await banner.inner_text()
    assert "admin@example.org" in await banner.inner_text()
    rows = dialog.locator(".outcome")
    assert await rows.count() == 5
    for n in range(5):
        await rows.nth(n).and_(page.locator('[data-status="sent"]')).wait_for(timeout=10_000)
    state = await board.state()
    breaking = [s for s in state["snippets"].values() if s["body"] == STORY]
    assert sorted(s["platform_id"] for s in breaking) == sorted(columns)
    assert {s["status"] for s in breaking} == {"sent"}
    (hold,) = state["holds"].values()
    assert sorted(hold["platform_ids"]) == sorted(columns)
    for platform, sid in zip(columns, scheduled, strict=True):
        assert [s["id"] for s in await pending(board, platform)] == [sid]
        assert "eta" not in state["snippets"][str(sid)]
        assert "is-held" in (await column(second, platform).get_attribute("class") or "")
    await dialog.get_by_role("button", name="Close").click()

    await second.locator("#holds-banner").get_by_role("button", name="Release").click()
    await page.locator("#holds-banner").wait_for(state="hidden", timeout=2000)
    await second.locator("#holds-banner").wait_for(state="hidden", timeout=2000)
    state = await board.state()
    assert state["holds"] == {}
    assert all("eta" in state["snippets"][str(sid)] for sid in scheduled)
    assert "is-held" not in (await column(page, columns[0]).get_attribute("class") or "")


async def _status(board, snippet_id, status):
    snippet = await board.snippet(snippet_id)
    return snippet and snippet["status"] == status


async def test_per_network_texts_counters_and_a_material(open_page, board, live_server):
    """Starting from a material fills the text and link; a text too long for Mastodon is
    refused in the dialog until Mastodon gets its own text; "top of the queue" puts each
    column's text first in its queue."""
    log = await board.column("Site", kind="log", interval_s=3600)
    masto = await board.column(
        "Mastodon",
        kind="mastodon",
        interval_s=3600,
        settings={"instance_url": "http://127.0.0.1:9"},
        secrets={"access_token": "token-for-the-test"},
    )
    post_materials(live_server, {**STORM, "social_text": "Storm: " + "w" * 600})
    page = await open_page()
    await page.get_by_role("button", name="Breaking news").click()
    dialog = page.get_by_role("dialog", name="Breaking news")
    # Paused columns are not ticked at first: tick the two by hand.
    for name in ("Site", "Mastodon"):
        await dialog.get_by_role("checkbox", name=name, exact=True).check()
    await dialog.get_by_label("Start from a material (search)").fill("storm")
    await dialog.get_by_role("listitem").filter(has_text=STORM["title"]).click()
    assert (await dialog.get_by_label("Text", exact=True).input_value()).startswith("Storm: www")
    assert await dialog.get_by_label("Link").input_value() == STORM["url"]
    assert "Mastodon 607 / 500" in await dialog.locator(".counters").inner_text()
    await dialog.get_by_role("button", name="Publish…").click()
    assert "Too long for Mastodon" in await dialog.get_by_role("alert").inner_text()
    await dialog.get_by_text("Per-network texts").click()
    await dialog.get_by_label("Text for Mastodon").fill("Storm tonight: stay off the coast")
    await dialog.get_by_label("Top of the queue").check()
    await dialog.get_by_role("button", name="Publish…").click()
    await dialog.get_by_role("button", name="Top of the queue").click()
    await dialog.locator(".outcome").first.wait_for()
    (site,) = await pending(board, log)
    (toot,) = await pending(board, masto)
    assert site["body"].startswith("Storm: www") and site["url"] == STORM["url"]
    assert toot["body"] == "Storm tonight: stay off the coast"
    assert site["material_id"] == toot["material_id"] is not None


async def test_dont_publish_after_and_expired_cards(open_page, board):
    """The card editor's "don't publish after…" sets the card's expiry; a card whose expiry
    passes shows as Expired in the history, and "Put back" returns it to the queue."""
    platform = await board.column("Night desk", kind="log", interval_s=3600)
    (sid,) = await board.cards(platform, "Live: the count goes on")
    page = await open_page()
    await card(page, sid).hover()
    await card(page, sid).get_by_role("button", name="Edit").click()
    await card(page, sid).get_by_label("Don't publish after").select_option(label="3 h from now")
    saved_at = time.time()
    await card(page, sid).get_by_role("button", name="Save").click()
    snippet = await eventually(lambda: _with_expiry(board, sid), what="the card's expires_at")
    expires = _epoch(snippet["expires_at"])
    assert abs(expires - (saved_at + 3 * 3600)) < 10
    await card(page, sid).get_by_text("Not after").wait_for()

    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3))
    (doomed,) = await board.cards(platform, "Stale by morning")
    await board.command("snippet.update", id=doomed, version=1, expires_at=soon)
    expired = page.locator(f'[data-history-id="{doomed}"][data-status="expired"]')
    await expired.wait_for(state="attached", timeout=10_000)
    await column(page, platform).locator("details.history > summary").click()
    assert "Expired" in await expired.inner_text()
    await expired.get_by_role("button", name="Put back").click()
    await card(page, doomed).wait_for(timeout=5000)
    assert "expires_at" not in (await board.snippet(doomed))


async def _with_expiry(board, sid):
    snippet = await board.snippet(sid)
    return snippet if snippet and snippet.get("expires_at") else None


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()

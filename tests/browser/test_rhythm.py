"""A column's rhythm in the page: the header says it in words, a card a quiet window moved says
so, and the rhythm dialog previews the next ten slots live as the rules are typed — the
server's own walk, so saving gives the cards exactly the previewed times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.browser.helpers import card, column, eventually


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def test_the_rhythm_dialog_previews_the_next_ten_slots(open_page, board):
    """Quiet hours around now hold the queue until they end; adding a two-hourly rule spaces the
    preview's slots two hours apart at once; an unknown zone is refused naming the field; Save
    gives the cards the previewed slots and the header the rhythm in words."""
    now = datetime.now(UTC)
    quiet = {"from": f"{now - timedelta(hours=1):%H:%M}", "to": f"{now + timedelta(hours=1):%H:%M}"}
    # The window ends at its `to`: the first slot of the column (it never sent) is then.
    end = now.replace(second=0, microsecond=0) + timedelta(hours=1)
    desk = await board.column(
        "Desk", interval_s=3600, paused=False, settings={"timezone": "UTC", "quiet": [quiet]}
    )
    first, second = await board.cards(desk, "Storm reaches the coast", "Trains cancelled")
    page = await open_page()

    note = card(page, first).locator(".note-quiet")
    await note.wait_for()
    assert "After quiet hours" in await note.inner_text()
    assert await card(page, second).locator(".note-quiet").count() == 0
    words = column(page, desk).locator(".column-rhythm")
    assert f"quiet {quiet['from']}–{quiet['to']}" in await words.inner_text()

    await column(page, desk).get_by_role("button", name="Rhythm and quiet hours").click()
    dialog = page.get_by_role("dialog", name="Rhythm of Desk")
    slots = dialog.locator(".rhythm-slot")

    async def previewed(expected: list[str]) -> bool:
        return await slots.evaluate_all("els => els.map(el => el.dataset.at)") == expected

    hourly = [iso(end + timedelta(hours=n)) for n in range(10)]
    await eventually(lambda: previewed(hourly), what="the preview of the column as it is")
    assert await slots.nth(0).locator(".rhythm-slot-quiet").count() == 1
    assert "Storm reaches the coast" in await slots.nth(0).inner_text()
    assert "Trains cancelled" in await slots.nth(1).inner_text()
    assert "+60 min" in await slots.nth(1).inner_text()

    await dialog.get_by_role("button", name="Add a rule").click()
    await dialog.get_by_label("Rule 1 interval").fill("2")
    await dialog.get_by_label("Rule 1 unit").select_option(label="h")
    two_hourly = [iso(end + timedelta(hours=2 * n)) for n in range(10)]
    await eventually(lambda: previewed(two_hourly), what="the preview of a two-hourly rule")
    assert "+2 h" in await slots.nth(1).inner_text()

    zone = dialog.get_by_label("Time zone")
    await zone.fill("Mars/Olympus_Mons")
    error = dialog.locator(".form-error")
    await error.wait_for()
    assert "settings.timezone" in await error.inner_text()
    assert await zone.get_attribute("aria-invalid") == "true"
    await eventually(lambda: previewed([]), what="no preview while the zone is unknown")
    await zone.fill("UTC")
    await eventually(lambda: previewed(two_hourly), what="the preview back")
    assert await error.is_hidden()

    await dialog.get_by_role("button", name="Save").click()
    await dialog.wait_for(state="detached")
    await eventually(
        lambda: _etas(board, first, second, two_hourly[:2]), what="the cards at the previewed slots"
    )
    platform = await board.platform(desk)
    assert platform["settings"]["rhythm"] == [{"from": "07:00", "interval_s": 7200}]
    assert platform["settings"]["quiet"] == [quiet]
    await eventually(lambda: _says(words, "every 2 h"), what="the header's words")


async def _etas(board, first: int, second: int, expected: list[str]) -> bool:
    etas = [(await board.snippet(sid) or {}).get("eta") for sid in (first, second)]
    return etas == expected


async def _says(locator, text: str) -> bool:
    return text in await locator.inner_text()


async def test_the_rhythm_in_words(open_page, live_server):
    """The header's words (rhythmwords.js, run in the page) and the interval in force now."""
    page = await open_page(sign=False)
    await page.goto(live_server.url + "/login")
    result = await page.evaluate(
        """async () => {
            const { describeRhythm, intervalNow } = await import("/static/js/rhythmwords.js");
            const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
            const day = [{ from: "07:00", interval_s: 1800 }, { from: "23:00", interval_s: 3600 }];
            const riga = { timezone: "Europe/Riga", rhythm: day };
            const at = (iso) => Date.parse(iso);
            return {
                sample: describeRhythm({ timezone: here, rhythm: [...day].reverse(),
                    quiet: [{ from: "02:00", to: "06:00" }] }),
                weekends: describeRhythm({ timezone: here, rhythm: [...day,
                    { from: "00:00", interval_s: 3600, days: ["sun", "sat"] }] }),
                elsewhere: describeRhythm(riga),
                none: describeRhythm({ timezone: "Asia/Tokyo" }),
                // 2026-11-22 (a Sunday) in Riga, two hours ahead of UTC.
                morning: intervalNow({ interval_s: 600, settings: riga }, at("2026-11-22T05:30:00Z")),
                night: intervalNow({ interval_s: 600, settings: riga }, at("2026-11-22T04:30:00Z")),
                late: intervalNow({ interval_s: 600, settings: riga }, at("2026-11-22T21:30:00Z")),
                override: intervalNow({ interval_s: 600, settings: riga,
                    interval_until: "2026-11-22T06:00:00Z" }, at("2026-11-22T05:30:00Z")),
                ended: intervalNow({ interval_s: 600, settings: riga,
                    interval_until: "2026-11-22T05:00:00Z" }, at("2026-11-22T05:30:00Z")),
                plain: intervalNow({ interval_s: 600, settings: {} }, at("2026-11-22T05:30:00Z")),
            };
        }"""
    )
    assert result == {
        "sample": "every 30 min until 23:00, then hourly; quiet 02:00–06:00",
        "weekends": "every 30 min until 23:00, then hourly; weekends: hourly",
        "elsewhere": "every 30 min until 23:00, then hourly; Riga time",
        "none": "",
        "morning": 1800,
        "night": 3600,
        "late": 3600,
        "override": 600,
        "ended": 1800,
        "plain": 600,
    }


async def test_the_column_dialog_holds_the_rhythm(open_page, board):
    """Add column → "Rhythm and quiet hours": the same editor, previewing a new column from now
    at the dialog's interval; a bad time is refused naming its field; Add saves the rhythm."""
    page = await open_page()
    await page.get_by_role("button", name="Add column").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Kind").select_option("log")
    await dialog.get_by_label("Name").fill("Night desk")
    await dialog.get_by_label("Interval").fill("20")
    await dialog.locator("summary", has_text="Rhythm and quiet hours").click()
    slots = dialog.locator(".rhythm-slot")
    await slots.nth(9).wait_for()
    assert "+20 min" in await slots.nth(1).inner_text()
    await dialog.get_by_role("button", name="Add quiet hours").click()
    await dialog.get_by_label("Quiet hours 1 to").fill("02:00")
    await dialog.get_by_label("Quiet hours 1 from").fill("02:00")
    await dialog.get_by_role("button", name="Add", exact=True).click()
    error = dialog.locator(".rhythm-editor .form-error")
    await error.wait_for()
    assert "settings.quiet[0]" in await error.inner_text()
    assert await dialog.locator('[data-field="quiet[0]"]').get_attribute("aria-invalid") == "true"
    await dialog.get_by_label("Quiet hours 1 from").fill("23:30")
    await dialog.get_by_label("Quiet hours 1 to").fill("06:00")
    await dialog.get_by_role("button", name="Add", exact=True).click()
    await dialog.wait_for(state="hidden")
    columns = (await board.state())["platforms"].values()
    made = next(p for p in columns if p["name"] == "Night desk")
    assert made["interval_s"] == 1200
    assert made["settings"]["quiet"] == [{"from": "23:30", "to": "06:00"}]
    assert "timezone" not in made["settings"]

"""A column's rhythm on a running board, on a clock the test moves: it publishes at the walk's
times across a quiet window (the poster sleeps through it, no polling), markers and an editor's
interval override the rules until the next one, bad settings are refused naming the field,
editors may change the rhythm (not the account), and platform.preview shows what saving would
do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from board import publishing
from tests.test_holds import refused
from tests.timed import Timed, parse, timed_board

# The test clock starts at 2026-11-22 10:00 UTC: 12:00 in Riga.
RIGA_RHYTHM = {
    "timezone": "Europe/Riga",
    "rhythm": [{"from": "00:00", "interval_s": 600}, {"from": "12:50", "interval_s": 1200}],
    "quiet": [{"from": "12:15", "to": "12:45"}],
}


@pytest.fixture
async def board(database_url: str) -> AsyncIterator[Timed]:
    async with timed_board(database_url) as value:
        yield value


def utc(hhmm: str) -> datetime:
    moment = parse(f"2026-11-22T{hhmm}Z")
    assert moment is not None
    return moment


async def cards(board: Timed, pid: int, n: int) -> list[int]:
    return [await board.card(pid, f"card {i}") for i in range(1, n + 1)]


async def test_publishes_at_the_computed_times_across_a_quiet_window(
    board: Timed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """12:15–12:45 Riga is quiet: the third card's slot (12:20:30) moves to 12:45 and the state
    says so; the poster sleeps through the window on that stored eta (it does not look at its
    queue meanwhile) and publishes it at 12:45:00; after 12:50 the interval is 20 minutes."""
    pid = await board.column(interval_s=600, settings=RIGA_RHYTHM)
    ids = await cards(board, pid, 5)
    expected = ["10:00:30", "10:10:30", "10:45:00", "10:55:00", "11:15:00"]
    await board.admin.wait_for(lambda s: [board.eta(i) for i in ids] == [utc(t) for t in expected])
    assert board.admin.card(ids[2])["eta_before_quiet"] == "2026-11-22T10:20:30.000Z"
    assert all("eta_before_quiet" not in board.admin.card(i) for i in ids if i != ids[2])

    looks: list[int] = []
    head = publishing.head

    async def counted(db: Any, platform_id: int) -> Any:
        looks.append(platform_id)
        return await head(db, platform_id)

    monkeypatch.setattr(publishing, "head", counted)
    for sid, hhmm in zip(ids[:2], expected[:2], strict=True):
        await board.clock.advance((utc(hhmm) - board.clock.now()).total_seconds())
        await board.wait_status(sid, "sent")
        assert board.admin.card(sid)["finished_at"] == f"2026-11-22T{hhmm}.000Z"

    await board.settle()
    looks.clear()
    # Through the quiet window in half-minute steps: the poster's timer is armed for 10:45:00.
    while board.clock.now() < utc("10:44:30"):
        await board.clock.advance(30)
    await board.clock.advance(29)
    await board.settle()
    assert board.status(ids[2]) == "pending"
    assert looks == [], "the poster looked at its queue during the quiet window"
    await board.clock.advance(1)
    await board.wait_status(ids[2], "sent")
    assert board.admin.card(ids[2])["finished_at"] == "2026-11-22T10:45:00.000Z"
    assert "eta_before_quiet" not in board.admin.card(ids[2])

    for sid, hhmm in zip(ids[3:], expected[3:], strict=True):
        await board.clock.advance((utc(hhmm) - board.clock.now()).total_seconds() - 1)
        await board.settle()
        assert board.status(sid) == "pending"
        await board.clock.advance(1)
        await board.wait_status(sid, "sent")
        assert board.admin.card(sid)["finished_at"] == f"2026-11-22T{hhmm}.000Z"


async def test_a_marker_the_poster_passes_overrides_the_rules_until_the_next_one(
    board: Timed,
) -> None:
    """Half-hourly until 11:00 UTC, then hourly; a 10-minute marker after the first card: the
    poster applies it with the card's send and the column keeps the override until 11:00."""
    rules = [{"from": "00:00", "interval_s": 1800}, {"from": "11:00", "interval_s": 3600}]
    pid = await board.column(interval_s=1800, settings={"rhythm": rules})
    first = await board.card(pid, "first")
    marker = (await board.admin.ok("marker.create", {"platform_id": pid, "interval_s": 600}))["id"]
    rest = await cards(board, pid, 5)
    expected = ["10:10:30", "10:20:30", "10:30:30", "10:40:30", "10:50:30"]
    await board.admin.wait_for(lambda s: [board.eta(i) for i in rest] == [utc(t) for t in expected])

    await board.clock.advance(30)
    await board.wait_status(first, "sent")
    await board.admin.wait_for(lambda s: board.status(marker) == "sent")
    column = board.admin.state["platforms"][str(pid)]
    assert column["interval_s"] == 600
    assert column["interval_until"] == "2026-11-22T11:00:00.000Z"
    assert [board.eta(i) for i in rest] == [utc(t) for t in expected]
    # The override ends at 11:00: a card after 10:50:30 comes 10 minutes later (its prev is
    # before 11:00), the one after it an hour later.
    more = await cards(board, pid, 2)
    await board.admin.wait_for(
        lambda s: [board.eta(i) for i in more] == [utc("11:00:30"), utc("12:00:30")]
    )


async def test_an_editors_interval_overrides_the_rules_until_the_next_one(board: Timed) -> None:
    """The header's interval on a column with rules: until the next rule begins; the interval
    already in force changes nothing; a new rhythm ends the override."""
    rules = [{"from": "00:00", "interval_s": 1800}, {"from": "11:00", "interval_s": 3600}]
    pid = await board.column(interval_s=1800, settings={"rhythm": rules})
    editor = await board.client("editor")
    await editor.ok("platform.update", {"id": pid, "interval_s": 1800})
    await board.admin.wait_for(lambda s: s["platforms"][str(pid)]["version"] == 2)
    assert "interval_until" not in board.admin.state["platforms"][str(pid)]
    await editor.ok("platform.update", {"id": pid, "interval_s": 300})
    await board.admin.wait_for(
        lambda s: s["platforms"][str(pid)].get("interval_until") == "2026-11-22T11:00:00.000Z"
    )
    ids = await cards(board, pid, 2)
    await board.admin.wait_for(
        lambda s: [board.eta(i) for i in ids] == [utc("10:00:30"), utc("10:05:30")]
    )
    await editor.ok("platform.update", {"id": pid, "settings": {"rhythm": rules[:1]}})
    await board.admin.wait_for(lambda s: "interval_until" not in s["platforms"][str(pid)])
    await board.admin.wait_for(lambda s: board.eta(ids[1]) == utc("10:30:30"))


async def test_a_settings_save_that_repeats_the_interval_leaves_the_rhythm_alone(
    board: Timed,
) -> None:
    """A column dialog sends every field: its stored interval_s with the settings is no override
    (the interval sent alone, as the header does, is)."""
    rules = [{"from": "00:00", "interval_s": 1800}]
    pid = await board.column(interval_s=600, settings={"rhythm": rules})
    args = {"id": pid, "name": "Renamed", "interval_s": 600, "settings": {"rhythm": rules}}
    await board.admin.ok("platform.update", args)
    await board.admin.wait_for(lambda s: s["platforms"][str(pid)]["name"] == "Renamed")
    assert "interval_until" not in board.admin.state["platforms"][str(pid)]
    await board.admin.ok("platform.update", {"id": pid, "interval_s": 600})
    await board.admin.wait_for(
        lambda s: s["platforms"][str(pid)].get("interval_until") == "2026-11-23T00:00:00.000Z"
    )


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"timezone": "Europe/Atlantis"}, "settings.timezone"),
        ({"rhythm": [{"from": "7 pm", "interval_s": 600}]}, "settings.rhythm[0].from"),
        ({"rhythm": [{"from": "19:00", "interval_s": 0}]}, "settings.rhythm[0].interval_s"),
        (
            {"quiet": [{"from": "01:00", "to": "05:00"}, {"from": "04:00", "to": "06:00"}]},
            "settings.quiet[1]",
        ),
        ({"quiet": [{"from": "03:00", "to": "03:00"}]}, "settings.quiet[0]"),
        (
            {"rhythm": [{"from": "07:00", "interval_s": 60}, {"from": "07:00", "interval_s": 90}]},
            "settings.rhythm[1].from",
        ),
    ],
)
async def test_bad_settings_are_refused_naming_the_field(
    board: Timed, settings: dict[str, Any], field: str
) -> None:
    """platform.create, platform.update and platform.preview refuse them; nothing changes."""
    pid = await board.column(settings=RIGA_RHYTHM)
    before = board.admin.state["platforms"][str(pid)]
    args = {"kind": "log", "name": "Bad", "interval_s": 600, "settings": settings}
    assert field in await refused(board.admin, "platform.create", args)
    assert field in await refused(board.admin, "platform.update", {"id": pid, "settings": settings})
    assert field in await refused(
        board.admin, "platform.preview", {"id": pid, "settings": settings}
    )
    assert board.admin.state["platforms"] == {str(pid): before}


async def test_the_minimum_interval_is_the_settings_minimum(database_url: str) -> None:
    """METRONOME_MIN_INTERVAL_S bounds the rules as it bounds a column's interval."""
    async with timed_board(database_url, METRONOME_MIN_INTERVAL_S="300") as board:
        pid = await board.column(interval_s=600)
        settings = {"rhythm": [{"from": "07:00", "interval_s": 299}]}
        message = await refused(board.admin, "platform.update", {"id": pid, "settings": settings})
        assert "settings.rhythm[0].interval_s" in message and "300" in message


async def test_an_editor_may_change_the_rhythm_not_the_account(board: Timed) -> None:
    pid = await board.column(settings={"note": "admin's"})
    editor = await board.client("editor")
    rhythm = {"note": "admin's", **RIGA_RHYTHM}
    await editor.ok("platform.update", {"id": pid, "settings": rhythm})
    await board.admin.wait_for(lambda s: s["platforms"][str(pid)]["settings"] == rhythm)
    reply = await editor.command(
        "platform.update", {"id": pid, "settings": {**rhythm, "note": "x"}}
    )
    assert reply["error"]["code"] == "forbidden"
    reply = await editor.command("platform.update", {"id": pid, "name": "Renamed"})
    assert reply["error"]["code"] == "forbidden"


async def test_preview_shows_the_slots_saving_would_give(board: Timed) -> None:
    """Ten slots: the queued cards' first, then posts to come; saving gives the cards exactly
    their previewed slots. Without a column it previews a new one from now."""
    pid = await board.column(interval_s=600)
    ids = await cards(board, pid, 3)
    result = await board.admin.ok("platform.preview", {"id": pid, "settings": RIGA_RHYTHM})
    slots = result["slots"]
    assert len(slots) == 10 and result["timezone"] == "Europe/Riga"
    assert [s["snippet_id"] for s in slots] == [*ids, *[None] * 7]
    assert [s["at"][11:19] for s in slots] == [
        "10:00:30", "10:10:30", "10:45:00", "10:55:00", "11:15:00",
        "11:35:00", "11:55:00", "12:15:00", "12:35:00", "12:55:00",
    ]  # fmt: skip
    assert slots[2]["eta_before_quiet"] == "2026-11-22T10:20:30.000Z"
    assert board.eta(ids[2]) == utc("10:20:30")  # nothing saved yet

    await board.admin.ok("platform.update", {"id": pid, "settings": RIGA_RHYTHM})
    await board.admin.wait_for(lambda s: board.eta(ids[2]) == utc("10:45:00"))
    assert [board.admin.card(i)["eta"] for i in ids] == [s["at"] for s in slots[:3]]

    fresh = await board.admin.ok(
        "platform.preview", {"settings": {"quiet": [{"from": "10:00", "to": "11:00"}]}, "count": 3}
    )
    assert [s["at"] for s in fresh["slots"]] == [
        "2026-11-22T11:00:00.000Z",
        "2026-11-22T12:00:00.000Z",
        "2026-11-22T13:00:00.000Z",
    ]
    viewer = await board.client("viewer")
    reply = await viewer.command("platform.preview", {"id": pid, "settings": {}})
    assert reply["error"]["code"] == "forbidden"


async def test_a_new_rhythm_moves_the_queue_at_once(board: Timed) -> None:
    """Saving settings retimes the queue (a patch of every eta that moved); removing the
    rhythm puts the column back on its interval and clears what the quiet window said."""
    pid = await board.column(interval_s=600)
    ids = await cards(board, pid, 3)
    await board.admin.ok("platform.update", {"id": pid, "settings": RIGA_RHYTHM})
    await board.admin.wait_for(lambda s: board.eta(ids[2]) == utc("10:45:00"))
    await board.admin.ok("platform.update", {"id": pid, "settings": {}})
    await board.admin.wait_for(lambda s: board.eta(ids[2]) == utc("10:20:30"))
    assert "eta_before_quiet" not in board.admin.card(ids[2])
    await board.admin.ok("platform.pause", {"id": pid})
    await board.admin.wait_for(lambda s: board.eta(ids[0]) is None)

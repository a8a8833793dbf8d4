"""The walk of CONTRACT §8 over plain datetimes: intervals by the time of day, quiet hours, the
interval card's override until the next rule, time zones and their daylight-saving days."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from board.rhythm import parse
from board.schedule import ColumnClock, QueuedCard, plan

MIN = timedelta(minutes=1)


def at(day: str, hhmm: str) -> datetime:
    """A UTC moment: at("2026-11-22", "10:30")."""
    return datetime.fromisoformat(f"{day}T{hhmm}:00+00:00")


def rules(*pairs: tuple[str, int], **extra: Any) -> list[dict[str, Any]]:
    return [{"from": when, "interval_s": seconds, **extra} for when, seconds in pairs]


def column(
    last: datetime | None,
    interval_s: int = 1800,
    until: datetime | None = None,
    running: bool = True,
    **settings: Any,
) -> ColumnClock:
    return ColumnClock(interval_s, last, running, parse(settings), until)


def posts(n: int, start: int = 1) -> list[QueuedCard]:
    return [QueuedCard(i, "post") for i in range(start, start + n)]


def marker(i: int, minutes: int) -> QueuedCard:
    return QueuedCard(i, "interval", minutes * 60)


D = "2026-11-22"  # a Sunday; Riga is at +02:00 and New York at -05:00 that day
RIGA_SPRING, RIGA_AUTUMN = "2026-03-29", "2026-10-25"  # 03:00 EET -> 04:00 EEST; 04:00 -> 03:00
NY_SPRING, NY_AUTUMN = "2026-03-08", "2026-11-01"  # 02:00 EST -> 03:00 EDT; 02:00 EDT -> 01:00
DAY_RULES = rules(("07:00", 1800), ("23:00", 3600))

CASES = [
    pytest.param(
        column(at(D, "22:00"), rhythm=DAY_RULES),
        posts(4),
        at(D, "22:00"),
        {
            1: at(D, "22:30"),
            2: at(D, "23:00"),
            3: at("2026-11-23", "00:00"),
            4: at("2026-11-23", "01:00"),
        },
        {},
        id="the rule in force at prev: half-hourly until 23:00, then hourly",
    ),
    pytest.param(
        column(at(D, "03:00"), rhythm=DAY_RULES),
        posts(3),
        at(D, "03:00"),
        {1: at(D, "04:00"), 2: at(D, "05:00"), 3: at(D, "06:00")},
        {},
        id="before the day's first rule, the day before's last is in force",
    ),
    pytest.param(
        column(at(D, "06:30"), rhythm=DAY_RULES),
        posts(3),
        at(D, "06:30"),
        {1: at(D, "07:30"), 2: at(D, "08:00"), 3: at(D, "08:30")},
        {},
        id="the interval is the one in force at prev, not at the eta",
    ),
    pytest.param(
        column(at(D, "22:40"), quiet=[{"from": "23:30", "to": "06:00"}]),
        posts(3),
        at(D, "22:40"),
        {1: at(D, "23:10"), 2: at("2026-11-23", "06:00"), 3: at("2026-11-23", "06:30")},
        {2: at(D, "23:40")},
        id="a window that wraps past midnight: the eta moves to its end",
    ),
    pytest.param(
        column(at(D, "01:00"), quiet=[{"from": "23:30", "to": "06:00"}]),
        posts(1),
        at(D, "01:00"),
        {1: at(D, "06:00")},
        {1: at(D, "01:30")},
        id="inside a window that began the day before",
    ),
    pytest.param(
        column(
            at(D, "00:50"),
            quiet=[{"from": "01:00", "to": "02:00"}, {"from": "02:00", "to": "03:00"}],
        ),
        posts(2),
        at(D, "00:50"),
        {1: at(D, "03:00"), 2: at(D, "03:30")},
        {1: at(D, "01:20")},
        id="windows that touch: the eta moves past both",
    ),
    pytest.param(
        column(
            at(D, "06:30"), timezone="Europe/Riga", rhythm=rules(("09:00", 600), ("23:00", 3600))
        ),
        posts(3),
        at(D, "06:30"),
        {1: at(D, "07:30"), 2: at(D, "07:40"), 3: at(D, "07:50")},
        {},
        id="rules in the column's zone: 09:00 in Riga is 07:00 UTC in November",
    ),
    pytest.param(
        column(
            at(D, "20:00"),
            timezone="America/New_York",
            rhythm=rules(("00:00", 3600), ("09:00", 1800)),
            quiet=[{"from": "16:00", "to": "17:00"}],
        ),
        posts(3),
        at(D, "20:00"),
        {1: at(D, "20:30"), 2: at(D, "22:00"), 3: at(D, "22:30")},
        {2: at(D, "21:00")},
        id="quiet hours in New York: 16:00-17:00 local is 21:00-22:00 UTC",
    ),
    pytest.param(
        column(
            at(RIGA_SPRING, "00:00"),
            timezone="Europe/Riga",
            rhythm=rules(("00:00", 3600), ("03:30", 600)),
        ),
        posts(3),
        at(RIGA_SPRING, "00:00"),
        {1: at(RIGA_SPRING, "01:00"), 2: at(RIGA_SPRING, "01:10"), 3: at(RIGA_SPRING, "01:20")},
        {},
        id="Riga spring: a rule at 03:30, a time that does not exist, begins at 04:00 EEST",
    ),
    pytest.param(
        column(
            at(RIGA_SPRING, "00:00"),
            timezone="Europe/Riga",
            interval_s=1200,
            quiet=[{"from": "02:30", "to": "03:30"}],
        ),
        posts(3),
        at(RIGA_SPRING, "00:00"),
        {1: at(RIGA_SPRING, "00:20"), 2: at(RIGA_SPRING, "01:00"), 3: at(RIGA_SPRING, "01:20")},
        {2: at(RIGA_SPRING, "00:40")},
        id="Riga spring: a window ending at a skipped time ends when the clocks jump",
    ),
    pytest.param(
        column(
            at(RIGA_AUTUMN, "00:20"),
            timezone="Europe/Riga",
            rhythm=rules(("00:00", 600), ("03:30", 3600)),
        ),
        posts(3),
        at(RIGA_AUTUMN, "00:20"),
        {1: at(RIGA_AUTUMN, "00:30"), 2: at(RIGA_AUTUMN, "01:30"), 3: at(RIGA_AUTUMN, "02:30")},
        {},
        id="Riga autumn: 03:30 comes twice; the rule begins at the first and only then",
    ),
    pytest.param(
        column(
            at("2026-10-24", "23:40"),
            timezone="Europe/Riga",
            interval_s=1800,
            quiet=[{"from": "03:00", "to": "03:30"}],
        ),
        posts(4),
        at("2026-10-24", "23:40"),
        {
            1: at(RIGA_AUTUMN, "00:30"),
            2: at(RIGA_AUTUMN, "01:00"),
            3: at(RIGA_AUTUMN, "01:30"),
            4: at(RIGA_AUTUMN, "02:00"),
        },
        {1: at(RIGA_AUTUMN, "00:10")},
        id="Riga autumn: a window in the repeated hour holds its first pass only",
    ),
    pytest.param(
        column(
            at(NY_SPRING, "06:00"),
            timezone="America/New_York",
            rhythm=rules(("00:00", 3600), ("02:30", 900)),
        ),
        posts(3),
        at(NY_SPRING, "06:00"),
        {1: at(NY_SPRING, "07:00"), 2: at(NY_SPRING, "07:15"), 3: at(NY_SPRING, "07:30")},
        {},
        id="New York spring: 02:30 does not exist; the rule begins at 03:00 EDT",
    ),
    pytest.param(
        column(
            at(NY_SPRING, "06:15"),
            timezone="America/New_York",
            interval_s=1800,
            quiet=[{"from": "01:30", "to": "02:30"}],
        ),
        posts(2),
        at(NY_SPRING, "06:15"),
        {1: at(NY_SPRING, "07:00"), 2: at(NY_SPRING, "07:30")},
        {1: at(NY_SPRING, "06:45")},
        id="New York spring: quiet from 01:30 EST to the jump at 03:00 EDT",
    ),
    pytest.param(
        column(
            at(NY_AUTUMN, "04:40"),
            timezone="America/New_York",
            interval_s=1800,
            quiet=[{"from": "01:00", "to": "01:30"}],
        ),
        posts(3),
        at(NY_AUTUMN, "04:40"),
        {1: at(NY_AUTUMN, "05:30"), 2: at(NY_AUTUMN, "06:00"), 3: at(NY_AUTUMN, "06:30")},
        {1: at(NY_AUTUMN, "05:10")},
        id="New York autumn: 01:00-01:30 EDT is quiet, the repeated 01:00-01:30 EST is not",
    ),
    pytest.param(
        column(
            at(NY_AUTUMN, "05:00"),
            timezone="America/New_York",
            rhythm=rules(("00:00", 1800), ("01:30", 3600)),
        ),
        posts(3),
        at(NY_AUTUMN, "05:00"),
        {1: at(NY_AUTUMN, "05:30"), 2: at(NY_AUTUMN, "06:30"), 3: at(NY_AUTUMN, "07:30")},
        {},
        id="New York autumn: a rule at the repeated 01:30 begins at its first pass",
    ),
    pytest.param(
        column(at(D, "10:00"), rhythm=rules(("00:00", 1800), ("12:00", 3600))),
        [*posts(1), marker(9, 20), *posts(6, start=2)],
        at(D, "10:00"),
        {
            1: at(D, "10:30"),
            9: at(D, "10:30"),
            2: at(D, "10:50"),
            3: at(D, "11:10"),
            4: at(D, "11:30"),
            5: at(D, "11:50"),
            6: at(D, "12:10"),
            7: at(D, "13:10"),
        },
        {},
        id="a marker before a rule boundary overrides the rhythm until the rule begins",
    ),
    pytest.param(
        column(at(D, "12:00"), rhythm=rules(("00:00", 1800), ("12:00", 3600), ("14:00", 1800))),
        [*posts(1), marker(9, 20), *posts(4, start=2)],
        at(D, "12:00"),
        {
            1: at(D, "13:00"),
            9: at(D, "13:00"),
            2: at(D, "13:20"),
            3: at(D, "13:40"),
            4: at(D, "14:00"),
            5: at(D, "14:30"),
        },
        {},
        id="a marker after a rule boundary lasts until the next rule",
    ),
    pytest.param(
        column(at(D, "10:00"), interval_s=600, until=at(D, "10:30"), rhythm=rules(("00:00", 3600))),
        posts(4),
        at(D, "10:00"),
        {1: at(D, "10:10"), 2: at(D, "10:20"), 3: at(D, "10:30"), 4: at(D, "11:30")},
        {},
        id="the column's own override (a marker passed, an editor's interval) until its end",
    ),
    pytest.param(
        column(at(D, "10:00"), interval_s=600, quiet=[{"from": "12:00", "to": "13:00"}]),
        [*posts(1), marker(9, 60), *posts(2, start=2)],
        at(D, "10:00"),
        {1: at(D, "10:10"), 9: at(D, "10:10"), 2: at(D, "11:10"), 3: at(D, "13:00")},
        {3: at(D, "12:10")},
        id="without rules a marker changes the column's interval for good",
    ),
    pytest.param(
        column(
            at("2026-11-21", "10:00"),
            rhythm=[*DAY_RULES, {"from": "00:00", "interval_s": 3600, "days": ["sat", "sun"]}],
        ),
        posts(2),
        at("2026-11-21", "10:00"),
        {1: at("2026-11-21", "11:00"), 2: at("2026-11-21", "12:00")},
        {},
        id="weekends: hourly (a rule naming the day replaces the everyday rules)",
    ),
    pytest.param(
        column(
            at("2026-11-23", "02:00"),
            rhythm=[*DAY_RULES, {"from": "00:00", "interval_s": 900, "days": ["sun"]}],
        ),
        posts(1),
        at("2026-11-23", "02:00"),
        {1: at("2026-11-23", "02:15")},
        {},
        id="Monday before its first rule: Sunday's last rule is in force",
    ),
    pytest.param(
        column(at(D, "22:40"), quiet=[{"from": "23:30", "to": "06:00"}]),
        [QueuedCard(1, "post", expires_at=at("2026-11-23", "05:00")), *posts(1, start=2)],
        at(D, "22:40"),
        {1: at(D, "23:10"), 2: at("2026-11-23", "06:00")},
        {2: at(D, "23:40")},
        id="expiry with quiet hours: the moved slot counts",
    ),
    pytest.param(
        column(at(D, "22:40"), quiet=[{"from": "23:00", "to": "06:00"}]),
        [QueuedCard(1, "post", expires_at=at("2026-11-23", "05:00")), *posts(1, start=2)],
        at(D, "22:40"),
        {1: None, 2: at("2026-11-23", "06:00")},
        {2: at(D, "23:10")},
        id="a card whose slot a quiet window moves past its expiry takes none",
    ),
    pytest.param(
        column(at(D, "22:40"), quiet=[{"from": "23:00", "to": "06:00"}]),
        [QueuedCard(1, "post", urgent=True), *posts(1, start=2)],
        at(D, "23:30"),
        {1: at(D, "23:30"), 2: at("2026-11-23", "06:00")},
        {2: at(D, "23:59") + MIN},
        id="send now goes out in quiet hours (the editor chose it)",
    ),
    pytest.param(
        column(
            at(D, "22:40"),
            running=False,
            rhythm=DAY_RULES,
            quiet=[{"from": "23:00", "to": "06:00"}],
        ),
        posts(2),
        at(D, "22:40"),
        {1: None, 2: None},
        {},
        id="a held or paused column has no etas",
    ),
    pytest.param(
        column(None, quiet=[{"from": "10:00", "to": "11:00"}]),
        posts(2),
        at(D, "10:20"),
        {1: at(D, "11:00"), 2: at(D, "11:30")},
        {1: at(D, "10:20")},
        id="never sent: the first card goes now, or when the window ends",
    ),
]


@pytest.mark.parametrize(("clock", "cards", "now", "etas", "quieted"), CASES)
def test_walk_with_rhythm(
    clock: ColumnClock,
    cards: list[QueuedCard],
    now: datetime,
    etas: dict[int, Any],
    quieted: dict[int, datetime],
) -> None:
    """Each case gets exactly the etas CONTRACT §8 gives, and says which a window moved."""
    result = plan(clock, cards, now)
    assert result.etas == etas
    assert result.quieted == quieted


def test_min_lead_then_quiet() -> None:
    """The lead applies first; an eta it pushes into a window moves to the window's end."""
    clock = column(at(D, "09:00"), interval_s=600, quiet=[{"from": "10:00", "to": "10:30"}])
    result = plan(clock, posts(2), at(D, "10:05"), timedelta(seconds=30))
    assert result.etas == {1: at(D, "10:30"), 2: at(D, "10:40")}
    assert result.quieted == {1: at(D, "10:05") + timedelta(seconds=30)}

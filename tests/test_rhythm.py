"""A column's rhythm settings: what is refused (naming the field), what the rules can say, local
times on daylight-saving days, and a property test of the walk against a slow, plain oracle."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from board.rhythm import DAYS, Calendar, Rhythm, in_force, of_column, override_until, parse
from board.schedule import ColumnClock, QueuedCard, plan

RULE = {"from": "07:00", "interval_s": 1800}


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "settings.timezone"),
        ({"timezone": "../../etc/passwd"}, "settings.timezone"),
        ({"timezone": 3}, "settings.timezone"),
        ({"rhythm": {"from": "07:00"}}, "settings.rhythm"),
        ({"rhythm": [RULE, {"from": "7:00", "interval_s": 600}]}, "settings.rhythm[1].from"),
        ({"rhythm": [{"from": "24:00", "interval_s": 600}]}, "settings.rhythm[0].from"),
        ({"rhythm": [{"from": "07:60", "interval_s": 600}]}, "settings.rhythm[0].from"),
        ({"rhythm": [{"interval_s": 600}]}, "settings.rhythm[0].from"),
        ({"rhythm": [{"from": "07:00", "interval_s": 59}]}, "settings.rhythm[0].interval_s"),
        ({"rhythm": [{"from": "07:00", "interval_s": "600"}]}, "settings.rhythm[0].interval_s"),
        ({"rhythm": [{"from": "07:00", "interval_s": True}]}, "settings.rhythm[0].interval_s"),
        ({"rhythm": [{"from": "07:00", "interval_s": 10**7}]}, "settings.rhythm[0].interval_s"),
        ({"rhythm": [RULE, {"from": "07:00", "interval_s": 600}]}, "settings.rhythm[1].from"),
        ({"rhythm": [{**RULE, "every": 3}]}, "settings.rhythm[0]"),
        ({"rhythm": [{**RULE, "days": ["sat", "sunday"]}]}, "settings.rhythm[0].days"),
        ({"rhythm": [{**RULE, "days": []}]}, "settings.rhythm[0].days"),
        (
            {"rhythm": [{**RULE, "days": ["sat"]}, {**RULE, "days": ["sun", "sat"]}]},
            "settings.rhythm[1].from",
        ),
        ({"rhythm": [RULE] * 49}, "settings.rhythm"),
        ({"quiet": [{"from": "02:00", "to": "02:00"}]}, "settings.quiet[0]"),
        ({"quiet": [{"from": "02:00"}]}, "settings.quiet[0].to"),
        ({"quiet": [{"from": "2am", "to": "06:00"}]}, "settings.quiet[0].from"),
        (
            {"quiet": [{"from": "02:00", "to": "06:00"}, {"from": "05:00", "to": "07:00"}]},
            "settings.quiet[1]",
        ),
        (
            {"quiet": [{"from": "23:00", "to": "03:00"}, {"from": "01:00", "to": "02:00"}]},
            "settings.quiet[1]",
        ),
        (
            {
                "quiet": [
                    {"from": "22:00", "to": "01:00", "days": ["fri"]},
                    {"from": "00:30", "to": "05:00"},
                ]
            },
            "settings.quiet[1]",
        ),
        (
            {"quiet": [{"from": "00:00", "to": "12:00"}, {"from": "12:00", "to": "00:00"}]},
            "settings.quiet",
        ),
    ],
)
def test_refusals_name_the_field(settings: dict[str, Any], field: str) -> None:
    """Each malformed setting is refused with a message that starts with the field's name."""
    with pytest.raises(ValueError) as refused:
        parse(settings, min_interval_s=60)
    assert str(refused.value).startswith(f"{field}:"), str(refused.value)


def test_what_the_rules_can_say() -> None:
    """Zone, rules by the time of day (any order), weekday rules, wrapping quiet windows."""
    rhythm = parse(
        {
            "timezone": "Europe/Riga",
            "rhythm": [
                {"from": "23:00", "interval_s": 3600},
                {"from": "07:00", "interval_s": 1800},
                {"from": "00:00", "interval_s": 3600, "days": ["sat", "sun"]},
            ],
            "quiet": [
                {"from": "02:00", "to": "06:00"},
                {"from": "22:00", "to": "01:00", "days": ["sun"]},
            ],
            "chat_id": "@ignored_here",
        },
        min_interval_s=60,
    )
    assert rhythm is not None and rhythm.zone == ZoneInfo("Europe/Riga")
    assert [(r.minute, r.interval_s) for r in rhythm.rules] == [
        (1380, 3600),
        (420, 1800),
        (0, 3600),
    ]
    assert rhythm.rules[2].days == frozenset({5, 6})
    assert [(w.start, w.end) for w in rhythm.quiet] == [(120, 360), (1320, 60)]


def test_no_rhythm_is_none() -> None:
    """Without rules or quiet hours (a zone alone changes nothing) the walk is §4's."""
    assert parse({}) is None
    assert parse({"timezone": "Asia/Tokyo", "rhythm": [], "quiet": None}) is None


def test_a_stored_rhythm_that_no_longer_reads_is_ignored() -> None:
    """A zone gone from the system: the column goes on at its interval, commands keep working."""
    assert of_column({"timezone": "Gone/Zone", "rhythm": [RULE]}) is None
    assert of_column({"chat_id": "@x"}) is None
    assert of_column(None) is None


def test_the_interval_in_force_and_overrides() -> None:
    settings = {"rhythm": [RULE, {"from": "23:00", "interval_s": 3600}]}
    noon = datetime(2026, 11, 22, 12, tzinfo=UTC)
    assert in_force(settings, 600, None, noon) == 1800
    assert in_force(settings, 600, noon + timedelta(hours=1), noon) == 600
    assert in_force(settings, 600, noon, noon) == 1800
    assert in_force({}, 600, None, noon) == 600
    assert override_until(settings, noon) == datetime(2026, 11, 22, 23, tzinfo=UTC)
    assert override_until({"quiet": [{"from": "01:00", "to": "02:00"}]}, noon) is None


@pytest.mark.parametrize(
    ("zone", "day", "hhmm", "utc"),
    [
        ("Europe/Riga", "2026-03-29", "02:59", "2026-03-29T00:59"),
        ("Europe/Riga", "2026-03-29", "03:00", "2026-03-29T01:00"),
        ("Europe/Riga", "2026-03-29", "03:30", "2026-03-29T01:00"),
        ("Europe/Riga", "2026-03-29", "04:00", "2026-03-29T01:00"),
        ("Europe/Riga", "2026-03-29", "04:01", "2026-03-29T01:01"),
        ("Europe/Riga", "2026-10-25", "03:30", "2026-10-25T00:30"),
        ("Europe/Riga", "2026-10-25", "04:00", "2026-10-25T02:00"),
        ("America/New_York", "2026-03-08", "02:00", "2026-03-08T07:00"),
        ("America/New_York", "2026-03-08", "02:45", "2026-03-08T07:00"),
        ("America/New_York", "2026-03-08", "03:00", "2026-03-08T07:00"),
        ("America/New_York", "2026-11-01", "01:00", "2026-11-01T05:00"),
        ("America/New_York", "2026-11-01", "01:59", "2026-11-01T05:59"),
        ("America/New_York", "2026-11-01", "02:00", "2026-11-01T07:00"),
        ("Australia/Lord_Howe", "2026-10-04", "02:15", "2026-10-03T15:30"),
        ("Asia/Kathmandu", "2026-11-22", "00:00", "2026-11-21T18:15"),
    ],
)
def test_local_times_on_daylight_saving_days(zone: str, day: str, hhmm: str, utc: str) -> None:
    """A skipped local time is the moment the clocks jump; a repeated one its first pass."""
    calendar = Calendar(Rhythm(ZoneInfo(zone)))
    hours, minutes = map(int, hhmm.split(":"))
    moment = calendar.local(date.fromisoformat(day), hours * 60 + minutes)
    assert moment == datetime.fromisoformat(utc).replace(tzinfo=UTC)


# --- the property test -----------------------------------------------------------------------
# The oracle works the way a person would: it scans minute by minute for the first moment a
# local time is reached and checks every rule and window of the days around. Slow and plain,
# and written apart from board/rhythm.py's calendar.


@functools.cache
def first_moment(zone: str, day: date, minute: int) -> datetime:
    tz = ZoneInfo(zone)
    wanted = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
    moment = (wanted - timedelta(hours=15)).replace(tzinfo=UTC)
    while moment.astimezone(tz).replace(tzinfo=None) < wanted:
        moment += timedelta(minutes=1)
    return moment


def applying(items: tuple[Any, ...], day: date) -> list[Any]:
    named = [x for x in items if x.days is not None and day.weekday() in x.days]
    return named or [x for x in items if x.days is None]


def starts(rhythm: Rhythm, moment: datetime, back: int, ahead: int) -> list[tuple[datetime, int]]:
    """(when a rule begins, its interval) on the local days around ``moment``, in order."""
    key = rhythm.zone.key
    today = moment.astimezone(rhythm.zone).date()
    found = []
    for offset in range(-back, ahead + 1):
        day = today + timedelta(days=offset)
        for rule in sorted(applying(rhythm.rules, day), key=lambda r: r.minute):
            found.append(
                (first_moment(key, day, rule.minute), offset, rule.minute, rule.interval_s)
            )
    found.sort()
    return [(when, interval) for when, _, _, interval in found]


def oracle_interval(rhythm: Rhythm, moment: datetime) -> int:
    return [i for when, i in starts(rhythm, moment, 8, 1) if when <= moment][-1]


def oracle_next_rule(rhythm: Rhythm, moment: datetime) -> datetime:
    return next(when for when, _ in starts(rhythm, moment, 1, 8) if when > moment)


def oracle_quiet(rhythm: Rhythm, moment: datetime) -> bool:
    key = rhythm.zone.key
    today = moment.astimezone(rhythm.zone).date()
    for day in (today - timedelta(days=1), today):
        for window in applying(rhythm.quiet, day):
            ends = day if window.end > window.start else day + timedelta(days=1)
            if first_moment(key, day, window.start) <= moment < first_moment(key, ends, window.end):
                return True
    return False


# Zones on their daylight-saving days (and two without any), where local times skip or repeat.
ZONE_DAYS = [
    ("Europe/Riga", date(2026, 3, 29)),
    ("Europe/Riga", date(2026, 10, 25)),
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
    ("Australia/Lord_Howe", date(2026, 4, 5)),
    ("Australia/Lord_Howe", date(2026, 10, 4)),
    ("UTC", date(2026, 11, 20)),
    ("Asia/Kathmandu", date(2026, 11, 20)),
]
INTERVALS = [60, 300, 600, 900, 1800, 3600, 7200]


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


# Any quarter hour, often one between 01:00 and 04:00, where the clocks change.
quarter = st.one_of(st.integers(0, 95), st.integers(4, 16)).map(lambda q: q * 15)
days = st.none() | st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True)
rule = st.builds(
    lambda m, i, d: {"from": hhmm(m), "interval_s": i, **({"days": d} if d else {})},
    quarter,
    st.sampled_from(INTERVALS),
    days,
)
window = st.builds(
    lambda a, b, d: {"from": hhmm(a), "to": hhmm(b), **({"days": d} if d else {})},
    quarter,
    quarter,
    days,
)
card = st.one_of(
    st.just(("post", None)),
    st.just(("post", None)),
    st.tuples(st.just("interval"), st.sampled_from(INTERVALS)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    zone_day=st.sampled_from(ZONE_DAYS),
    half_hours=st.integers(-48, 48),
    rules=st.lists(rule, max_size=4),
    quiet=st.lists(window, max_size=3),
    interval_s=st.sampled_from(INTERVALS),
    since_last=st.none() | st.integers(0, 4 * 3600),
    lead_s=st.sampled_from([0, 30]),
    kinds=st.lists(card, min_size=1, max_size=30),
)
def test_walk_properties(
    zone_day: tuple[str, date],
    half_hours: int,
    rules: list[dict[str, Any]],
    quiet: list[dict[str, Any]],
    interval_s: int,
    since_last: int | None,
    lead_s: int,
    kinds: list[tuple[str, int | None]],
) -> None:
    """Etas never decrease, none falls in a quiet window, and each post follows the one before
    by exactly the interval in force (a marker's until the next rule), unless a window moved it
    to its end."""
    zone, day = zone_day
    try:
        rhythm = parse({"timezone": zone, "rhythm": rules, "quiet": quiet}, min_interval_s=60)
    except ValueError:
        assume(False)
        raise
    now = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=30 * half_hours)
    last = None if since_last is None else now - timedelta(seconds=since_last)
    cards = [QueuedCard(i, kind, every) for i, (kind, every) in enumerate(kinds)]
    result = plan(
        ColumnClock(interval_s, last, rhythm=rhythm), cards, now, timedelta(seconds=lead_s)
    )

    earliest = now + timedelta(seconds=lead_s)
    fixed, until = interval_s, None  # the interval a marker (or the column) sets, and its end
    prev = last
    for queued in cards:
        eta = result.etas[queued.id]
        assert eta is not None
        if queued.kind == "interval":
            point = max(prev, earliest) if prev is not None else earliest
            assert eta == point
            fixed = queued.interval_s or interval_s
            until = oracle_next_rule(rhythm, point) if rhythm and rhythm.rules else None
            continue
        if prev is None:
            due = earliest
        else:
            step = fixed
            if rhythm is not None and rhythm.rules and (until is None or prev >= until):
                step = oracle_interval(rhythm, prev)
            due = max(prev + timedelta(seconds=step), earliest)
        assert result.quieted.get(queued.id, eta) == due
        if rhythm is not None:
            assert not oracle_quiet(rhythm, eta), f"card {queued.id} at {eta} is in quiet hours"
            if queued.id in result.quieted:
                assert oracle_quiet(rhythm, due) and oracle_quiet(
                    rhythm, eta - timedelta(seconds=1)
                )
        assert prev is None or eta > prev
        prev = eta

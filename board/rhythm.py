"""A column's rhythm (CONTRACT §8): its time zone, its intervals by the time of day, its quiet
hours.

``parse`` reads and checks them from the column's settings (board/columns.py refuses bad ones
with the field named); a ``Calendar`` answers the schedule walk (board/schedule.py): which
interval is in force at a moment, where a quiet window that holds a moment ends, when the
next rule begins. Pure: plain values, no clock.

Local times become moments day by day: a local time the clocks skip (a daylight-saving
spring) resolves to the moment they jump, a repeated one (an autumn) to its first
occurrence — "the first moment at or after it". A rule or window may name weekdays
(``"days": ["sat", "sun"]``): on a day that any rule names, only the rules naming it apply
(and likewise for quiet windows), so "weekends: hourly" is one rule.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The settings keys this module reads; the rest of a column's settings are its adapter's.
KEYS = ("timezone", "rhythm", "quiet")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES
# Enough for a newsroom's day (a rule every half hour) and small enough to check at a glance.
MAX_RULES = 48
MAX_WINDOWS = 24
# An interval longer than a week is a pause, not a rhythm.
MAX_INTERVAL_S = 7 * 24 * 3600
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
# IANA names: letters, digits, _ + - in slash-separated parts (no paths, no dots).
_ZONE = re.compile(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*")
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Rule:
    minute: int  # after local midnight
    interval_s: int
    # Weekdays it is for (0 = Monday); None: every day that no rule names.
    days: frozenset[int] | None = None


@dataclass(frozen=True)
class Window:
    start: int  # minute of the local day
    end: int  # minute of the local day; at or before ``start``: the next day's
    days: frozenset[int] | None = None  # the weekdays it starts on, as Rule.days


@dataclass(frozen=True)
class Rhythm:
    zone: ZoneInfo
    rules: tuple[Rule, ...] = ()
    quiet: tuple[Window, ...] = ()


def parse(settings: Mapping[str, Any], min_interval_s: int = 1) -> Rhythm | None:
    """The rhythm a column's settings give; None when they give none (CONTRACT §4 as it is).

    Raises ValueError naming the field: "settings.rhythm[1].from: expected …"."""
    zone = _zone(settings.get("timezone"))
    rules = tuple(
        _rule(f"settings.rhythm[{i}]", item, min_interval_s)
        for i, item in enumerate(_list(settings, "rhythm", MAX_RULES))
    )
    quiet = tuple(
        _window(f"settings.quiet[{i}]", item)
        for i, item in enumerate(_list(settings, "quiet", MAX_WINDOWS))
    )
    _check_rule_times(rules)
    _check_windows(quiet)
    if not rules and not quiet:
        return None
    return Rhythm(zone, rules, quiet)


def of_column(settings: Mapping[str, Any] | None) -> Rhythm | None:
    """A stored column's rhythm. Its settings were checked when saved; should they no longer
    read (a zone gone from the system's time zone database), the column keeps publishing at
    its interval rather than every command on it failing."""
    if not settings or not any(key in settings for key in KEYS):
        return None
    try:
        return parse(settings)
    except ValueError:
        return None


def override_until(settings: Mapping[str, Any] | None, point: datetime) -> datetime | None:
    """Until when an interval set at ``point`` (an interval card the poster passed, an editor's
    change of the column's interval) overrides the rhythm rules: the next rule's beginning.
    None without rules: the interval is simply the column's from then on (CONTRACT §4)."""
    found = of_column(settings)
    if found is None or not found.rules:
        return None
    return Calendar(found).next_boundary(point)


def in_force(
    settings: Mapping[str, Any] | None,
    interval_s: int,
    interval_until: datetime | None,
    moment: datetime,
) -> int:
    """The interval (s) in force at ``moment`` for a column's settings, interval and override."""
    found = of_column(settings)
    if found is None or not found.rules or (interval_until is not None and moment < interval_until):
        return interval_s
    return Calendar(found).interval_at(moment)


def _zone(value: Any) -> ZoneInfo:
    if value is None:
        return ZoneInfo("UTC")
    if not isinstance(value, str) or not _ZONE.fullmatch(value):
        raise ValueError(
            f"settings.timezone: expected an IANA time zone such as Europe/Riga, got {value!r}"
        )
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"settings.timezone: unknown time zone {value!r}; expected an IANA name such as "
            "Europe/Riga or America/New_York"
        ) from None


def _list(settings: Mapping[str, Any], key: str, most: int) -> list[Any]:
    value = settings.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"settings.{key}: expected a list, got {type(value).__name__}")
    if len(value) > most:
        raise ValueError(f"settings.{key}: expected at most {most} entries, got {len(value)}")
    return value


def _object(field: str, item: Any, keys: set[str]) -> Mapping[str, Any]:
    if not isinstance(item, Mapping):
        raise ValueError(f"{field}: expected an object, got {type(item).__name__}")
    unknown = sorted(set(item) - keys)
    if unknown:
        raise ValueError(f"{field}: unknown key {unknown[0]!r}; expected {', '.join(sorted(keys))}")
    return item


def _time(field: str, value: Any) -> int:
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            f"{field}: expected a time of day as HH:MM (00:00 to 23:59), got {value!r}"
        )
    return int(match[1]) * 60 + int(match[2])


def _days(field: str, item: Mapping[str, Any]) -> frozenset[int] | None:
    value = item.get("days")
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not value
        or any(day not in DAYS for day in value)
        or len(set(value)) != len(value)
    ):
        raise ValueError(
            f"{field}.days: expected a list of distinct weekdays out of {', '.join(DAYS)}, "
            f"got {value!r}"
        )
    return frozenset(DAYS.index(day) for day in value)


def _rule(field: str, item: Any, min_interval_s: int) -> Rule:
    item = _object(field, item, {"from", "interval_s", "days"})
    if "from" not in item:
        raise ValueError(f"{field}.from: required (HH:MM, when the rule begins)")
    minute = _time(f"{field}.from", item["from"])
    interval = item.get("interval_s")
    if not isinstance(interval, int) or isinstance(interval, bool):
        raise ValueError(
            f"{field}.interval_s: expected a whole number of seconds, got {interval!r}"
        )
    if not min_interval_s <= interval <= MAX_INTERVAL_S:
        raise ValueError(
            f"{field}.interval_s: expected {min_interval_s} to {MAX_INTERVAL_S} s, got {interval}"
        )
    return Rule(minute, interval, _days(field, item))


def _window(field: str, item: Any) -> Window:
    item = _object(field, item, {"from", "to", "days"})
    for key in ("from", "to"):
        if key not in item:
            raise ValueError(f"{field}.{key}: required (HH:MM)")
    start = _time(f"{field}.from", item["from"])
    end = _time(f"{field}.to", item["to"])
    if start == end:
        raise ValueError(f"{field}: an empty window ({item['from']} to {item['to']})")
    return Window(start, end, _days(field, item))


def _for_day(items: tuple[Any, ...], weekday: int) -> list[tuple[int, Any]]:
    """The (index, item) pairs that apply on a weekday: those naming it, else the everyday ones."""
    named = [(i, x) for i, x in enumerate(items) if x.days is not None and weekday in x.days]
    return named or [(i, x) for i, x in enumerate(items) if x.days is None]


def _check_rule_times(rules: tuple[Rule, ...]) -> None:
    for weekday in range(7):
        seen: dict[int, int] = {}
        for i, rule in _for_day(rules, weekday):
            if rule.minute in seen:
                raise ValueError(
                    f"settings.rhythm[{i}].from: {_hhmm(rule.minute)} is already the time of "
                    f"settings.rhythm[{seen[rule.minute]}]"
                )
            seen[rule.minute] = i


def _check_windows(windows: tuple[Window, ...]) -> None:
    """No two windows overlap, and some time in the week is left to publish in."""
    spans: list[tuple[int, int, int]] = []  # (start, end, index) in minutes of the week
    for weekday in range(7):
        for i, window in _for_day(windows, weekday):
            start = weekday * DAY_MINUTES + window.start
            length = (window.end - window.start) % DAY_MINUTES
            spans.append((start, start + length, i))
    spans.sort()
    total = 0
    # A span may run past the week's end: compare each with the next, and the last with the
    # first a week later.
    for k, (start, end, i) in enumerate(spans):
        total += end - start
        later, _, j = spans[(k + 1) % len(spans)]
        if k + 1 == len(spans):
            later += WEEK_MINUTES
        if end > later:
            first, second = sorted((i, j))
            raise ValueError(f"settings.quiet[{second}]: overlaps settings.quiet[{first}]")
    if spans and total >= WEEK_MINUTES:
        raise ValueError("settings.quiet: the windows leave no time to publish")


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass
class _Day:
    """One local day of a rhythm as moments (UTC)."""

    date: date
    start: datetime
    end: datetime  # the next day's start
    bounds: list[datetime]  # when each of the day's rules begins, in order
    intervals: list[int]  # the interval of each
    quiet: list[tuple[datetime, datetime]]  # windows that start this day or run into it


class Calendar:
    """One walk's view of a rhythm. Days are turned into moments as the walk reaches them and
    kept, so a walk of many cards converts few local times; the walk's moments only grow, so
    the day at hand is found by stepping forward."""

    def __init__(self, rhythm: Rhythm) -> None:
        self.zone = rhythm.zone
        self.rules = rhythm.rules
        self.windows = rhythm.quiet
        self._days: dict[date, _Day] = {}
        self._own_quiet: dict[date, list[tuple[datetime, datetime]]] = {}
        self._at: _Day | None = None
        # Per local day: its first moment when the day runs a plain 24 hours, else None.
        self._steady: dict[date, datetime | None] = {}

    @property
    def has_rules(self) -> bool:
        return bool(self.rules)

    def interval_at(self, moment: datetime) -> int:
        """The interval (s) of the last rule begun at or before ``moment``; needs rules."""
        day = self._day_of(moment)
        i = bisect_right(day.bounds, moment)
        if i:
            return day.intervals[i - 1]
        # Before the day's first rule: the last rule of the day before (of the last day with
        # rules, when weekday rules leave days without any).
        when = day.date
        for _ in range(8):
            when -= _ONE_DAY
            earlier = self._day(when)
            if earlier.intervals:
                return earlier.intervals[-1]
        raise ValueError("interval_at: the rhythm has no rules")

    def next_boundary(self, moment: datetime) -> datetime | None:
        """When the first rule after ``moment`` begins (None: no rules)."""
        if not self.rules:
            return None
        day = self._day_of(moment)
        i = bisect_right(day.bounds, moment)
        if i < len(day.bounds):
            return day.bounds[i]
        when = day.date
        for _ in range(8):
            when += _ONE_DAY
            for bound in self._day(when).bounds:
                if bound > moment:
                    return bound
        return None

    def quiet_end(self, moment: datetime) -> datetime | None:
        """The end of the quiet window ``moment`` is in (None: not in one)."""
        for start, end in self._day_of(moment).quiet:
            if start <= moment < end:
                return end
        return None

    def local(self, day: date, minute: int) -> datetime:
        """The first moment at or after a local time of a local day (UTC)."""
        if day in self._steady:
            midnight = self._steady[day]
        else:
            midnight = self._steady[day] = self._steady_midnight(day)
        if midnight is not None:
            return midnight + timedelta(minutes=minute)
        return self._resolve(day, minute)

    def _steady_midnight(self, day: date) -> datetime | None:
        """The day's first moment, when its clocks run a plain 24 hours (no change of offset, so
        a local time is that many minutes after midnight); None on a day the clocks change."""
        start = self._resolve(day, 0)
        end = self._resolve(day + _ONE_DAY, 0)
        if (
            end - start == _ONE_DAY
            and start.astimezone(self.zone).utcoffset() == end.astimezone(self.zone).utcoffset()
        ):
            return start
        return None

    def _resolve(self, day: date, minute: int) -> datetime:
        naive = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
        # fold=0: of a repeated time, the first occurrence.
        moment = naive.replace(tzinfo=self.zone).astimezone(UTC)
        if moment.astimezone(self.zone).replace(tzinfo=None) == naive:
            return moment
        # The clocks skip this time: the first moment after it is when they jump, between the
        # time read with the offset after the jump (earlier) and with the one before (later).
        before = naive.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        return self._jump(min(before, moment), max(before, moment))

    def _jump(self, lo: datetime, hi: datetime) -> datetime:
        """The moment in (lo, hi] at which the zone's offset becomes hi's (to the second)."""
        target = hi.astimezone(self.zone).utcoffset()
        low, high = int(lo.timestamp()), int(hi.timestamp())
        while high - low > 1:
            mid = (low + high) // 2
            if datetime.fromtimestamp(mid, self.zone).utcoffset() == target:
                high = mid
            else:
                low = mid
        return datetime.fromtimestamp(high, UTC)

    def _day_of(self, moment: datetime) -> _Day:
        day = self._at
        if day is not None and day.start <= moment:
            if moment < day.end:
                return day
            for _ in range(2):  # the walk's moments grow: the next day or the one after
                day = self._day(day.date + _ONE_DAY)
                if moment < day.end:
                    self._at = day
                    return day
        day = self._at = self._day(moment.astimezone(self.zone).date())
        return day

    def _day(self, when: date) -> _Day:
        day = self._days.get(when)
        if day is None:
            day = self._days[when] = self._make_day(when)
        return day

    def _make_day(self, when: date) -> _Day:
        start = self.local(when, 0)
        end = self.local(when + _ONE_DAY, 0)
        weekday = when.weekday()
        rules = sorted((rule.minute, i, rule) for i, rule in _for_day(self.rules, weekday))
        bounds = [self.local(when, minute) for minute, _, _ in rules]
        carried = [w for w in self._windows_from(when - _ONE_DAY) if w[1] > start]
        return _Day(
            date=when,
            start=start,
            end=end,
            bounds=bounds,
            intervals=[rule.interval_s for _, _, rule in rules],
            quiet=carried + self._windows_from(when),
        )

    def _windows_from(self, when: date) -> list[tuple[datetime, datetime]]:
        """The quiet windows that start on a local day, as moments."""
        found = self._own_quiet.get(when)
        if found is None:
            found = []
            for _, window in _for_day(self.windows, when.weekday()):
                ends = when if window.end > window.start else when + _ONE_DAY
                found.append((self.local(when, window.start), self.local(ends, window.end)))
            self._own_quiet[when] = found
        return found

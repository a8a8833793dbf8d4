"""The schedule walk of CONTRACT §4 and §8: when each pending card of a column goes out.

Pure: plain values in, plain values out, no clock of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from board.rhythm import Calendar, Rhythm

# A quiet window's end may fall in another window (windows may touch); no rhythm chains more.
_MOST_WINDOWS = 64


@dataclass(frozen=True)
class QueuedCard:
    id: int
    kind: str  # "post" | "interval"
    interval_s: int | None = None
    # An editor's "send now": goes at once, even in a paused or held column, out of the rhythm.
    urgent: bool = False
    # Never goes out at or after this moment: a turn that comes too late is no turn.
    expires_at: datetime | None = None
    # Waits for an editor's approval (board/approval.py): keeps its place, takes no slot.
    waiting: bool = False


@dataclass(frozen=True)
class ColumnClock:
    interval_s: int
    last_sent_at: datetime | None
    # False for a paused column, a held one, a stopped one (credentials rejected) and a drafts
    # inbox.
    running: bool = True
    # The column's time zone, rules and quiet hours (board/rhythm.py); None: §4 as it is.
    rhythm: Rhythm | None = None
    # With rhythm rules: ``interval_s`` overrides them until this moment (an interval card the
    # poster passed, or an editor's change of the interval); None: the rules are in force.
    interval_until: datetime | None = None


@dataclass(frozen=True)
class Plan:
    """What the walk decided for each card."""

    etas: dict[int, datetime | None]
    # The cards a quiet window moved: the moment the rhythm gave each before it moved to the
    # window's end.
    quieted: dict[int, datetime] = field(default_factory=dict)


def walk(
    column: ColumnClock,
    cards: Sequence[QueuedCard],
    now: datetime,
    min_lead: timedelta = timedelta(0),
) -> dict[int, datetime | None]:
    """Each card's eta, in queue order (``plan``'s etas)."""
    return plan(column, cards, now, min_lead).etas


def plan(
    column: ColumnClock,
    cards: Sequence[QueuedCard],
    now: datetime,
    min_lead: timedelta = timedelta(0),
) -> Plan:
    """Each card's eta, in queue order, and the cards a quiet window moved.

    A post goes out at max(prev + I(prev), now + lead) (no prev: now + lead) and becomes prev;
    I(prev) is the interval in force at prev: the column's, or with rhythm rules the rule's of
    that local time. An eta inside a quiet window moves to the window's end.
    An interval card sets the interval from its point: for good without rules, until the next
    rule begins with them. Its eta is the moment it takes effect.
    A post whose eta would not come before its expires_at takes no slot (no eta, prev stays),
    and so does a card waiting for approval. A column that isn't running has no etas.
    """
    calendar = Calendar(column.rhythm) if column.rhythm is not None else None
    rules = calendar if calendar is not None and calendar.has_rules else None
    quiet = calendar if calendar is not None and calendar.windows else None
    interval = timedelta(seconds=column.interval_s)
    # With rules, ``interval`` is in force only before ``until`` (None: not at all).
    until = column.interval_until
    prev = column.last_sent_at
    earliest = now + min_lead
    etas: dict[int, datetime | None] = {}
    quieted: dict[int, datetime] = {}
    steps: dict[int, timedelta] = {}
    for card in cards:
        if card.waiting:
            etas[card.id] = None
            continue
        if card.urgent and card.kind == "post":
            eta = now
        elif not column.running:
            etas[card.id] = None
            continue
        elif card.kind == "interval":
            interval = timedelta(seconds=card.interval_s or column.interval_s)
            point = max(prev, earliest) if prev is not None else earliest
            etas[card.id] = point
            if rules is not None:
                until = rules.next_boundary(point)
            continue
        elif prev is None:
            eta = earliest
        else:
            if rules is None or (until is not None and prev < until):
                step = interval
            else:
                seconds = rules.interval_at(prev)
                step = steps.get(seconds) or steps.setdefault(seconds, timedelta(seconds=seconds))
            eta = max(prev + step, earliest)
        if quiet is not None and not card.urgent:
            given = eta
            for _ in range(_MOST_WINDOWS):
                end = quiet.quiet_end(eta)
                if end is None:
                    break
                eta = end
            if eta != given:
                quieted[card.id] = given
        if not _in_time(card, eta):
            etas[card.id] = None
            quieted.pop(card.id, None)
            continue
        etas[card.id] = eta
        prev = eta
    return Plan(etas, quieted)


def _in_time(card: QueuedCard, eta: datetime) -> bool:
    """Whether a card may still go out at ``eta`` (strictly before its expiry)."""
    return card.expires_at is None or eta < card.expires_at

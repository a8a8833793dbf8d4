"""The schedule walk of CONTRACT §4: when each pending card of a column goes out.

Pure: plain values in, plain values out, no clock of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class QueuedCard:
    id: int
    kind: str  # "post" | "interval"
    interval_s: int | None = None
    # An editor's "send now": goes at once, even in a paused or held column, out of the rhythm.
    urgent: bool = False
    # Never goes out at or after this moment: a turn that comes too late is no turn.
    expires_at: datetime | None = None


@dataclass(frozen=True)
class ColumnClock:
    interval_s: int
    last_sent_at: datetime | None
    # False for a paused column, a held one, a stopped one (credentials rejected) and a drafts
    # inbox.
    running: bool = True


def walk(
    column: ColumnClock,
    cards: Sequence[QueuedCard],
    now: datetime,
    min_lead: timedelta = timedelta(0),
) -> dict[int, datetime | None]:
    """Each card's eta, in queue order.

    A post goes out at max(prev + I, now + lead) (no prev: now + lead) and becomes prev.
    An interval card changes I from there on; its eta is the moment it takes effect.
    A post whose eta would not come before its expires_at takes no slot (no eta, prev stays).
    A column that isn't running has no etas.
    """
    interval = timedelta(seconds=column.interval_s)
    prev = column.last_sent_at
    earliest = now + min_lead
    etas: dict[int, datetime | None] = {}
    for card in cards:
        if card.urgent and card.kind == "post":
            eta = now
        elif not column.running:
            etas[card.id] = None
            continue
        elif card.kind == "interval":
            interval = timedelta(seconds=card.interval_s or column.interval_s)
            etas[card.id] = max(prev, earliest) if prev is not None else earliest
            continue
        else:
            eta = earliest if prev is None else max(prev + interval, earliest)
        if not _in_time(card, eta):
            etas[card.id] = None
            continue
        etas[card.id] = eta
        prev = eta
    return etas


def _in_time(card: QueuedCard, eta: datetime) -> bool:
    """Whether a card may still go out at ``eta`` (strictly before its expiry)."""
    return card.expires_at is None or eta < card.expires_at

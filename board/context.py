"""What every command runs with: its transaction, who asked, when, and what it changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from board import rhythm, rows, schedule
from board.db import Db
from board.patch import PatchBuilder
from board.secretbox import SecretBox


@dataclass(frozen=True)
class Actor:
    id: int
    email: str
    role: str


# Checks a column's settings and secrets for its kind; raises ValueError saying what is wrong.
# Injected: board/ knows no adapters (the composition root hands in platforms' own checks).
CheckSettings = Callable[[str, dict[str, Any], dict[str, Any]], Awaitable[None]]


async def _no_check(kind: str, settings: dict[str, Any], secrets: dict[str, Any]) -> None:
    return None


@dataclass(frozen=True)
class BoardConfig:
    min_interval_s: int
    min_lead: timedelta
    box: SecretBox
    check_settings: CheckSettings = _no_check
    # The longest text each kind of network takes (the card's counter in the page).
    text_limits: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """What the events table records of a change: the op and its (redacted) arguments."""

    op: str
    args: Any


@dataclass
class Ctx:
    # The unit of work's transaction (board/unit.py).
    db: Db
    actor: Actor
    now: datetime
    config: BoardConfig
    # Recorded in events when the unit commits (None: nothing to record).
    event: Event | None = None
    patch: PatchBuilder = field(default_factory=PatchBuilder)
    # Columns whose poster must look at its queue again.
    wake: set[int] = field(default_factory=set)
    # Column rows this command locked and has not changed since: reschedule reads them here.
    columns: dict[int, Any] = field(default_factory=dict)

    async def platform_changed(self, old: Any, platform_id: int) -> Any:
        """Re-read a column and record its change in the patch; returns the new row."""
        new = await rows.platform_row(self.db, platform_id)
        self.columns[platform_id] = new
        limits = self.config.text_limits
        self.patch.change(
            "platforms",
            platform_id,
            rows.platform_state(old, limits) if old is not None else None,
            rows.platform_state(new, limits),
        )
        self.wake.add(platform_id)
        return new

    def column_changed(self, old: Any, new: Any) -> None:
        """Record a column's change from its rows before and after; it is rescheduled from ``new``."""
        self.columns[new.id] = new
        limits = self.config.text_limits
        self.patch.change(
            "platforms", new.id, rows.platform_state(old, limits), rows.platform_state(new, limits)
        )
        self.wake.add(new.id)

    def snippet_changed(self, old: Any, new: Any) -> None:
        """Record one card's change from its rows before and after (None: not there)."""
        self.patch.change(
            "snippets",
            (new if new is not None else old).id,
            rows.snippet_state(old) if old is not None else None,
            rows.snippet_state(new) if new is not None else None,
        )

    async def snippets_changed(self, old: dict[int, Any], ids: list[int] | None = None) -> None:
        """Re-read cards and record their changes; ``old`` holds rows read before the change."""
        ids = ids if ids is not None else list(old)
        new = await rows.snippet_rows(self.db, ids)
        for snippet_id in ids:
            before = old.get(snippet_id)
            self.patch.change(
                "snippets",
                snippet_id,
                rows.snippet_state(before) if before is not None else None,
                rows.snippet_state(new[snippet_id]) if snippet_id in new else None,
            )

    async def reschedule(self, *platform_ids: int) -> None:
        """Walk each column's queue again; store and patch every eta that moved.

        The columns are read in one query, their queues in another, the moved etas written
        in a third: a hold or a breaking post over hundreds of columns costs what one does."""
        ids = sorted(set(platform_ids))
        if not ids:
            return
        self.wake.update(ids)
        missing = [platform_id for platform_id in ids if platform_id not in self.columns]
        if missing:
            self.columns.update(await rows.platform_rows(self.db, missing))
        queues = await rows.queues(self.db, ids)
        moved: list[tuple[int, Any, Any, Any, Any]] = []
        for platform_id in ids:
            column = self.columns[platform_id]
            queue = queues.get(platform_id, [])
            plan = schedule.plan(
                column_clock(column), queued_cards(queue), self.now, self.config.min_lead
            )
            for r in queue:
                eta, quiet = plan.etas[r.id], plan.quieted.get(r.id)
                if r.eta != eta or r.eta_before_quiet != quiet:
                    moved.append((r.id, r.eta, eta, r.eta_before_quiet if r.eta else None, quiet))
        if not moved:
            return
        await self.db.execute(
            "UPDATE snippets AS s SET eta = v.eta, eta_before_quiet = v.quiet"
            " FROM unnest($1::integer[], $2::timestamptz[], $3::timestamptz[]) AS v(id, eta, quiet)"
            " WHERE s.id = v.id",
            [m[0] for m in moved],
            [m[2] for m in moved],
            [m[4] for m in moved],
        )
        for snippet_id, before, after, quiet_before, quiet_after in moved:
            self.patch.change_fields(
                "snippets",
                snippet_id,
                {"eta": rows.iso(before), "eta_before_quiet": rows.iso(quiet_before)},
                {"eta": rows.iso(after), "eta_before_quiet": rows.iso(quiet_after)},
            )


def column_clock(column: Any) -> schedule.ColumnClock:
    """What the walk needs of a column row: its interval, last send, whether it runs, rhythm."""
    return schedule.ColumnClock(
        interval_s=column.interval_s,
        last_sent_at=column.last_sent_at,
        running=is_running(column),
        rhythm=rhythm.of_column(column.settings),
        interval_until=column.interval_until,
    )


def queued_cards(queue: Sequence[Any]) -> list[schedule.QueuedCard]:
    """A column's pending cards (rows.queue) as the walk takes them."""
    return [
        schedule.QueuedCard(
            r.id, r.kind, r.interval_s, bool(r.urgent), r.expires_at, waiting=r.waiting
        )
        for r in queue
    ]


def is_running(column: Any) -> bool:
    """Whether a column's timer runs: not paused, not held, not stopped, not an inbox."""
    return running(column.paused, column.status, column.kind, bool(column.hold_ids))


def running(paused: bool, status: str, kind: str, held: bool = False) -> bool:
    return not paused and not held and status == "ok" and kind != "drafts"

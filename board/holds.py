"""Holds (CONTRACT §7): stop the queues of many columns at once, with a reason for everyone.

A hold is a row in ``holds``; each column it covers lists it in ``platforms.hold_ids``, so a
column's own row says whether it runs (board/context.py ``is_running``) and the poster reads
no more than before. A held column's pending cards have no eta, exactly as in a paused one;
a "send now" card goes past it. Releasing walks the queues again from ``last_sent_at``, so
the no-burst rule of §4 holds: the next card goes at max(last send + interval, now + lead).

A hold's ``until`` lives in the database. Every instance's timer (poster/holds.py) calls
``release_due`` when it comes; the conditional UPDATE (``released_at IS NULL``), made under
the columns' locks, lets exactly one of them release it, through restarts too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from board import rows
from board.args import Args
from board.context import Actor, Ctx, Event
from board.db import Db, fetch, fetchrow
from board.errors import BadRequest, NotFound

MAX_REASON = 200
# Who releases a hold at its `until` (recorded in events with no user).
TIMER = Actor(id=0, email="hold timer", role="admin")

_HOLD_SELECT = (
    "SELECT h.*, u.email AS user_email FROM holds h LEFT JOIN users u ON u.id = h.user_id"
)


def hold_state(row: Any) -> dict[str, Any]:
    """A hold as the state's ``holds`` shows it (``user_email`` beside the contract's fields)."""
    return {
        "id": row["id"],
        "reason": row["reason"],
        "platform_ids": list(row["platform_ids"]),
        "user_id": row["user_id"],
        "user_email": row["user_email"],
        "created_at": rows.iso(row["created_at"]),
        "until": rows.iso(row["until"]),
    }


async def holds_state(db: Db) -> dict[str, Any]:
    """The holds in force, for the full state (a key that is null is left out)."""
    found = await fetch(db, _HOLD_SELECT + " WHERE h.released_at IS NULL ORDER BY h.id")
    return {str(r.id): {k: v for k, v in hold_state(r).items() if v is not None} for r in found}


# --- the arguments --------------------------------------------------------------------


def reason_arg(args: Args) -> str:
    reason: str = args.str("reason", max_len=MAX_REASON, allow_empty=False)
    return reason.strip()


def until_arg(args: Args, now: datetime) -> datetime | None:
    until = args.time("until")
    if until is not None and until <= now:
        raise BadRequest(
            f"{args.op}: expected until to be in the future, got {rows.iso(until)}"
            f" (now {rows.iso(now)})"
        )
    return until


async def publishing_columns(db: Db, args: Args, *, required: bool) -> list[int]:
    """The columns ``platform_ids`` names, checked (each exists and publishes: no drafts
    inbox), in id order. Absent (or null) and not required: every column that publishes at
    this moment (a column added later is not held)."""
    if args.raw.get("platform_ids") is None and not required:
        found = await db.fetch(
            "SELECT id FROM platforms WHERE deleted_at IS NULL AND kind <> 'drafts' ORDER BY id"
        )
        if not found:
            raise BadRequest(f"{args.op}: platform_ids: there is no column that publishes")
        return [r["id"] for r in found]
    wanted = sorted(set(args.int_list("platform_ids", max_items=10_000)))
    if not wanted:
        raise BadRequest(f"{args.op}: platform_ids must name at least one column")
    kinds = {
        r["id"]: r["kind"]
        for r in await db.fetch(
            "SELECT id, kind FROM platforms WHERE id = ANY($1::int[]) AND deleted_at IS NULL",
            wanted,
        )
    }
    for platform_id in wanted:
        if platform_id not in kinds:
            raise BadRequest(f"{args.op}: platform_ids: no column with id {platform_id}")
        if kinds[platform_id] == "drafts":
            raise BadRequest(
                f"{args.op}: platform_ids: column {platform_id} is a drafts inbox,"
                " which publishes nothing"
            )
    return wanted


# --- placing and ending a hold ----------------------------------------------------------


async def place(ctx: Ctx, reason: str, platform_ids: list[int], until: datetime | None) -> int:
    """Hold these columns (already locked, in ``ctx.columns``); returns the hold's id."""
    row = await fetchrow(
        ctx.db,
        "INSERT INTO holds (reason, platform_ids, user_id, created_at, until)"
        " VALUES ($1, $2::int[], $3, $4, $5) RETURNING *",
        reason,
        platform_ids,
        ctx.actor.id or None,
        ctx.now,
        until,
    )
    assert row is not None
    await _retag(ctx, "array_append(hold_ids, $1)", row.id, platform_ids)
    ctx.patch.change("holds", row.id, None, hold_state({**row, "user_email": ctx.actor.email}))
    await ctx.reschedule(*platform_ids)
    return int(row.id)


async def _retag(ctx: Ctx, expression: str, hold_id: int, platform_ids: Iterable[int]) -> None:
    """Add or remove a hold in its columns' ``hold_ids``; the new rows go to ``ctx.columns``
    for the walk (the state shows holds in ``holds``, not in the columns)."""
    for new in await fetch(
        ctx.db,
        f"UPDATE platforms SET hold_ids = {expression} WHERE id = ANY($2::int[])"
        " AND deleted_at IS NULL RETURNING *",
        hold_id,
        list(platform_ids),
    ):
        ctx.column_changed(ctx.columns[new.id], new)


async def _end(ctx: Ctx, hold: Any, *, due: bool) -> bool:
    """End a hold: False when it had ended already (or, ``due``, is not due yet)."""
    # The columns first, in id order, as every change of a queue locks them.
    ctx.columns.update(await _lock_live(ctx.db, hold.platform_ids))
    ended = await ctx.db.fetchval(
        "UPDATE holds SET released_at = $2, released_by = $3 WHERE id = $1"
        " AND released_at IS NULL" + (" AND until <= $2" if due else "") + " RETURNING id",
        hold.id,
        ctx.now,
        None if due else ctx.actor.id or None,
    )
    if ended is None:
        return False
    await _retag(ctx, "array_remove(hold_ids, $1)", hold.id, hold.platform_ids)
    ctx.patch.change("holds", hold.id, {"id": hold.id}, None)
    await ctx.reschedule(*ctx.columns.keys() & set(hold.platform_ids))
    return True


async def _lock_live(db: Db, platform_ids: Iterable[int]) -> dict[int, Any]:
    """Lock the columns that still exist (a deleted one needs no release)."""
    return {
        r.id: r
        for r in await fetch(
            db,
            "SELECT * FROM platforms WHERE id = ANY($1::int[]) AND deleted_at IS NULL"
            " ORDER BY id FOR UPDATE",
            sorted(set(platform_ids)),
        )
    }


# --- the ops and the timer's step ----------------------------------------------------------


async def hold(ctx: Ctx, args: Args) -> dict[str, Any]:
    reason = reason_arg(args)
    until = until_arg(args, ctx.now)
    platform_ids = await publishing_columns(ctx.db, args, required=False)
    ctx.columns.update(await rows.lock_platforms(ctx.db, platform_ids))
    return {"id": await place(ctx, reason, platform_ids, until)}


async def release(ctx: Ctx, args: Args) -> dict[str, Any]:
    hold_id = args.int("id")
    row = await fetchrow(ctx.db, "SELECT * FROM holds WHERE id = $1", hold_id)
    if row is None:
        raise NotFound(f"no hold with id {hold_id}")
    # Released already (by someone else, or by its end time): nothing left to do.
    released = await _end(ctx, row, due=False)
    return {"id": hold_id, "released": released}


async def due_holds(db: Db, now: datetime) -> tuple[list[int], datetime | None]:
    """The holds whose ``until`` has come, and the next ``until`` after now (None: none)."""
    found = await db.fetch(
        "SELECT id, until FROM holds WHERE released_at IS NULL AND until IS NOT NULL"
        " ORDER BY until, id"
    )
    due = [r["id"] for r in found if r["until"] <= now]
    later = next((r["until"] for r in found if r["until"] > now), None)
    return due, later


async def release_due(ctx: Ctx, hold_id: int) -> bool:
    """The timer's step: end the hold if its ``until`` has come and nobody ended it first.
    Recorded as ``board.release`` with no user; True when this call released it."""
    row = await fetchrow(ctx.db, "SELECT * FROM holds WHERE id = $1", hold_id)
    if row is None or row.released_at is not None or not await _end(ctx, row, due=True):
        return False
    ctx.event = Event("board.release", {"id": hold_id, "by": "until"})
    return True

"""Cards that expire (CONTRACT §7): ``expires_at`` as commands take it, and the expiry step.

A card never goes out at or after its ``expires_at``: the walk (board/schedule.py) gives it no
slot it would reach too late, the poster's take refuses it, and when the moment comes while
it waits, the column's poster makes it ``expired`` — woken for it, since its next deadline is
the earlier of the head's eta and the column's next expiry (``publishing.heads``), never by
polling. An expired card leaves the queue like a failed one; ``snippet.retry`` puts it back
at the top with its expiry cleared.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from board import rows
from board.args import Args
from board.context import Ctx
from board.db import fetch
from board.errors import BadRequest


def expires_at(args: Args, now: datetime) -> datetime | None:
    """The command's ``expires_at`` (None: absent or null), which must lie ahead."""
    value = args.time("expires_at")
    if value is not None and value <= now:
        raise BadRequest(
            f"{args.op}: expected expires_at to be in the future, got {rows.iso(value)}"
            f" (now {rows.iso(now)})"
        )
    return value


def too_late(card: Any, now: datetime) -> bool:
    """Whether a card's expiry has come: it must not go out any more."""
    return card.expires_at is not None and card.expires_at <= now


async def expire_due(ctx: Ctx, platform_id: int) -> list[int]:
    """The column's pending cards whose expiry has come become ``expired``; the cards behind
    them move up. Returns their ids (none: someone changed them first)."""
    # The column first, as every change to a queue locks it: no deadlock with a move or a take.
    column = await rows.lock_platforms(ctx.db, [platform_id])
    ctx.columns.update(column)
    due = {
        r.id: r
        for r in await fetch(
            ctx.db,
            rows.SNIPPET_SELECT + " WHERE s.platform_id = $1 AND s.status = 'pending'"
            " AND s.expires_at <= $2 FOR UPDATE OF s",
            platform_id,
            ctx.now,
        )
    }
    if not due:
        return []
    await ctx.db.execute(
        "UPDATE snippets SET status = 'expired', eta = NULL, finished_at = $2,"
        " version = version + 1, updated_at = $2 WHERE id = ANY($1::int[])",
        list(due),
        ctx.now,
    )
    await ctx.snippets_changed(due)
    await ctx.reschedule(platform_id)
    return sorted(due)

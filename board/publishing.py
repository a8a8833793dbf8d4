"""The publishing side of the board: the poster's transitions and the editors' publishing ops.

Every transition is one transaction that locks the column row first (as editors' commands
do), so a poster and an editor never act on a stale view of the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from board import approval, expiry, rhythm, rows, urls
from board.args import Args
from board.context import Ctx, is_running, running
from board.db import Db, fetch, fetchrow, set_clause
from board.errors import Conflict

# Keys of meta an outcome replaces: a retried card does not keep its old error.
OUTCOME_KEYS = ("error", "remote_id", "remote_url", "send_now")


@dataclass(frozen=True)
class Head:
    """What a poster needs to decide when to act next."""

    platform_id: int
    running: bool
    urgent: bool
    snippet_id: int | None
    kind: str | None
    eta: datetime | None
    status: str
    # The earliest expires_at among the column's pending cards: the poster wakes for it too.
    next_expiry: datetime | None = None


async def head(db: Db, platform_id: int) -> Head | None:
    """The column's first pending card (None: the column is gone)."""
    return (await heads(db, [platform_id])).get(platform_id)


class Fenced(Exception):
    """This instance no longer leads the column: it must not mark anything `sending`."""


_FENCED_COLUMN = (
    "SELECT p.* FROM platforms AS p JOIN column_leaders AS cl ON cl.platform_id = p.id"
    " WHERE p.id = $1 AND p.deleted_at IS NULL AND cl.owner = $2 AND cl.epoch = $3"
    " FOR UPDATE OF p FOR SHARE OF cl"
)

# The head is the first pending card that takes a slot: a post the walk gave no eta (one
# that would expire before its turn, one waiting for approval) is passed over, and the cards
# behind it move up. A waiting card is named too: nothing publishes it, whatever its eta says.
_IN_LINE = "(s.kind = 'interval' OR s.eta IS NOT NULL) AND s.approval = 'approved'"

_HEAD = (
    "SELECT s.*, u.email AS user_email, m.title AS material_title, m.lead AS material_lead"
    " FROM snippets s LEFT JOIN users u ON u.id = s.user_id"
    " LEFT JOIN materials m ON m.id = s.material_id"
    f" WHERE s.platform_id = $1 AND s.status = 'pending' AND {_IN_LINE}"
    " ORDER BY s.ord, s.id LIMIT 1 FOR UPDATE OF s"
)


async def take(
    ctx: Ctx, platform_id: int, snippet_id: int, fence: tuple[str, int]
) -> tuple[Any, Any] | None:
    """Apply interval cards at the head, then mark the head post `sending` if it is due.

    Returns (the card with its material, the column) when taken, else None (not due, moved,
    paused): the caller plans again. Raises Fenced when another instance leads the column.
    """
    owner, epoch = fence
    column = await fetchrow(ctx.db, _FENCED_COLUMN, platform_id, owner, epoch)
    if column is None:
        raise Fenced(f"column {platform_id} is led elsewhere now (or was deleted)")
    while True:
        card = await fetchrow(ctx.db, _HEAD, platform_id)
        if card is None:
            return None
        urgent = bool((card.meta or {}).get("send_now"))
        if not (is_running(column) or (urgent and column.status == "ok")):
            return None
        if card.kind == "interval":
            column = await apply_marker(ctx, column, card)
            continue
        if card.id != snippet_id or (not urgent and (card.eta is None or card.eta > ctx.now)):
            return None
        if expiry.too_late(card, ctx.now):  # a late poster must not publish it: it expires
            return None
        break
    meta = {**(card.meta or {}), "attempt": int((card.meta or {}).get("attempt", 1))}
    await ctx.db.execute(
        "UPDATE snippets SET status = 'sending', version = version + 1, updated_at = $2, meta = $3 WHERE id = $1",
        card.id,
        ctx.now,
        meta,
    )
    before = rows.snippet_state(card)
    assert before is not None
    after = {
        **before,
        "status": "sending",
        "version": card.version + 1,
        "updated_at": rows.iso(ctx.now),
        "meta": meta,
    }
    ctx.patch.change("snippets", card.id, before, after)
    return card, column


async def apply_marker(ctx: Ctx, column: Any, card: Any) -> Any:
    """An interval card reached the head: the column takes its interval (with rhythm rules,
    until the next rule begins after the card's point); the card is done.
    Returns the column's new row."""
    new_column = await fetchrow(
        ctx.db,
        "UPDATE platforms SET interval_s = $2, interval_until = $4, version = version + 1,"
        " updated_at = $3 WHERE id = $1 RETURNING *",
        column.id,
        card.interval_s,
        ctx.now,
        rhythm.override_until(column.settings, card.eta or ctx.now),
    )
    new = await fetchrow(
        ctx.db,
        _UPDATED_CARD.format(
            sets="status = 'sent', finished_at = $2, eta = NULL, version = version + 1, updated_at = $2",
            where="",
        ),
        card.id,
        ctx.now,
    )
    ctx.snippet_changed(card, new)
    ctx.column_changed(column, new_column)
    await ctx.reschedule(column.id)
    return new_column


# An UPDATE of one card returning its new row the way rows.SNIPPET_SELECT reads it.
_UPDATED_CARD = (
    "WITH s AS (UPDATE snippets SET {sets} WHERE id = $1{where} RETURNING *)"
    " SELECT s.*, u.email AS user_email FROM s LEFT JOIN users u ON u.id = s.user_id"
)


async def finish(
    ctx: Ctx,
    platform_id: int,
    snippet_id: int,
    status: str,
    *,
    meta: dict[str, Any],
    column_status: tuple[str, str | None] | None = None,
    count_as_send: bool = True,
    fence: tuple[str, int] | None = None,
) -> bool:
    """Record a publish outcome; False if the card is no longer ours (someone resolved it).

    With ``fence`` (the poster's (owner, epoch) when it took the card), raises Fenced when the
    column has been led by another instance since: that one reconciles the card."""
    if fence is None:
        column = await rows.platform_row(ctx.db, platform_id, lock=True)
    else:
        fenced = await fetchrow(ctx.db, _FENCED_COLUMN, platform_id, *fence)
        if fenced is None:
            raise Fenced(f"column {platform_id} is led elsewhere now (or was deleted)")
        column = fenced
    ctx.columns[platform_id] = column
    # A network's answer reaches the page as a link only if it is http(s) (board/urls.py).
    meta = urls.safe_meta(meta)
    old = await rows.snippet_rows(ctx.db, [snippet_id])
    sets = "status = $2, version = version + 1, updated_at = $3, meta = (meta - $4::text[]) || $5::jsonb"
    if status in ("sent", "failed", "needs_check"):
        sets += ", finished_at = $3, eta = NULL"
    new = await fetchrow(
        ctx.db,
        _UPDATED_CARD.format(sets=sets, where=" AND status = 'sending'"),
        snippet_id,
        status,
        ctx.now,
        list(OUTCOME_KEYS),
        meta,
    )
    if new is None:
        return False
    column_sets: list[str] = []
    params: list[Any] = []
    if count_as_send:
        params.append(ctx.now)
        column_sets.append(f"last_sent_at = ${len(params) + 1}")
    if column_status is not None:
        # A status change is an edit of the column; a send time is not (no version bump, so
        # an admin's settings edit in flight does not conflict with every publish).
        params.extend(column_status)
        column_sets.append(
            f"status = ${len(params)}, status_message = ${len(params) + 1}, version = version + 1"
        )
    if column_sets:
        new_column = await fetchrow(
            ctx.db,
            f"UPDATE platforms SET {', '.join(column_sets)} WHERE id = $1 RETURNING *",
            platform_id,
            *params,
        )
        ctx.column_changed(column, new_column)
    ctx.snippet_changed(old.get(snippet_id), new)
    await ctx.reschedule(platform_id)
    return True


async def set_column_note(ctx: Ctx, platform_id: int, message: str | None) -> None:
    """A line under the column's name (a rate limit being waited out); not a status change."""
    column = ctx.columns.get(platform_id) or await rows.platform_row(ctx.db, platform_id, lock=True)
    if column.status_message == message:
        return
    new_column = await fetchrow(
        ctx.db,
        "UPDATE platforms SET status_message = $2, version = version + 1 WHERE id = $1 RETURNING *",
        platform_id,
        message,
    )
    ctx.column_changed(column, new_column)


async def stuck_sending(db: Db, platform_id: int) -> list[Any]:
    """Cards left `sending` by a poster that died mid-publish, with the code of their tracked
    link (``link_code``; None: not tracked)."""
    return await fetch(
        db,
        "SELECT s.*, m.title AS material_title, m.lead AS material_lead,"
        " (SELECT code FROM links l WHERE l.snippet_id = s.id ORDER BY l.created_at DESC LIMIT 1)"
        " AS link_code FROM snippets s LEFT JOIN materials m ON m.id = s.material_id"
        " WHERE s.platform_id = $1 AND s.status = 'sending'",
        platform_id,
    )


# --- the editors' publishing ops ------------------------------------------------------


async def _card(ctx: Ctx, args: Args) -> Any:
    snippet_id = args.int("id")
    first = await rows.snippet_row(ctx.db, snippet_id)
    await rows.lock_platforms(ctx.db, [first.platform_id])
    return await rows.snippet_row(ctx.db, snippet_id, lock=True)


async def _to_top(ctx: Ctx, card: Any, **values: Any) -> None:
    from board.cards import top_ord

    old = await rows.snippet_rows(ctx.db, [card.id])
    ord_ = await top_ord(ctx, card.platform_id, card.id)
    sets, params = set_clause(
        {**values, "ord": ord_, "updated_at": ctx.now, "user_id": ctx.actor.id}, 2
    )
    await ctx.db.execute(
        f"UPDATE snippets SET {sets}, version = version + 1 WHERE id = $1", card.id, *params
    )
    await ctx.snippets_changed(old)
    await ctx.reschedule(card.platform_id)


def _outcome_cleared(meta: Any, **values: Any) -> dict[str, Any]:
    """``meta`` without the previous outcome's keys, plus ``values``."""
    return {**{k: v for k, v in (meta or {}).items() if k not in OUTCOME_KEYS}, **values}


async def send_now(ctx: Ctx, args: Args) -> dict[str, Any]:
    card = await _card(ctx, args)
    if card.status != "pending" or card.kind != "post":
        raise Conflict(
            f"{args.op}: card {card.id} is {card.status}; only a pending post can be sent now"
        )
    approval.refuse_waiting(args, card)
    await _to_top(ctx, card, meta={**(card.meta or {}), "send_now": True})
    return {"id": card.id}


async def retry(ctx: Ctx, args: Args) -> dict[str, Any]:
    card = await _card(ctx, args)
    if card.status not in ("failed", "needs_check", "expired"):
        raise Conflict(
            f"{args.op}: card {card.id} is {card.status};"
            " only failed, needs_check or expired cards are retried"
        )
    attempt = int((card.meta or {}).get("attempt", 1)) + 1
    # A new attempt number: an editor's deliberate resend gets a fresh idempotency key.
    await _to_top(
        ctx,
        card,
        status="pending",
        finished_at=None,
        expires_at=None,  # an expired card put back is the editor's call: it goes
        meta=_outcome_cleared(card.meta, attempt=attempt),
    )
    return {"id": card.id}


async def mark_sent(ctx: Ctx, args: Args) -> dict[str, Any]:
    card = await _card(ctx, args)
    if card.status != "needs_check":
        raise Conflict(f"{args.op}: card {card.id} is {card.status}, not needs_check")
    remote_url = args.url("remote_url")
    extra: dict[str, Any] = {"checked_by": ctx.actor.email}
    if remote_url:
        extra["remote_url"] = remote_url
    old = await rows.snippet_rows(ctx.db, [card.id])
    meta = {**{k: v for k, v in (card.meta or {}).items() if k != "error"}, **extra}
    await ctx.db.execute(
        "UPDATE snippets SET status = 'sent', version = version + 1, updated_at = $2, user_id = $3, meta = $4"
        " WHERE id = $1",
        card.id,
        ctx.now,
        ctx.actor.id,
        meta,
    )
    await ctx.snippets_changed(old)
    return {"id": card.id}


async def heads(db: Db, platform_ids: list[int]) -> dict[int, Head]:
    """Head of many columns in one query: how a restart arms thousands of posters quickly."""
    if not platform_ids:
        return {}
    result = {}
    # Unpacked by position: 10,000 rows at a restart, where attribute lookups add up.
    for (
        pid,
        kind,
        paused,
        status,
        held,
        head_id,
        head_kind,
        head_eta,
        urgent,
        expires,
    ) in await db.fetch(
        "SELECT p.id, p.kind, p.paused, p.status, cardinality(p.hold_ids) > 0, h.id, h.kind,"
        " h.eta, h.urgent, (SELECT min(x.expires_at) FROM snippets x WHERE x.platform_id = p.id"
        "  AND x.status = 'pending' AND x.expires_at IS NOT NULL)"
        " FROM platforms p LEFT JOIN LATERAL ("
        "  SELECT s.id, s.kind, s.eta, (s.meta->>'send_now')::boolean AS urgent FROM snippets s"
        f"  WHERE s.platform_id = p.id AND s.status = 'pending' AND {_IN_LINE}"
        "  ORDER BY s.ord, s.id LIMIT 1) h ON true WHERE p.id = ANY($1::int[]) AND p.deleted_at IS NULL",
        list(platform_ids),
    ):
        result[pid] = Head(
            platform_id=pid,
            running=running(paused, status, kind, held),
            status=status,
            urgent=bool(urgent),
            snippet_id=head_id,
            kind=head_kind,
            eta=head_eta,
            next_expiry=expires,
        )
    return result


async def columns_with_sending(db: Db, platform_ids: list[int]) -> set[int]:
    return {
        r["platform_id"]
        for r in await db.fetch(
            "SELECT DISTINCT platform_id FROM snippets WHERE platform_id = ANY($1::int[]) AND status = 'sending'",
            list(platform_ids),
        )
    }


async def publishable_columns(db: Db) -> list[int]:
    """Columns that have a poster: every live column but the drafts inboxes."""
    return [
        r["id"]
        for r in await db.fetch(
            "SELECT id FROM platforms WHERE deleted_at IS NULL AND kind <> 'drafts' ORDER BY id"
        )
    ]


async def kinds_in_use(db: Db) -> list[str]:
    return [
        r["kind"]
        for r in await db.fetch(
            "SELECT DISTINCT kind FROM platforms WHERE deleted_at IS NULL AND kind <> 'drafts'"
        )
    ]


async def kinds_of(db: Db, platform_ids: list[int]) -> dict[int, str]:
    """The kinds of these live columns (a column deleted meanwhile is left out)."""
    return {
        r["id"]: r["kind"]
        for r in await db.fetch(
            "SELECT id, kind FROM platforms WHERE id = ANY($1::int[]) AND deleted_at IS NULL",
            list(platform_ids),
        )
    }


async def column_row(db: Db, platform_id: int) -> Any | None:
    return await fetchrow(db, rows.PLATFORM_SELECT, platform_id)


async def abandon_sending(ctx: Ctx, platform_ids: list[int]) -> list[int]:
    """At shutdown: cards still `sending` in these columns become needs_check (never resent)."""
    if not platform_ids:
        return []
    ids = [
        r["id"]
        for r in await ctx.db.fetch(
            "SELECT id FROM snippets WHERE platform_id = ANY($1::int[]) AND status = 'sending'",
            list(platform_ids),
        )
    ]
    for snippet_id in ids:
        card = await rows.snippet_row(ctx.db, snippet_id)
        await finish(
            ctx,
            card.platform_id,
            snippet_id,
            "needs_check",
            meta={"error": "outcome unknown: the server stopped while publishing"},
        )
    return ids

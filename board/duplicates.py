"""The duplicate-link warning: a card whose link this column already sent or still holds.

It is a warning, never a refusal: a correction or a follow-up may rightly share a link. The
card carries ``meta.duplicate = {"snippet_id", "status"}`` (the earlier card) and the command
that put it there answers with ``warning``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update

from board.context import Ctx
from board.tables import platforms, snippets

# Column setting `duplicate_window_h`: how far back a sent link counts; 0 turns the check off.
SETTING = "duplicate_window_h"
DEFAULT_WINDOW_H = 24.0


def window(settings: Any) -> timedelta | None:
    """The column's window, or None when the check is off. A bad value means the default."""
    raw = (settings or {}).get(SETTING, DEFAULT_WINDOW_H)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw < 0:
        raw = DEFAULT_WINDOW_H
    return timedelta(hours=raw) if raw > 0 else None


async def find(ctx: Ctx, snippet_id: int) -> dict[str, Any] | None:
    """The earlier card on the same column with the same link, if any (sent ones first)."""
    card = (
        await ctx.conn.execute(
            select(snippets.c.id, snippets.c.platform_id, snippets.c.url, snippets.c.kind,
                   platforms.c.settings)
            .join(platforms, platforms.c.id == snippets.c.platform_id)
            .where(snippets.c.id == snippet_id)
        )
    ).first()
    if card is None or card.kind != "post" or not card.url:
        return None
    span = window(card.settings)
    if span is None:
        return None
    since = ctx.now - span
    went_out = func.coalesce(snippets.c.finished_at, snippets.c.updated_at)
    earlier = (
        await ctx.conn.execute(
            select(snippets.c.id, snippets.c.status, snippets.c.body)
            .where(
                snippets.c.platform_id == card.platform_id,
                snippets.c.url == card.url,
                snippets.c.id != card.id,
                snippets.c.kind == "post",
                or_(
                    snippets.c.status.in_(("pending", "sending")),
                    # needs_check: it may well have gone out.
                    and_(snippets.c.status.in_(("sent", "needs_check")), went_out >= since),
                ),
            )
            .order_by(case((snippets.c.status == "sent", 0), else_=1), snippets.c.id.desc())
            .limit(1)
        )
    ).first()
    if earlier is None:
        return None
    return {"snippet_id": earlier.id, "status": earlier.status, "body": earlier.body}


async def check(ctx: Ctx, snippet_id: int) -> dict[str, Any]:
    """Set or clear the card's ``meta.duplicate``; returns reply fields (``warning``) or {}.

    Call it after the card's row is written and before its patch is taken, so the patch
    carries the flag.
    """
    earlier = await find(ctx, snippet_id)
    found = None if earlier is None else {"snippet_id": earlier["snippet_id"], "status": earlier["status"]}
    meta = await ctx.conn.scalar(select(snippets.c.meta).where(snippets.c.id == snippet_id))
    meta = dict(meta or {})
    if meta.get("duplicate") != found:
        if found is None:
            meta.pop("duplicate", None)
        else:
            meta["duplicate"] = found
        await ctx.conn.execute(update(snippets).where(snippets.c.id == snippet_id).values(meta=meta))
    if earlier is None or found is None:
        return {}
    verb = "was already sent" if found["status"] in ("sent", "needs_check") else "is already queued"
    return {
        # The earlier card by its words, as the editor knows it (its id means nothing to them).
        "warning": f"this link {verb} on this column: “{excerpt(earlier['body'])}”",
        "duplicate": found,
    }


def excerpt(body: str, length: int = 60) -> str:
    flat = " ".join((body or "").split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"

"""The duplicate-link warning: a card whose link this column already sent or still holds.

It is a warning, never a refusal: a correction or a follow-up may rightly share a link. The
card carries ``meta.duplicate = {"snippet_id", "status"}`` (the earlier card) and the command
that put it there answers with ``warning``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from board.context import Ctx
from board.db import fetchrow

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
    card = await fetchrow(
        ctx.db,
        "SELECT s.id, s.platform_id, s.url, s.kind, s.meta, p.settings FROM snippets s"
        " JOIN platforms p ON p.id = s.platform_id WHERE s.id = $1",
        snippet_id,
    )
    if card is None or card.kind != "post" or not card.url:
        return None
    span = window(card.settings)
    if span is None:
        return None
    earlier = await fetchrow(
        ctx.db,
        "SELECT id, status, body FROM snippets WHERE platform_id = $1 AND url = $2 AND id <> $3"
        " AND kind = 'post' AND (status IN ('pending', 'sending')"
        # needs_check: it may well have gone out.
        " OR (status IN ('sent', 'needs_check') AND coalesce(finished_at, updated_at) >= $4))"
        " ORDER BY (status <> 'sent'), id DESC LIMIT 1",
        card.platform_id,
        card.url,
        card.id,
        ctx.now - span,
    )
    if earlier is None:
        return None
    return {"snippet_id": earlier.id, "status": earlier.status, "body": earlier.body}


async def check(ctx: Ctx, snippet_id: int) -> dict[str, Any]:
    """Set or clear the card's ``meta.duplicate``; returns reply fields (``warning``) or {}.

    Call it after the card's row is written and before its patch is taken, so the patch
    carries the flag.
    """
    earlier = await find(ctx, snippet_id)
    found = None if earlier is None else {k: earlier[k] for k in ("snippet_id", "status")}
    meta = dict(await ctx.db.fetchval("SELECT meta FROM snippets WHERE id = $1", snippet_id) or {})
    if meta.get("duplicate") != found:
        if found is None:
            meta.pop("duplicate", None)
        else:
            meta["duplicate"] = found
        await ctx.db.execute("UPDATE snippets SET meta = $2 WHERE id = $1", snippet_id, meta)
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

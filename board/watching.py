"""Posts made outside Metronome (CONTRACT §9): the watch settings, and what a look found.

A watcher (poster/watcher.py) lists the account's recent posts; ``record`` stores, in one unit
of work, those Metronome did not publish as `external` sent cards of the column's history, moves
the column's `last_sent_at` to the newest of them when later, and walks the queue again, so the
next card keeps its spacing from what really went out.

Our own posts are told apart by `meta.remote_id`, which the poster stores with each sent card.
The one moment that cannot tell is a publish in flight: the network may already list the post
while the card is still `sending` (its receipt not stored yet). So a look that finds anything
new while a card of the column is `sending` records nothing and keeps its cursor: the next look
reads the same posts again, after the publish has settled. The check runs under the column's
row lock, which the poster's take and finish hold too, so it cannot interleave with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from board import rows, state
from board.context import Ctx
from board.db import fetch, fetchrow
from board.errors import NotFound
from board.urls import safe_url

# The settings of watching (not of the account).
KEYS = ("watch", "watch_s")
# CONTRACT §9: seconds between looks by default, and the fewest allowed.
DEFAULT_WATCH_S = 300
MIN_WATCH_S = 5
# At most a day a week (a column watched every few hours is still watched).
MAX_WATCH_S = 7 * 86400
# On a column's first look: the account's posts of at most this far back (CONTRACT §9).
FIRST_LOOK = timedelta(days=1)
# A body longer than any network's post is cut here (VK takes 16,384 characters).
MAX_BODY = 20_000


@dataclass(frozen=True)
class Found:
    """A post a look found, as the board takes it (platforms' RemotePost, without the import)."""

    remote_id: str
    posted_at: datetime
    text: str
    remote_url: str | None = None


def check(settings: Mapping[str, Any]) -> None:
    """``watch`` and ``watch_s`` as a command takes them; ValueError naming the field."""
    watch = settings.get("watch", True)
    if not isinstance(watch, bool):
        raise ValueError(
            f"expected settings.watch to be true (list the account's posts, to count those"
            f" made outside Metronome) or false, got {watch!r}"
        )
    every = settings.get("watch_s", DEFAULT_WATCH_S)
    if (
        isinstance(every, bool)
        or not isinstance(every, int)
        or not (MIN_WATCH_S <= every <= MAX_WATCH_S)
    ):
        raise ValueError(
            f"expected settings.watch_s to be whole seconds from {MIN_WATCH_S} to {MAX_WATCH_S},"
            f" got {every!r}"
        )


def watched(settings: Mapping[str, Any] | None, watchable: bool) -> bool:
    """Whether a column is watched: its kind can list the account's posts, unless turned off."""
    return watchable and (settings or {}).get("watch", True) is not False


def every(settings: Mapping[str, Any] | None) -> float:
    """Seconds between looks (a stored value that does not read falls back to the default)."""
    value = (settings or {}).get("watch_s", DEFAULT_WATCH_S)
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_WATCH_S:
        return float(DEFAULT_WATCH_S)
    return float(value)


def since(now: datetime) -> datetime:
    """The oldest post a look asks for: a day back at most, on the first look as later (a
    post older than that, missed while nothing watched, is not worth a column's rhythm)."""
    return now - FIRST_LOOK


_INSERT = (
    "INSERT INTO snippets (platform_id, ord, kind, status, body, meta, created_at, updated_at,"
    " finished_at, approval, origin)"
    " SELECT $1, 0, 'post', 'sent', v.body, v.meta::jsonb, $2, $2, v.at, 'approved', 'external'"
    " FROM unnest($3::text[], $4::text[], $5::timestamptz[]) AS v(body, meta, at)"
    " ON CONFLICT (platform_id, (meta->>'remote_id')) WHERE origin = 'external' DO NOTHING"
    " RETURNING id, finished_at"
)


async def record(
    ctx: Ctx, platform_id: int, found: Sequence[Found], cursor: str | None
) -> list[int] | None:
    """Store what one look found; the new external cards' ids, or None when the look must be
    read again (a publish of the column is in flight: one of the posts may be ours).

    Raises NotFound when the column is gone."""
    column = await rows.platform_row(ctx.db, platform_id, lock=True)
    # PostgreSQL's text takes no NUL character; a post (or a strange network) may carry one.
    found = [Found(_clean(p.remote_id), p.posted_at, _clean(p.text), p.remote_url) for p in found]
    ids = list(dict.fromkeys(post.remote_id for post in found))
    known = {
        r["remote_id"]
        for r in await ctx.db.fetch(
            "SELECT meta->>'remote_id' AS remote_id FROM snippets WHERE platform_id = $1"
            " AND meta ? 'remote_id' AND meta->>'remote_id' = ANY($2::text[])",
            platform_id,
            ids,
        )
    }
    new: dict[str, Found] = {}
    for post in found:
        if post.remote_id not in known and post.remote_id not in new:
            new[post.remote_id] = post
    if new and await ctx.db.fetchval(
        "SELECT 1 FROM snippets WHERE platform_id = $1 AND status = 'sending' LIMIT 1", platform_id
    ):
        return None
    inserted: list[Any] = []
    if new:
        posts = sorted(new.values(), key=lambda p: p.posted_at)
        inserted = await fetch(
            ctx.db,
            _INSERT,
            platform_id,
            ctx.now,
            [p.text[:MAX_BODY] for p in posts],
            [orjson.dumps(_meta(p)).decode() for p in posts],
            # A clock ahead of ours does not put a send in our future.
            [min(p.posted_at, ctx.now) for p in posts],
        )
    sets = ["watch_cursor = $2", "watched_at = $3", "watch_error = NULL"]
    params: list[Any] = [cursor, ctx.now]
    newest = max((r["finished_at"] for r in inserted), default=None)
    moves = newest is not None and (column.last_sent_at is None or newest > column.last_sent_at)
    if moves:
        params.append(newest)
        sets.append(f"last_sent_at = ${len(params) + 1}")
    new_column = await fetchrow(
        ctx.db,
        f"UPDATE platforms SET {', '.join(sets)} WHERE id = $1 RETURNING *",
        platform_id,
        *params,
    )
    if moves or column.watch_error is not None:
        ctx.column_changed(column, new_column)
    if inserted:
        new_ids = [r["id"] for r in inserted]
        # Patched as the full state holds them: the column's last sent cards (rows.HISTORY).
        shown = await state.in_history(ctx.db, [platform_id], new_ids)
        cards = await rows.snippet_rows(ctx.db, sorted(shown))
        for card in cards.values():
            ctx.snippet_changed(None, card)
        if moves:
            await ctx.reschedule(platform_id)
        return new_ids
    return []


async def failed(ctx: Ctx, platform_id: int, message: str) -> None:
    """A look failed: the column says why (once; a repeated reason changes nothing)."""
    try:
        column = await rows.platform_row(ctx.db, platform_id, lock=True)
    except NotFound:
        return
    if column.watch_error == message:
        return
    new_column = await fetchrow(
        ctx.db,
        "UPDATE platforms SET watch_error = $2 WHERE id = $1 RETURNING *",
        platform_id,
        message[:500],
    )
    ctx.column_changed(column, new_column)


def _clean(text: str) -> str:
    return text.replace("\x00", "\ufffd")


def _meta(post: Found) -> dict[str, Any]:
    meta: dict[str, Any] = {"remote_id": post.remote_id}
    if url := safe_url(post.remote_url):
        meta["remote_url"] = url
    return meta

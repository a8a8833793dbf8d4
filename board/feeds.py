"""RSS/Atom sources: the admin's ops, the poll schedule with backoff, and storing what came.

Fetching is ingest/poller.py's; this module decides when a feed is due, turns items into
materials (known by guid, else link) and records how the poll went. Each feed is claimed with
SKIP LOCKED and a lease, so several instances never poll one feed twice.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from board import materials, rows
from board.args import Args
from board.context import Ctx
from board.db import Db, Row, fetch, fetchrow, set_clause
from board.errors import BadRequest, Conflict, NotFound
from board.feedparse import Feed, FeedItem

# A failure is retried after min(interval, 60 s), doubling each time, at most this long.
MAX_BACKOFF_S = 6 * 3600
FIRST_RETRY_S = 60
# How long a claimed feed is ours: longer than any fetch (ingest/poller.py FETCH_DEADLINE_S)
# and the recording of what it brought.
LEASE_S = 120
# New items a single poll drops into a drafts inbox: a feed's first poll brings its whole
# history, and an inbox of 200 cards helps nobody.
MAX_DRAFTS_PER_POLL = 20


def next_delay(interval_s: int, failures: int, retry_after_s: float | None = None) -> float:
    """Seconds until the next poll: the interval when healthy, an exponential backoff when not."""
    if failures <= 0:
        return float(interval_s)
    base = min(interval_s, FIRST_RETRY_S)
    delay = min(base * 2.0 ** min(failures - 1, 30), max(interval_s, MAX_BACKOFF_S))
    return max(delay, retry_after_s or 0.0)


def feed_state(row: Any) -> dict[str, Any]:
    m = row
    return {
        "id": m["id"],
        "url": m["url"],
        "title": m["title"],
        "interval_s": m["interval_s"],
        "section": m["section"],
        "drafts_platform_id": m["drafts_platform_id"],
        "status": m["status"],
        "error": m["error"],
        "failures": m["failures"],
        "last_polled_at": rows.iso(m["last_polled_at"]),
        "last_ok_at": rows.iso(m["last_ok_at"]),
        "next_poll_at": rows.iso(m["next_poll_at"]),
    }


async def feeds_state(db: Db) -> dict[str, Any]:
    """Every feed keyed by id, for the full state's ``feeds`` key."""
    return {
        str(r["id"]): materials.compact(feed_state(r))
        for r in await db.fetch("SELECT * FROM feeds ORDER BY id")
    }


async def _row(db: Db, feed_id: int, *, lock: bool = False) -> Row:
    row = await fetchrow(
        db, "SELECT * FROM feeds WHERE id = $1" + (" FOR UPDATE" if lock else ""), feed_id
    )
    if row is None:
        raise NotFound(f"no feed with id {feed_id}")
    return row


async def _changed(ctx: Ctx, old: Row | None, feed_id: int) -> None:
    new = await _row(ctx.db, feed_id)
    ctx.patch.change(
        "feeds", feed_id, feed_state(old) if old is not None else None, feed_state(new)
    )


async def _fields(ctx: Ctx, args: Args, *, creating: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if creating or args.has("url"):
        values["url"] = args.url("url", required=True)
        if values["url"] is None:
            raise BadRequest(f"{args.op}: expected url to be an http(s) URL")
    if creating or args.has("interval_s"):
        values["interval_s"] = args.int("interval_s", minimum=ctx.config.min_interval_s)
    for name in ("section", "title"):
        if args.has(name):
            values[name] = (args.str(name, nullable=True, max_len=200) or "").strip() or None
    if args.has("drafts_platform_id"):
        platform_id = args.int("drafts_platform_id", nullable=True)
        if platform_id is not None:
            column = await rows.platform_row(ctx.db, platform_id)
            if column.kind != "drafts":
                raise BadRequest(
                    f"{args.op}: column {platform_id} is {column.kind}, not a drafts inbox"
                )
        values["drafts_platform_id"] = platform_id
    return values


async def _unique_url(ctx: Ctx, args: Args, url: str, feed_id: int | None = None) -> None:
    other = await ctx.db.fetchval(
        "SELECT id FROM feeds WHERE url = $1 AND id <> $2", url, feed_id or 0
    )
    if other is not None:
        raise Conflict(f"{args.op}: feed {other} already polls {url}", reason="feed_exists")


async def create(ctx: Ctx, args: Args) -> dict[str, Any]:
    values = await _fields(ctx, args, creating=True)
    await _unique_url(ctx, args, values["url"])
    values.update(next_poll_at=ctx.now, created_at=ctx.now, updated_at=ctx.now)
    places = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    new_id = await ctx.db.fetchval(
        f"INSERT INTO feeds ({', '.join(values)}) VALUES ({places}) RETURNING id", *values.values()
    )
    await _changed(ctx, None, new_id)
    return {"id": new_id}


async def update_(ctx: Ctx, args: Args) -> dict[str, Any]:
    feed_id = args.int("id")
    old = await _row(ctx.db, feed_id, lock=True)
    values = await _fields(ctx, args, creating=False)
    if not values:
        raise BadRequest(
            f"{args.op}: nothing to change: give url, interval_s, section, title "
            "or drafts_platform_id"
        )
    if "url" in values and values["url"] != old.url:
        await _unique_url(ctx, args, values["url"], feed_id)
        # Another document: its validators mean nothing, and it is due at once.
        values.update(
            etag=None,
            last_modified=None,
            status="new",
            error=None,
            failures=0,
            next_poll_at=ctx.now,
        )
    await _update_feed(ctx, feed_id, {**values, "updated_at": ctx.now})
    await _changed(ctx, old, feed_id)
    return {"id": feed_id}


async def _update_feed(ctx: Ctx, feed_id: int, values: dict[str, Any]) -> None:
    sets, params = set_clause(values, 2)
    await ctx.db.execute(f"UPDATE feeds SET {sets} WHERE id = $1", feed_id, *params)


async def delete_(ctx: Ctx, args: Args) -> dict[str, Any]:
    feed_id = args.int("id")
    await _row(ctx.db, feed_id, lock=True)
    await ctx.db.execute("DELETE FROM feeds WHERE id = $1", feed_id)  # its materials stay
    ctx.patch.change("feeds", feed_id, {"id": feed_id}, None)
    return {"id": feed_id}


async def poll_now(ctx: Ctx, args: Args) -> dict[str, Any]:
    feed_id = args.int("id")
    old = await _row(ctx.db, feed_id, lock=True)
    await _update_feed(ctx, feed_id, {"next_poll_at": ctx.now})
    await _changed(ctx, old, feed_id)
    return {"id": feed_id}


# Due feeds in due order, at most $2 of them and at most $3 of those not known to answer well
# (new or failing), none of the $4 the caller is fetching already. Each class is picked in
# its own locking subquery (FOR UPDATE cannot go with a window function), then merged.
_CLAIM = (
    "WITH healthy AS (SELECT id, next_poll_at FROM feeds WHERE next_poll_at <= $1"
    "  AND status = 'ok' AND id <> ALL($4::int[]) ORDER BY next_poll_at LIMIT $2"
    "  FOR UPDATE SKIP LOCKED),"
    " suspect AS (SELECT id, next_poll_at FROM feeds WHERE next_poll_at <= $1"
    "  AND status <> 'ok' AND id <> ALL($4::int[]) ORDER BY next_poll_at LIMIT $3"
    "  FOR UPDATE SKIP LOCKED),"
    " due AS (SELECT id FROM (SELECT * FROM healthy UNION ALL SELECT * FROM suspect) d"
    "  ORDER BY next_poll_at LIMIT $2)"
    " UPDATE feeds SET next_poll_at = $5 FROM due WHERE feeds.id = due.id RETURNING feeds.*"
)


async def claim_due(
    db: Db, now: datetime, limit: int, *, suspect_limit: int, busy: list[int]
) -> list[Row]:
    """Feeds due now, leased to the caller (another instance skips them until the lease ends):
    at most ``limit``, of which at most ``suspect_limit`` new or failing ones, none in ``busy``."""
    return await fetch(
        db, _CLAIM, now, limit, suspect_limit, busy, now + timedelta(seconds=LEASE_S)
    )


async def urls(db: Db, feed_ids: list[int]) -> list[Row]:
    """(id, url) of those of these feeds that still exist."""
    return await fetch(db, "SELECT id, url FROM feeds WHERE id = ANY($1::int[])", feed_ids)


async def next_due(db: Db) -> datetime | None:
    value: datetime | None = await db.fetchval("SELECT min(next_poll_at) FROM feeds")
    return value


def external_id(item: FeedItem) -> str:
    """A feed item's material id: stable for its guid (else link), short for any length."""
    return "feed:" + hashlib.sha256(item.key.encode()).hexdigest()[:40]


async def _store_item(ctx: Ctx, feed: Row, item: FeedItem) -> int | None:
    """Upsert an item as a material; returns its id when it is new to us."""
    if not item.link:
        return None
    key = external_id(item)
    # Known by link under another id (the CMS's own, another feed's): the first one stays.
    same_link = await ctx.db.fetchval(
        "SELECT id FROM materials WHERE url = $1 AND external_id <> $2 LIMIT 1", item.link, key
    )
    if same_link is not None:
        return None
    payload: dict[str, Any] = {
        "external_id": key,
        "url": item.link,
        "title": item.title,
        "lead": item.summary,
        "tags": [c[: materials.MAX_TAG] for c in item.categories][: materials.MAX_TAGS],
    }
    if feed.section:
        payload["section"] = feed.section
    for name in ("image_url", "video_url"):
        value = getattr(item, name)
        if value and value.startswith(("http://", "https://")):
            payload[name] = value  # a relative or odd media link is dropped, the item kept
    try:
        parsed = materials.parse(payload, partial=False)
    except materials.Invalid:
        return None  # a link that is not http(s): nothing a card could point to
    parsed.values["published_at"] = item.published_at
    done = await materials.upsert(ctx, parsed, feed_id=feed.id)
    return done.id if done.created else None


async def record_success(
    ctx: Ctx, feed_id: int, parsed: Feed | None, *, etag: str | None, last_modified: str | None
) -> list[int]:
    """A 200 (``parsed``) or a 304 (None): store new items, schedule the next poll.

    Returns the ids of new materials.
    """
    old = await _row(ctx.db, feed_id, lock=True)
    new_ids: list[int] = []
    values: dict[str, Any] = {}
    if parsed is not None:
        # Oldest first, so ids and the inbox follow the feed's own order.
        for item in sorted(parsed.items, key=lambda i: i.published_at or ctx.now):
            new_id = await _store_item(ctx, old, item)
            if new_id is not None:
                new_ids.append(new_id)
        values = {"etag": etag, "last_modified": last_modified}
        if parsed.title and not old.title:
            values["title"] = parsed.title
    if new_ids and old.drafts_platform_id is not None:
        try:
            await materials.drop_into_drafts(
                ctx, old.drafts_platform_id, new_ids[-MAX_DRAFTS_PER_POLL:]
            )
        except (NotFound, BadRequest):
            pass  # the inbox was deleted or changed kind: the materials are kept all the same
    await _update_feed(
        ctx,
        feed_id,
        {
            **values,
            "status": "ok",
            "error": None,
            "failures": 0,
            "last_polled_at": ctx.now,
            "last_ok_at": ctx.now,
            "next_poll_at": ctx.now + timedelta(seconds=next_delay(old.interval_s, 0)),
        },
    )
    await _changed(ctx, old, feed_id)
    return new_ids


async def record_failure(
    ctx: Ctx, feed_id: int, error: str, retry_after_s: float | None = None
) -> None:
    """A failed poll: the feed shows as failing and is retried later and later."""
    old = await _row(ctx.db, feed_id, lock=True)
    failures = old.failures + 1
    delay = next_delay(old.interval_s, failures, retry_after_s)
    await _update_feed(
        ctx,
        feed_id,
        {
            "status": "failing",
            "error": error[:500],
            "failures": failures,
            "last_polled_at": ctx.now,
            "next_poll_at": ctx.now + timedelta(seconds=delay),
        },
    )
    await _changed(ctx, old, feed_id)

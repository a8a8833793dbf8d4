"""Reading rows and turning them into the state's shapes (CONTRACT §3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from board import attachments
from board.db import Db, Row, fetch, fetchrow
from board.errors import NotFound

# Statuses that are part of the board's state (deleted cards leave it).
VISIBLE = ("pending", "sending", "sent", "failed", "needs_check", "expired")
# Sent and failed cards kept in the state for each column.
HISTORY = 20


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def platform_state(row: Any, text_limits: Mapping[str, int]) -> dict[str, Any]:
    m = row
    return {
        "id": m["id"],
        "kind": m["kind"],
        "name": m["name"],
        "position": m["position"],
        "interval_s": m["interval_s"],
        "paused": m["paused"],
        "last_sent_at": iso(m["last_sent_at"]),
        "status": m["status"],
        "status_message": m["status_message"],
        "settings": dict(m["settings"] or {}),
        "text_limit": text_limits.get(m["kind"]),
        "version": m["version"],
        # The end of an override of the column's rhythm by interval_s (board/rhythm.py).
        "interval_until": iso(m["interval_until"]),
        # Why the column's watcher could not look at the account last time (CONTRACT §9).
        "watch_error": m.get("watch_error"),
        # When the column's credentials lapse unless renewed by a person (poster/tokens.py);
        # absent: never, or the network does not say.
        "token_expires_at": iso(m["token_expires_at"]),
    }


def snippet_state(row: Any) -> dict[str, Any] | None:
    m = row
    if m["status"] not in VISIBLE:
        return None
    return {
        "id": m["id"],
        "platform_id": m["platform_id"],
        "ord": m["ord"],
        "kind": m["kind"],
        "interval_s": m["interval_s"],
        "status": m["status"],
        "body": m["body"],
        "url": m["url"],
        "material_id": m["material_id"],
        "eta": iso(m["eta"]),
        # A quiet window moved the eta: what the rhythm gave before (only beside an eta).
        "eta_before_quiet": iso(m["eta_before_quiet"]) if m["eta"] is not None else None,
        "expires_at": iso(m["expires_at"]),
        "user_id": m["user_id"],
        "user_email": m["user_email"],
        "version": m["version"],
        "meta": dict(m["meta"] or {}),
        "media": attachments.state(m.get("media")),
        "approval": m["approval"],
        "created_at": iso(m["created_at"]),
        "updated_at": iso(m["updated_at"]),
        "finished_at": iso(m["finished_at"]),
        # CONTRACT §11: a sent card with a tracked link carries its clicks so far.
        "clicks": m["clicks"] if m["status"] == "sent" else None,
        # CONTRACT §9: "external", a post found on the account that Metronome did not publish.
        "origin": m.get("origin"),
    }


PLATFORM_SELECT = "SELECT * FROM platforms WHERE id = $1 AND deleted_at IS NULL"
SNIPPET_SELECT = (
    "SELECT s.*, u.email AS user_email FROM snippets s LEFT JOIN users u ON u.id = s.user_id"
)


async def platform_row(db: Db, platform_id: int, *, lock: bool = False) -> Row:
    row = await fetchrow(db, PLATFORM_SELECT + (" FOR UPDATE" if lock else ""), platform_id)
    if row is None:
        raise NotFound(f"no column with id {platform_id}")
    return row


async def platform_rows(db: Db, ids: Iterable[int]) -> dict[int, Row]:
    """Columns by id (not locked); NotFound for one that is gone."""
    wanted = sorted(set(ids))
    found = {
        r.id: r
        for r in await fetch(
            db, "SELECT * FROM platforms WHERE id = ANY($1::int[]) AND deleted_at IS NULL", wanted
        )
    }
    for platform_id in wanted:
        if platform_id not in found:
            raise NotFound(f"no column with id {platform_id}")
    return found


async def lock_platforms(db: Db, ids: Iterable[int]) -> dict[int, Row]:
    """Lock columns in id order, so two commands on the same pair never deadlock."""
    wanted = sorted(set(ids))
    rows = {
        r.id: r
        for r in await fetch(
            db,
            "SELECT * FROM platforms WHERE id = ANY($1::int[]) AND deleted_at IS NULL"
            " ORDER BY id FOR UPDATE",
            wanted,
        )
    }
    for platform_id in wanted:
        if platform_id not in rows:
            raise NotFound(f"no column with id {platform_id}")
    return rows


async def lock_card(
    db: Db, snippet_id: int, extra_platforms: Sequence[int] = ()
) -> tuple[Row, dict[int, Row]]:
    """Lock a card's column (and ``extra_platforms``) in id order, then the card itself.

    Returns the card (with its last editor's e-mail, so it doubles as the 'before' snapshot)
    and the locked columns. Two round trips; retried if the card moves meanwhile.
    """
    for _ in range(3):
        locked = {
            r.id: r
            for r in await fetch(
                db,
                "SELECT * FROM platforms WHERE (id = (SELECT platform_id FROM snippets WHERE id = $1)"
                " OR id = ANY($2::int[])) AND deleted_at IS NULL ORDER BY id FOR UPDATE",
                snippet_id,
                list(extra_platforms),
            )
        }
        card = await fetchrow(db, SNIPPET_SELECT + " WHERE s.id = $1 FOR UPDATE OF s", snippet_id)
        if card is None:
            raise NotFound(f"no card with id {snippet_id}")
        for platform_id in extra_platforms:
            if platform_id not in locked:
                raise NotFound(f"no column with id {platform_id}")
        if card.platform_id in locked:
            return card, locked
        if (
            await db.fetchval(
                "SELECT 1 FROM platforms WHERE id = $1 AND deleted_at IS NULL", card.platform_id
            )
            is None
        ):
            raise NotFound(f"card {snippet_id} is in a deleted column")
    raise NotFound(f"card {snippet_id} keeps moving; try again")


async def lock_card_alone(db: Db, snippet_id: int) -> Row:
    """Lock one card, not its column: for changes that leave the column's queue as it is.
    Taking a single lock, such a transaction cannot deadlock with those that lock columns."""
    card = await fetchrow(
        db,
        SNIPPET_SELECT + " WHERE s.id = $1 AND EXISTS (SELECT 1 FROM platforms p"
        " WHERE p.id = s.platform_id AND p.deleted_at IS NULL) FOR UPDATE OF s",
        snippet_id,
    )
    if card is None:
        if await db.fetchval("SELECT 1 FROM snippets WHERE id = $1", snippet_id) is None:
            raise NotFound(f"no card with id {snippet_id}")
        raise NotFound(f"card {snippet_id} is in a deleted column")
    return card


async def snippet_rows(db: Db, ids: Sequence[int]) -> dict[int, Row]:
    if not ids:
        return {}
    return {
        row.id: row
        for row in await fetch(db, SNIPPET_SELECT + " WHERE s.id = ANY($1::int[])", list(ids))
    }


async def snippet_row(db: Db, snippet_id: int, *, lock: bool = False) -> Row:
    row = await fetchrow(
        db, "SELECT * FROM snippets WHERE id = $1" + (" FOR UPDATE" if lock else ""), snippet_id
    )
    if row is None:
        raise NotFound(f"no card with id {snippet_id}")
    return row


_QUEUE = (
    "SELECT id, platform_id, ord, kind, interval_s, eta, (meta->>'send_now')::boolean AS urgent,"
    " expires_at, eta_before_quiet, approval = 'pending' AS waiting FROM snippets"
)


async def queue(db: Db, platform_id: int, limit: int | None = None) -> list[Row]:
    """The pending cards of a column in queue order (the first ``limit``; None: all)."""
    return await fetch(
        db,
        _QUEUE + " WHERE platform_id = $1 AND status = 'pending' ORDER BY ord, id LIMIT $2",
        platform_id,
        limit,
    )


async def queues(db: Db, platform_ids: Sequence[int]) -> dict[int, list[Row]]:
    """The pending cards of many columns, each in queue order, in one query."""
    if len(platform_ids) == 1:
        return {platform_ids[0]: await queue(db, platform_ids[0])}
    found: dict[int, list[Row]] = {}
    for row in await fetch(
        db,
        _QUEUE + " WHERE platform_id = ANY($1::int[]) AND status = 'pending'"
        " ORDER BY platform_id, ord, id",
        list(platform_ids),
    ):
        found.setdefault(row.platform_id, []).append(row)
    return found

"""Reading rows and turning them into the state's shapes (CONTRACT §3)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from board import attachments
from board.errors import NotFound
from board.tables import platforms, snippets, users

# Statuses that are part of the board's state (deleted cards leave it).
VISIBLE = ("pending", "sending", "sent", "failed", "needs_check")
# Sent and failed cards kept in the state for each column.
HISTORY = 20


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def text_limit(kind: str) -> int | None:
    from platforms import TEXT_LIMITS

    return TEXT_LIMITS.get(kind)


def platform_state(row: Row[Any] | Any) -> dict[str, Any]:
    m = row._mapping
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
        "text_limit": text_limit(m["kind"]),
        "version": m["version"],
    }


SNIPPET_COLUMNS = (*snippets.c, users.c.email.label("user_email"))
SNIPPET_FROM = snippets.outerjoin(users, users.c.id == snippets.c.user_id)


def snippet_state(row: Row[Any] | Any) -> dict[str, Any] | None:
    m = row._mapping
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
        "user_id": m["user_id"],
        "user_email": m["user_email"],
        "version": m["version"],
        "meta": dict(m["meta"] or {}),
        "media": attachments.state(m.get("media")),
        "created_at": iso(m["created_at"]),
        "updated_at": iso(m["updated_at"]),
        "finished_at": iso(m["finished_at"]),
    }


async def platform_row(conn: AsyncConnection, platform_id: int, *, lock: bool = False) -> Row[Any]:
    query = select(platforms).where(platforms.c.id == platform_id, platforms.c.deleted_at.is_(None))
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound(f"no column with id {platform_id}")
    return row


async def lock_platforms(conn: AsyncConnection, ids: Iterable[int]) -> dict[int, Row[Any]]:
    """Lock columns in id order, so two commands on the same pair never deadlock."""
    rows = {}
    for platform_id in sorted(set(ids)):
        rows[platform_id] = await platform_row(conn, platform_id, lock=True)
    return rows


async def lock_card(conn: AsyncConnection, snippet_id: int, extra_platforms: Sequence[int] = ()) -> tuple[Row[Any], dict[int, Row[Any]]]:
    """Lock a card's column (and ``extra_platforms``) in id order, then the card itself.

    Returns the card (with its last editor's e-mail, so it doubles as the 'before' snapshot)
    and the locked columns. Two round trips; retried if the card moves meanwhile.
    """
    for _ in range(3):
        wanted = select(snippets.c.platform_id).where(snippets.c.id == snippet_id).scalar_subquery()
        locked = {
            r.id: r for r in await conn.execute(
                select(platforms)
                .where(or_(platforms.c.id == wanted, platforms.c.id.in_(list(extra_platforms))),
                       platforms.c.deleted_at.is_(None))
                .order_by(platforms.c.id).with_for_update()
            )
        }
        card = (await conn.execute(
            select(*SNIPPET_COLUMNS).select_from(SNIPPET_FROM)
            .where(snippets.c.id == snippet_id).with_for_update(of=snippets)
        )).first()
        if card is None:
            raise NotFound(f"no card with id {snippet_id}")
        for platform_id in extra_platforms:
            if platform_id not in locked:
                raise NotFound(f"no column with id {platform_id}")
        if card.platform_id in locked:
            return card, locked
        if not (await conn.execute(select(platforms.c.id).where(
                platforms.c.id == card.platform_id, platforms.c.deleted_at.is_(None)))).first():
            raise NotFound(f"card {snippet_id} is in a deleted column")
    raise NotFound(f"card {snippet_id} keeps moving; try again")


async def snippet_rows(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, Row[Any]]:
    if not ids:
        return {}
    query = select(*SNIPPET_COLUMNS).select_from(SNIPPET_FROM).where(snippets.c.id.in_(list(ids)))
    return {row.id: row for row in await conn.execute(query)}


async def snippet_row(conn: AsyncConnection, snippet_id: int, *, lock: bool = False) -> Row[Any]:
    query = select(snippets).where(snippets.c.id == snippet_id)
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound(f"no card with id {snippet_id}")
    return row


async def queue(conn: AsyncConnection, platform_id: int) -> list[Row[Any]]:
    """The pending cards of a column in queue order."""
    query = (
        select(
            snippets.c.id, snippets.c.ord, snippets.c.kind, snippets.c.interval_s, snippets.c.eta,
            snippets.c.meta["send_now"].as_boolean().label("urgent"),
        )
        .where(snippets.c.platform_id == platform_id, snippets.c.status == "pending")
        .order_by(snippets.c.ord, snippets.c.id)
    )
    return list(await conn.execute(query))

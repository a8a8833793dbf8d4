"""The full state of the board as the first WebSocket frame and GET /api/state show it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from board import feeds, materials, rows
from board.context import Actor
from board.tables import platforms, snippets


async def full_state(conn: AsyncConnection, actor: Actor) -> dict[str, Any]:
    columns = await conn.execute(
        select(platforms).where(platforms.c.deleted_at.is_(None)).order_by(platforms.c.position, platforms.c.id)
    )
    state_platforms = {str(r.id): rows.platform_state(r) for r in columns}
    recent = (
        select(
            snippets.c.id,
            func.row_number()
            .over(partition_by=snippets.c.platform_id, order_by=(snippets.c.finished_at.desc(), snippets.c.id.desc()))
            .label("n"),
        )
        .where(snippets.c.status.in_(("sent", "failed")))
        .subquery()
    )
    query = (
        select(*rows.SNIPPET_COLUMNS)
        .select_from(rows.SNIPPET_FROM.join(platforms, platforms.c.id == snippets.c.platform_id))
        .where(
            platforms.c.deleted_at.is_(None),
            or_(
                snippets.c.status.in_(("pending", "sending", "needs_check")),
                snippets.c.id.in_(select(recent.c.id).where(recent.c.n <= rows.HISTORY)),
            ),
        )
        .order_by(snippets.c.platform_id, snippets.c.ord)
    )
    state_snippets: dict[str, Any] = {}
    for row in await conn.execute(query):
        item = rows.snippet_state(row)
        if item is not None:
            state_snippets[str(row.id)] = {k: v for k, v in item.items() if v is not None}
    for item in state_platforms.values():
        for key in [k for k, v in item.items() if v is None]:
            del item[key]
    return {
        "me": {"id": actor.id, "email": actor.email, "role": actor.role},
        "platforms": state_platforms,
        "snippets": state_snippets,
        # Extra keys (board/materials.py, board/feeds.py): the newest materials and the feeds.
        "materials": await materials.recent_state(conn),
        "feeds": await feeds.feeds_state(conn),
    }

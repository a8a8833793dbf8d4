"""The full state of the board as the first WebSocket frame and GET /api/state show it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from board import feeds, holds, materials, rows
from board.context import Actor
from board.db import Db

_COLUMNS = "SELECT * FROM platforms WHERE deleted_at IS NULL ORDER BY position, id"
# The statuses of a column's history; the state holds the last HISTORY of them.
_DONE = "('sent', 'failed', 'expired')"
# Every card in a queue or being sent, and the last HISTORY sent, failed or expired of each
# column.
_CARDS = (
    "WITH recent AS (SELECT id, row_number() OVER (PARTITION BY platform_id"
    " ORDER BY finished_at DESC, id DESC) AS n FROM snippets"
    f" WHERE status IN {_DONE})"
    " SELECT s.*, u.email AS user_email FROM snippets s"
    " JOIN platforms p ON p.id = s.platform_id LEFT JOIN users u ON u.id = s.user_id"
    " WHERE p.deleted_at IS NULL AND (s.status IN ('pending', 'sending', 'needs_check')"
    " OR s.id IN (SELECT id FROM recent WHERE n <= $1))"
    " ORDER BY s.platform_id, s.ord"
)


# Which of some cards are sent cards of the state's history: among the last HISTORY done
# cards of their (live) column, by the same order as _CARDS.
_IN_HISTORY = (
    "SELECT h.id FROM platforms p CROSS JOIN LATERAL (SELECT s.id, s.status FROM snippets s"
    f" WHERE s.platform_id = p.id AND s.status IN {_DONE}"
    " ORDER BY s.finished_at DESC, s.id DESC LIMIT $2) h"
    " WHERE p.id = ANY($1::int[]) AND p.deleted_at IS NULL AND h.status = 'sent'"
    " AND h.id = ANY($3::int[])"
)


async def in_history(db: Db, platform_ids: list[int], ids: list[int]) -> set[int]:
    """Those of ``ids`` that the full state holds as sent cards of ``platform_ids``' history:
    a patch about any other would reach clients that never had the card."""
    if not ids:
        return set()
    return {r["id"] for r in await db.fetch(_IN_HISTORY, platform_ids, rows.HISTORY, ids)}


async def full_state(db: Db, actor: Actor, text_limits: Mapping[str, int]) -> dict[str, Any]:
    state_platforms = {
        str(r["id"]): rows.platform_state(r, text_limits) for r in await db.fetch(_COLUMNS)
    }
    state_snippets: dict[str, Any] = {}
    for row in await db.fetch(_CARDS, rows.HISTORY):
        item = rows.snippet_state(row)
        if item is not None:
            state_snippets[str(row["id"])] = {k: v for k, v in item.items() if v is not None}
    for item in state_platforms.values():
        for key in [k for k, v in item.items() if v is None]:
            del item[key]
    return {
        "me": {"id": actor.id, "email": actor.email, "role": actor.role},
        "platforms": state_platforms,
        "snippets": state_snippets,
        # CONTRACT §7: the holds in force (board/holds.py).
        "holds": await holds.holds_state(db),
        # Extra keys (board/materials.py, board/feeds.py): the newest materials and the feeds.
        "materials": await materials.recent_state(db),
        "feeds": await feeds.feeds_state(db),
    }

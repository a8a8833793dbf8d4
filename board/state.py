"""The full state of the board as the first WebSocket frame and GET /api/state show it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from board import feeds, holds, materials, rows
from board.context import Actor
from board.db import Db

_COLUMNS = "SELECT * FROM platforms WHERE deleted_at IS NULL ORDER BY position, id"
# Every card in a queue or being sent, and the last HISTORY sent, failed or expired of each
# column.
_CARDS = (
    "WITH recent AS (SELECT id, row_number() OVER (PARTITION BY platform_id"
    " ORDER BY finished_at DESC, id DESC) AS n FROM snippets"
    " WHERE status IN ('sent', 'failed', 'expired'))"
    " SELECT s.*, u.email AS user_email FROM snippets s"
    " JOIN platforms p ON p.id = s.platform_id LEFT JOIN users u ON u.id = s.user_id"
    " WHERE p.deleted_at IS NULL AND (s.status IN ('pending', 'sending', 'needs_check')"
    " OR s.id IN (SELECT id FROM recent WHERE n <= $1))"
    " ORDER BY s.platform_id, s.ord"
)


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

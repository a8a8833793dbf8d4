"""A card's story: the recorded events that changed it, oldest first.

Every unit of work records its event with the cards it changed (``events.snippet_ids``,
GIN-indexed, migration 0011). Which cards an event changed is read off the unit's own patch:
a card whose entry holds more than bookkeeping (``BOOKKEEPING``: the eta the schedule walk
moves, the ord a renumbering shifts, a click count) was changed by it, and so was one that left
the state.
So a move is in the story of the card moved, not in those of the fifty cards whose times
followed it, and a publish is in its card's story without touching the rest of the queue.
"""

from __future__ import annotations

from typing import Any

from board import rows
from board.db import Db, fetch
from board.errors import NotFound

# Fields a change may touch on cards it is not about: a card whose patch entry holds only
# these is not in the event's snippet_ids (the eta the walk moved, the ord a renumbering
# shifted, where a quiet window put the eta, a click count stored: board/clicks.py).
BOOKKEEPING = frozenset({"eta", "ord", "eta_before_quiet", "clicks"})
# Events a story returns at most by default, and at most when asked for more.
DEFAULT_LIMIT = 200
MAX_LIMIT = 1000


def touched(patch: dict[str, Any]) -> list[int]:
    """The ids of the cards a patch changes beyond bookkeeping, in ascending order."""
    cards = patch.get("snippets")
    if not isinstance(cards, dict):
        return []
    return sorted(
        int(key)
        for key, entry in cards.items()
        if entry is None or not isinstance(entry, dict) or entry.keys() - BOOKKEEPING
    )


_STORY = (
    "SELECT e.id, e.op, e.args, e.user_id, u.email AS user_email, e.created_at"
    " FROM events e LEFT JOIN users u ON u.id = e.user_id"
    " WHERE e.snippet_ids @> ARRAY[$1]::integer[] AND e.ok"
    " ORDER BY e.id DESC LIMIT $2"
)


async def story(db: Db, snippet_id: int, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """``{"id", "events": [...], "more"}``: the card's last ``limit`` events, oldest first;
    ``more`` says older ones were left out. Raises NotFound for a card that never was."""
    if await db.fetchval("SELECT 1 FROM snippets WHERE id = $1", snippet_id) is None:
        raise NotFound(f"no card with id {snippet_id}")
    found = await fetch(db, _STORY, snippet_id, limit + 1)
    events = [
        {
            "id": row.id,
            "op": row.op,
            "at": rows.iso(row.created_at),
            # None: the server itself (the poster, the feed importer).
            "user_id": row.user_id,
            "user_email": row.user_email,
            "args": row.args,
        }
        for row in reversed(found[:limit])
    ]
    return {"id": snippet_id, "events": events, "more": len(found) > limit}

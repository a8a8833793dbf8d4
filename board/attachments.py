"""A card's own images and videos: checking ``media_ids``, and how the state shows them.

A card keeps ``[{"id", "kind"}]`` (snippets.media): a media row's kind never changes, so the
state needs no join to show it.
"""

from __future__ import annotations

from typing import Any

from board.args import Args
from board.db import Db
from board.errors import BadRequest

# More than any network attaches to one post (Telegram albums: 10; X, Mastodon, Bluesky: 4
# images or 1 video); each adapter takes what its network allows.
MAX_PER_CARD = 10


def url(media_id: int) -> str:
    """Where a signed-in user gets the file (GET /media/{id})."""
    return f"/media/{media_id}"


async def from_args(db: Db, args: Args) -> list[dict[str, Any]]:
    """The card's media from ``args.media_ids`` (null or [] for none), in the given order."""
    if args.raw.get("media_ids") is None:
        return []
    ids = list(dict.fromkeys(args.int_list("media_ids", max_items=MAX_PER_CARD)))
    if not ids:
        return []
    kinds = {
        r["id"]: r["kind"]
        for r in await db.fetch("SELECT id, kind FROM media WHERE id = ANY($1::int[])", ids)
    }
    missing = [i for i in ids if i not in kinds]
    if missing:
        raise BadRequest(
            f"{args.op}: no media with id {missing[0]}; upload the file first (POST /api/media)"
        )
    return [{"id": i, "kind": kinds[i]} for i in ids]


def state(items: Any) -> list[dict[str, Any]] | None:
    """The card's ``media`` in the state: [{id, kind, url}], absent when it has none."""
    shown = [{"id": i["id"], "kind": i["kind"], "url": url(i["id"])} for i in items or ()]
    return shown or None

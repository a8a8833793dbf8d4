"""The order of the board's columns: `platform.reorder`, what dragging a column's header sends."""

from __future__ import annotations

from typing import Any

from board import rows
from board.args import Args
from board.context import Ctx
from board.db import fetch
from board.errors import BadRequest, NotFound


def new_order(live: list[int], wanted: list[int]) -> list[int]:
    """The listed columns first, in the order given; any others (added meanwhile, in another
    tab) after them, in the order they had."""
    listed = set(wanted)
    return wanted + [platform_id for platform_id in live if platform_id not in listed]


async def reorder(ctx: Ctx, args: Args) -> dict[str, Any]:
    """{ids}: the columns in their new order, left to right; positions become 1, 2, 3…"""
    wanted = args.int_list("ids", max_items=10_000)
    if len(set(wanted)) != len(wanted):
        raise BadRequest(f"{args.op}: ids lists a column twice")
    # Locked in id order, as every command locks columns, so two reorders never deadlock.
    locked = await fetch(
        ctx.db, "SELECT * FROM platforms WHERE deleted_at IS NULL ORDER BY id FOR UPDATE"
    )
    by_id = {row.id: row for row in locked}
    unknown = [platform_id for platform_id in wanted if platform_id not in by_id]
    if unknown:
        raise NotFound(f"{args.op}: no column with id {unknown[0]}")
    live = [row.id for row in sorted(locked, key=lambda r: (r.position, r.id))]
    order = new_order(live, wanted)
    moved = await fetch(
        ctx.db,
        "UPDATE platforms AS p SET position = v.position, version = p.version + 1, updated_at = $3"
        " FROM unnest($1::int[], $2::int[]) AS v(id, position)"
        " WHERE p.id = v.id AND p.position IS DISTINCT FROM v.position RETURNING p.*",
        order,
        list(range(1, len(order) + 1)),
        ctx.now,
    )
    for new in moved:
        # Only the position changes: no queue moves, so no poster needs waking.
        limits = ctx.config.text_limits
        ctx.patch.change(
            "platforms",
            new.id,
            rows.platform_state(by_id[new.id], limits),
            rows.platform_state(new, limits),
        )
    return {"ids": order}

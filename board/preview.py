"""platform.preview: the next slots a column would give its posts under the rhythm an editor is
typing, before it is saved (the column settings' live preview).

A read: the column's last send and the head of its queue, walked (board/schedule.py) with the
settings given, padded with posts to be written until there are ``count`` slots. Nothing is
stored or recorded; bad settings are refused as platform.update would refuse them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from board import rhythm, rows, schedule
from board.args import Args
from board.context import column_clock, queued_cards
from board.errors import BadRequest

if TYPE_CHECKING:
    from board.commands import Call

DEFAULT_COUNT = 10
MOST = 50
# Interval cards read beyond the posts wanted: a queue rarely holds more between its first posts.
_MARKERS = 50


async def preview(call: Call, args: Args) -> dict[str, Any]:
    config = call.commands.config
    settings = args.obj("settings", required=False) or {}
    platform_id = args.int("id", required=False, nullable=True)
    interval_s = args.int("interval_s", required=False, minimum=config.min_interval_s)
    count = min(args.int("count", required=False, minimum=1) or DEFAULT_COUNT, MOST)
    try:
        found = rhythm.parse(settings, config.min_interval_s)
    except ValueError as exc:
        raise BadRequest(f"{args.op}: {exc}") from None
    queue: list[Any] = []
    clock = schedule.ColumnClock(interval_s or 3600, None, rhythm=found)
    if platform_id is not None:
        async with call.read() as db:
            column = await rows.platform_row(db, platform_id)
            queue = await rows.queue(db, platform_id, count + _MARKERS)
        stored = column_clock(column)
        # Saving a changed rhythm ends an override of the old one (board/columns.py).
        kept = not any(column.settings.get(k) != settings.get(k) for k in rhythm.KEYS)
        clock = schedule.ColumnClock(
            interval_s or stored.interval_s,
            stored.last_sent_at,
            rhythm=found,
            interval_until=stored.interval_until if kept else None,
        )
    cards = queued_cards(queue) + [schedule.QueuedCard(-n, "post") for n in range(1, count + 1)]
    plan = schedule.plan(clock, cards, call.now, config.min_lead)
    slots: list[dict[str, Any]] = []
    for card in cards:
        eta = plan.etas[card.id]
        if card.kind != "post" or eta is None:
            continue
        slot: dict[str, Any] = {"at": rows.iso(eta), "snippet_id": card.id if card.id > 0 else None}
        if card.id in plan.quieted:
            slot["eta_before_quiet"] = rows.iso(plan.quieted[card.id])
        slots.append(slot)
        if len(slots) == count:
            break
    return {"slots": slots, "timezone": settings.get("timezone") or "UTC"}

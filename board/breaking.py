"""board.breaking (CONTRACT §7): one story to many columns in one command.

One new card per listed column, at the top of its queue, each with the common text or its
column's own (``bodies``). ``now: true`` marks them "send now" (``meta.send_now``): they go at
once, even in a held or paused column, each published by its own column's poster, so they go
out side by side and a network that refuses or stalls holds up no other.

An extension: ``hold`` {reason, until?, platform_ids?} holds columns in the same unit of work
(default: every column that publishes), so "publish this and stop the rest" is one command
that happens entirely or not at all.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from board import cards, duplicates, expiry, holds, rows
from board.args import Args
from board.context import Ctx
from board.errors import BadRequest


def _bodies(args: Args, platform_ids: list[int], base: cards.CardText) -> dict[int, cards.CardText]:
    """Each column's text: its own from ``bodies`` (keyed by the column id as a string), else
    the common one."""
    texts = dict.fromkeys(platform_ids, base)
    for key, body in (args.obj("bodies", required=False) or {}).items():
        platform_id = int(key) if key.isdigit() else None
        if platform_id not in texts:
            raise BadRequest(f"{args.op}: bodies: {key!r} is not one of platform_ids")
        if not isinstance(body, str) or len(body) > cards.MAX_BODY:
            raise BadRequest(
                f"{args.op}: expected bodies.{key} to be a string of at most"
                f" {cards.MAX_BODY} characters"
            )
        text = replace(base, body=body)
        if not cards.says_something(text):
            raise BadRequest(f"{args.op}: bodies.{key} is empty and the card has no url")
        texts[platform_id] = text
    return texts


async def breaking(ctx: Ctx, args: Args) -> dict[str, Any]:
    platform_ids = await holds.publishing_columns(ctx.db, args, required=True)
    base = await cards.card_text(ctx, args)
    texts = _bodies(args, platform_ids, base)
    expires_at = expiry.expires_at(args, ctx.now)
    now = bool(args.bool("now", required=False))
    hold = None
    if args.raw.get("hold") is not None:
        spec = Args(args.raw["hold"], f"{args.op}: hold")
        hold = (
            holds.reason_arg(spec),
            await holds.publishing_columns(ctx.db, spec, required=False),
            holds.until_arg(spec, ctx.now),
        )
    # Every column either part touches, locked at once in id order (no deadlock).
    ctx.columns.update(await rows.lock_platforms(ctx.db, platform_ids + (hold[1] if hold else [])))
    meta = {"send_now": True} if now else None
    made = await cards.insert_on_top(ctx, texts, expires_at=expires_at, meta=meta)
    ids = {str(platform_id): made[platform_id] for platform_id in platform_ids}
    warnings: dict[str, str] = {}
    # Only a link can be a duplicate: a card without one needs no look.
    for platform_id in platform_ids if base.url else ():
        warning = await duplicates.check(ctx, made[platform_id])
        if warning:
            warnings[str(platform_id)] = warning["warning"]
    await ctx.snippets_changed({}, list(ids.values()))
    result: dict[str, Any] = {"ids": ids}
    if hold is not None:
        result["hold_id"] = await holds.place(ctx, *hold)
    await ctx.reschedule(*platform_ids)
    if warnings:
        result["warnings"] = warnings
    return result

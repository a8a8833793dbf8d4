"""The unit of work: the one way anything changes the board.

Commands, poster steps, the feed importer, the materials API: each change is one transaction
with its context (``Ctx``: who, when, the patch it builds, the columns to wake); when the
block ends the event is recorded (with the cards it changed: a card's story, board/history.py)
and every instance notified (board/notify.py) in one round trip, then the transaction commits. The notification is delivered only on commit, in commit
order, so every instance (this one included: it listens like the others) applies patches in
the order the database applied them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import orjson

from board import history, notify
from board.context import Actor, BoardConfig, Ctx, Event
from board.db import Database

# A recorded event's arguments are an audit trail, not a copy: what cannot be stored as
# JSON (deeper than orjson nests, or too large) is recorded as a note saying so.
MAX_EVENT_ARGS = 64 * 1024


@asynccontextmanager
async def unit_of_work(
    database: Database,
    actor: Actor,
    now: datetime,
    config: BoardConfig,
    event: Event | None = None,
) -> AsyncIterator[Ctx]:
    """Run the block in one transaction; on its way out record ``ctx.event`` (the block may
    set or replace it) and announce ``ctx.patch`` and ``ctx.wake``, then commit."""
    async with database.transaction() as db:
        ctx = Ctx(db=db, actor=actor, now=now, config=config, event=event)
        yield ctx
        await finish(ctx)


async def finish(ctx: Ctx) -> None:
    """The unit's last statement: the event row and the NOTIFY, in one round trip."""
    params: list[Any] = []
    patch = ctx.patch.build()
    ctes = []
    if ctx.event is not None:
        ctes.append(event_cte(ctx.actor, ctx.now, ctx.event, patch, params))
    if patch or ctx.wake:
        await ctx.db.execute(
            notify.notify_sql(notify.encode(patch, ctx.wake), ctes, params), *params
        )
    elif ctes:
        await ctx.db.execute(f"WITH {ctes[0]} SELECT 1", *params)


def event_cte(
    actor: Actor,
    now: datetime,
    event: Event,
    patch: dict[str, Any],
    params: list[Any],
    *,
    source: str | None = None,
) -> str:
    """The CTE ``event`` that records ``event`` with the cards whose story it joins (those
    ``patch`` changes, board/history.py); adds its values to ``params``. With ``source``
    (another CTE of the statement), only if that returned a row."""
    first = len(params) + 1
    params += [actor.id or None, event.op[:64], event_args(event.args), now, history.touched(patch)]
    return (
        "event AS (INSERT INTO events (user_id, op, args, ok, created_at, snippet_ids)"
        f" SELECT ${first}::integer, ${first + 1}::text, ${first + 2}::text::jsonb, true,"
        f" ${first + 3}::timestamptz, ${first + 4}::integer[]"
        + (f" FROM {source})" if source else ")")
    )


def event_args(args: Any) -> str:
    """``args`` as JSON text PostgreSQL's jsonb takes: secrets masked, NUL characters
    (which jsonb refuses) replaced, and a note instead of what cannot be stored."""
    try:
        text = orjson.dumps(redact(args)).decode()
    except (TypeError, orjson.JSONEncodeError):
        return '{"unrecorded": "arguments that are not JSON"}'
    if len(text) > MAX_EVENT_ARGS:
        return orjson.dumps({"unrecorded": f"arguments of {len(text)} bytes"}).decode()
    return text.replace("\\u0000", "\\ufffd")


# Arguments that are passwords (user.passwd): recorded as "***".
PASSWORD_ARGS = ("current", "password")


def redact(args: Any) -> Any:
    """Arguments as recorded: secret values and passwords never reach the events table."""
    if not isinstance(args, dict):
        return args
    if isinstance(args.get("secrets"), dict):
        args = {**args, "secrets": {k: "***" for k in args["secrets"]}}
    if any(key in args for key in PASSWORD_ARGS):
        args = {k: "***" if k in PASSWORD_ARGS else v for k, v in args.items()}
    return args

"""Commands: the op table and the one way a command runs (checked, one unit of work, recorded).

The table is a value built by the app's lifespan (``board_ops`` plus the ops other parts
add, such as materials search or AI drafts, configured from that app's settings) and handed
to the WebSocket and the HTTP routes: nothing registers ops at import time, so two apps in
one process keep their own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from board import (
    breaking,
    cards,
    columns,
    demo,
    feeds,
    holds,
    layout,
    materials,
    preview,
    publishing,
    secret_names,
    users,
)
from board.args import Args
from board.context import Actor, BoardConfig, Ctx, Event
from board.db import Database, Db, is_connection_error
from board.errors import BadRequest, CommandError, Forbidden, Unavailable
from board.unit import event_args, unit_of_work

# An author (CONTRACT §12) creates and edits cards only, and what they write waits for an
# editor's approval (board/approval.py); every other change needs an editor.
ROLE_RANK = {"viewer": 0, "author": 1, "editor": 2, "admin": 3}


@dataclass(frozen=True)
class Call:
    """What an op that runs its own units of work gets instead of a Ctx: an op that calls
    another service (an AI, a network) must not hold a transaction meanwhile, and a read
    needs none."""

    commands: Commands
    actor: Actor
    now: datetime
    op: str
    raw_args: Any

    def unit(self) -> AbstractAsyncContextManager[Ctx]:
        """A unit of work recording this command's event."""
        return unit_of_work(
            self.commands.database,
            self.actor,
            self.now,
            self.commands.config,
            Event(self.op, self.raw_args),
        )

    def read(self) -> AbstractAsyncContextManager[Db]:
        """A transaction for reads (nothing is recorded or announced)."""
        return self.commands.database.transaction()


Handler = Callable[[Ctx, Args], Awaitable[dict[str, Any]]]
CallHandler = Callable[[Call, Args], Awaitable[dict[str, Any]]]


# The lane of ops that change nothing and may wait on a network (a connection check): they run
# beside a connection's other commands, one at a time, and nothing waits for them.
BESIDE = -1


def beside(raw_args: Any) -> int:
    return BESIDE


@dataclass(frozen=True)
class Op:
    handler: Any  # Handler, or CallHandler when ``own_units``
    role: str  # the least role allowed
    # True: the handler gets a Call and opens its own units of work (or none).
    own_units: bool = False
    # The card a command edits on its own fields alone, when it may run beside other such
    # edits of the same connection (ws/endpoint.py); None: it runs alone, in order.
    lane: Callable[[Any], int | None] | None = None


async def update_card(call: Call, args: Args) -> dict[str, Any]:
    """snippet.update: a text edit in one statement where it can be (cards.edit_text), any
    other update, and any refusal, in a unit of work (cards.update_)."""
    done = await cards.edit_text(call.commands.database, call.actor, call.now, args)
    if done is not None:
        return done
    async with call.unit() as ctx:
        return await cards.update_(ctx, args)


def board_ops() -> dict[str, Op]:
    """The board's own ops (CONTRACT §3 and §7)."""
    return {
        "platform.create": Op(columns.create, "admin"),
        "platform.update": Op(
            columns.update_, "editor"
        ),  # name/settings/secrets: admin (columns.py)
        "platform.delete": Op(columns.delete, "admin"),
        "platform.pause": Op(columns.pause, "editor"),
        "platform.resume": Op(columns.resume, "editor"),
        "platform.clear": Op(columns.clear, "editor"),
        "platform.restore": Op(columns.restore, "editor"),
        # The column settings' live preview of a rhythm being typed (a read).
        "platform.preview": Op(preview.preview, "editor", own_units=True),
        "snippet.create": Op(cards.create, "author"),
        "snippet.update": Op(update_card, "author", own_units=True, lane=cards.edits_alone),
        "snippet.approve": Op(cards.approve, "editor"),
        "snippet.move": Op(cards.move, "editor"),
        "snippet.delete": Op(cards.delete, "editor"),
        "snippet.restore": Op(cards.restore, "editor"),
        "marker.create": Op(cards.create_marker, "editor"),
        "snippet.send_now": Op(publishing.send_now, "editor"),
        "snippet.retry": Op(publishing.retry, "editor"),
        "snippet.mark_sent": Op(publishing.mark_sent, "editor"),
        "materials.search": Op(materials.search_op, "viewer", own_units=True),
        "feed.create": Op(feeds.create, "admin"),
        "feed.update": Op(feeds.update_, "admin"),
        "feed.delete": Op(feeds.delete_, "admin"),
        "feed.poll": Op(feeds.poll_now, "editor"),
        "board.hold": Op(holds.hold, "editor"),
        "board.release": Op(holds.release, "editor"),
        "board.breaking": Op(breaking.breaking, "editor"),
        "platform.reorder": Op(layout.reorder, "editor"),
        "platform.secret_names": Op(secret_names.names, "admin", own_units=True),
        "board.demo": Op(demo.fill, "admin"),
        "user.list": Op(users.list_op, "admin", own_units=True),
        "user.create": Op(users.create_op, "admin"),
        "user.update": Op(users.update_op, "admin"),
        "user.reset_password": Op(users.reset_op, "admin"),
        "user.passwd": Op(users.passwd_op, "viewer"),
    }


@dataclass(frozen=True)
class Outcome:
    result: dict[str, Any]


@dataclass(frozen=True)
class Commands:
    """The board's commands as one app runs them: its database, its config, its op table."""

    database: Database
    config: BoardConfig
    ops: Mapping[str, Op]

    def lane(self, op: str, raw_args: Any) -> int | None:
        spec = self.ops.get(op)
        return spec.lane(raw_args) if spec is not None and spec.lane is not None else None

    def unit(
        self, actor: Actor, now: datetime, event: Event | None
    ) -> AbstractAsyncContextManager[Ctx]:
        """A unit of work outside any command (the feed importer, the materials API)."""
        return unit_of_work(self.database, actor, now, self.config, event)

    async def execute(self, actor: Actor, op: str, raw_args: Any, now: datetime) -> Outcome:
        """Run one command; raises CommandError (nothing changed) on refusal, Unavailable
        when the database cannot be reached."""
        spec = self.ops.get(op)
        try:
            if spec is None:
                raise BadRequest(f"unknown op {op!r}")
            if ROLE_RANK.get(actor.role, -1) < ROLE_RANK[spec.role]:
                raise Forbidden(
                    f"{op}: needs the {spec.role} role, you are {actor.role}",
                    reason="role",
                    params={"needs": spec.role, "role": actor.role},
                )
            args = Args(raw_args, op)
            if spec.own_units:
                return Outcome(await spec.handler(Call(self, actor, now, op, raw_args), args))
            async with self.unit(actor, now, Event(op, raw_args)) as ctx:
                result = await spec.handler(ctx, args)
            return Outcome(result)
        except CommandError as exc:
            await self._record_refusal(actor, op, raw_args, exc, now)
            raise
        except Exception as exc:
            if is_connection_error(exc):
                raise Unavailable(reason="database") from exc
            raise

    async def _record_refusal(
        self, actor: Actor, op: str, raw_args: Any, exc: CommandError, now: datetime
    ) -> None:
        try:
            async with self.database.connect() as db:
                await _insert_refusal(db, actor, op, raw_args, exc, now)
        except Exception as error:
            if not is_connection_error(error):
                raise
            # The refusal itself already answers the client; the record is best effort.


async def _insert_refusal(
    db: Db, actor: Actor, op: str, raw_args: Any, exc: CommandError, now: datetime
) -> None:
    await db.execute(
        "INSERT INTO events (user_id, op, args, ok, error, created_at) VALUES ($1, $2, $3::text::jsonb, false, $4, $5)",
        actor.id or None,
        op[:64],
        event_args(raw_args if isinstance(raw_args, dict) else {"args": raw_args}),
        exc.code,
        now,
    )

"""The command table and the one way a command runs: one transaction, recorded, announced."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from board import cards, columns, demo, layout, publishing, secret_names, users
from board.args import Args
from board.context import Actor, BoardConfig, Ctx
from board.db import CONNECTION_ERRORS, commit_with, connect, literal, transaction
from board.errors import BadRequest, CommandError, Forbidden, Unavailable
from board.rows import iso
from board.tables import events

Handler = Callable[[Ctx, Args], Awaitable[dict[str, Any]]]

# The NOTIFY channel every instance listens on.
CHANNEL = "metronome_changes"
# NOTIFY payloads must stay under 8000 bytes; bigger patches go through the changes table.
MAX_NOTIFY = 7900

ROLE_RANK = {"viewer": 0, "editor": 1, "admin": 2}


@dataclass(frozen=True)
class Op:
    handler: Handler
    role: str  # the least role allowed
    # An op that calls the network (a connection check) must not hold a transaction while it
    # waits: it runs outside any, as handler(Outside, Args), and changes nothing.
    outside: bool = False


@dataclass(frozen=True)
class Outside:
    """What an op that runs outside any transaction gets instead of a Ctx."""

    engine: AsyncEngine
    config: BoardConfig
    actor: Actor
    now: datetime


OPS: dict[str, Op] = {
    "platform.create": Op(columns.create, "admin"),
    "platform.update": Op(columns.update_, "editor"),  # name/settings/secrets: admin (columns.py)
    "platform.delete": Op(columns.delete, "admin"),
    "platform.pause": Op(columns.pause, "editor"),
    "platform.resume": Op(columns.resume, "editor"),
    "platform.clear": Op(columns.clear, "editor"),
    "platform.restore": Op(columns.restore, "editor"),
    "platform.reorder": Op(layout.reorder, "editor"),
    "platform.secret_names": Op(secret_names.names, "admin"),
    "snippet.create": Op(cards.create, "editor"),
    "snippet.update": Op(cards.update_, "editor"),
    "snippet.move": Op(cards.move, "editor"),
    "snippet.delete": Op(cards.delete, "editor"),
    "snippet.restore": Op(cards.restore, "editor"),
    "marker.create": Op(cards.create_marker, "editor"),
    "snippet.send_now": Op(publishing.send_now, "editor"),
    "snippet.retry": Op(publishing.retry, "editor"),
    "snippet.mark_sent": Op(publishing.mark_sent, "editor"),
    "board.demo": Op(demo.fill, "admin"),
    "user.list": Op(users.list_op, "admin"),
    "user.create": Op(users.create_op, "admin"),
    "user.update": Op(users.update_op, "admin"),
    "user.reset_password": Op(users.reset_op, "admin"),
    "user.passwd": Op(users.passwd_op, "viewer"),
}


def register(name: str, handler: Callable[[Any, Args], Awaitable[dict[str, Any]]], role: str, *,
             outside: bool = False) -> None:
    """Add an op from another part (materials search, the connection check)."""
    OPS[name] = Op(handler, role, outside)


# Arguments that are passwords (user.passwd): recorded as "***".
PASSWORD_ARGS = ("current", "password")


def redact(args: Any) -> Any:
    """Arguments as recorded in events: secret values and passwords never reach the table."""
    if not isinstance(args, dict):
        return args
    if isinstance(args.get("secrets"), dict):
        args = {**args, "secrets": {k: "***" for k in args["secrets"]}}
    if any(key in args for key in PASSWORD_ARGS):
        args = {k: "***" if k in PASSWORD_ARGS else v for k, v in args.items()}
    return args


@dataclass(frozen=True)
class Outcome:
    result: dict[str, Any]
    patch: dict[str, Any]
    wake: frozenset[int]


async def announce(
    db: asyncpg.Connection, patch: dict[str, Any], wake: set[int] | frozenset[int],
    event: dict[str, Any] | None = None,
) -> None:
    """The last statement of a transaction: record ``event`` (when given), NOTIFY every
    instance of the change, and COMMIT, in one round trip (board/db.py commit_with).

    The notification is delivered only once the transaction commits, and PostgreSQL delivers
    them in commit order, so every instance (this one included, it listens like the others)
    applies patches in the order the database applied them.
    """
    statements = []
    if event is not None:
        statements.append(
            "INSERT INTO events (user_id, op, args, ok, created_at) VALUES ("
            + ", ".join(literal(v) for v in (event["user_id"], event["op"], orjson.dumps(event["args"]).decode()))
            + ", true, " + literal(event["created_at"]) + ")"
        )
    if patch or wake:
        payload = orjson.dumps({"patch": patch, "wake": sorted(wake)}).decode()
        if len(payload.encode()) > MAX_NOTIFY:
            # Every instance reads a change within moments; an hour is plenty for a slow one.
            change_id = await db.fetchval(
                "WITH old AS (DELETE FROM changes WHERE created_at < now() - interval '1 hour')"
                " INSERT INTO changes (payload) VALUES ($1) RETURNING id",
                payload,
            )
            payload = f"#{change_id}"
        statements.append(f"SELECT pg_notify({literal(CHANNEL)}, {literal(payload)})")
    await commit_with(db, *statements)


async def execute(
    engine: AsyncEngine, config: BoardConfig, actor: Actor, op: str, raw_args: Any, now: datetime
) -> Outcome:
    """Run one command in one transaction; raises CommandError (nothing changed) on refusal."""
    spec = OPS.get(op)
    try:
        if spec is None:
            raise BadRequest(f"unknown op {op!r}")
        if ROLE_RANK.get(actor.role, -1) < ROLE_RANK[spec.role]:
            raise Forbidden(f"{op}: needs the {spec.role} role, you are {actor.role}")
        args = Args(raw_args, op)
        if spec.outside:
            return Outcome(await spec.handler(Outside(engine, config, actor, now), args), {}, frozenset())  # type: ignore[arg-type]
        if op == "snippet.update":
            done = await _text_edit(engine, actor, args, raw_args, now)
            if done is not None:
                return done
        async with transaction(engine) as (conn, db):
            ctx = Ctx(conn=conn, db=db, actor=actor, now=now, config=config)
            result = await spec.handler(ctx, args)
            patch = ctx.patch.build()
            event = {"user_id": actor.id, "op": op, "args": redact(raw_args), "created_at": now}
            await announce(db, patch, ctx.wake, event)
        return Outcome(result, patch, frozenset(ctx.wake))
    except CommandError as exc:
        await _record_refusal(engine, actor, op, raw_args, exc, now)
        raise
    except (*CONNECTION_ERRORS, sa_exc.TimeoutError, OperationalError, InterfaceError) as exc:
        raise Unavailable() from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise Unavailable() from exc
        raise


# A text edit in one statement, so in one round trip with its implicit transaction: lock
# the card if it is as the editor saw it (version, an editable status, a live column),
# change it, record the event and NOTIFY. The patch is written here, not diffed from the rows:
# the fields the edit sets, whose new values are known before it runs (unchanged ones
# included, which a merge patch allows), and, when the card's last editor changes, the
# editor's id and e-mail, spliced in by the database.
_TEXT_EDIT = (
    "WITH old AS (SELECT s.id, s.user_id FROM snippets s WHERE s.id = $1 AND s.version = $2"
    " AND s.status IN ({editable}) AND EXISTS (SELECT 1 FROM platforms p"
    " WHERE p.id = s.platform_id AND p.deleted_at IS NULL) FOR UPDATE OF s),"
    " new AS (UPDATE snippets s SET {sets}, version = s.version + 1 FROM old WHERE s.id = old.id"
    " RETURNING s.id),"
    " event AS (INSERT INTO events (user_id, op, args, ok, created_at)"
    " SELECT $3, 'snippet.update', $5::text::jsonb, true, $4 FROM new)"
    # Who edited goes in the patch only when it changed, as in a patch diffed from rows.
    " SELECT pg_notify($6, $7 || CASE WHEN old.user_id IS DISTINCT FROM $3 THEN"
    " ',\"user_id\":' || $3::text || ',\"user_email\":' || coalesce(to_json(u.email)::text, 'null')"
    " ELSE '' END || $8)"
    " FROM new JOIN old ON old.id = new.id LEFT JOIN users u ON u.id = $3"
)
# Room left in a NOTIFY payload for the spliced e-mail (a JSON string, escapes and all).
_EMAIL_ROOM = 2000


async def _text_edit(engine: AsyncEngine, actor: Actor, args: Args, raw_args: Any, now: datetime) -> Outcome | None:
    """snippet.update of a card's text or link as the editor saw it, at once; None for any
    other update, or when the card is not so (the general path then says why)."""
    values = cards.text_edit_values(args)
    if values is None:
        return None
    snippet_id, version = args.int("id"), args.int("version")
    fields = {**values, "version": version + 1, "updated_at": iso(now)}
    prefix = (b'{"patch":{"snippets":{"%d":' % snippet_id) + orjson.dumps(fields)[:-1]
    suffix = b'}}},"wake":[]}'
    if len(prefix) + len(suffix) + _EMAIL_ROOM > MAX_NOTIFY:
        return None  # the general path stores a large patch in `changes`
    sets, params = cards.assignments({**values, "updated_at": now, "user_id": actor.id}, 9)
    sql = _TEXT_EDIT.format(editable=", ".join(literal(s) for s in cards.TEXT_EDITABLE), sets=sets)
    async with connect(engine) as db:
        done = await db.fetch(sql, snippet_id, version, actor.id, now, orjson.dumps(redact(raw_args)).decode(),
                              CHANNEL, prefix.decode(), suffix.decode(), *params)
    if not done:
        return None
    patch = {"snippets": {str(snippet_id): {**fields, "user_id": actor.id, "user_email": actor.email}}}
    return Outcome({"id": snippet_id, "version": version + 1}, patch, frozenset())


async def _record_refusal(
    engine: AsyncEngine, actor: Actor, op: str, raw_args: Any, exc: CommandError, now: datetime
) -> None:
    try:
        async with engine.begin() as conn:
            await conn.execute(
                events.insert().values(
                    user_id=actor.id, op=op[:64], args=redact(raw_args if isinstance(raw_args, dict) else {"args": raw_args}),
                    ok=False, error=exc.code, created_at=now,
                )
            )
    except (OSError, TimeoutError, sa_exc.SQLAlchemyError):
        pass  # The refusal itself already answers the client; the log is best effort.

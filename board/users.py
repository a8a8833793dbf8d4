"""User administration: new users with a one-time password, roles, disabling, passwords.

A disabled user is locked out everywhere at once: in the same transaction their sessions end,
their API tokens are revoked and every instance is told (NOTIFY on ``CHANNEL``) to close their
open boards (ws/hub.py ``close_user``). A changed role closes their boards too, with the code
that makes a page reconnect at once: the new connection carries the new role.

The same functions serve the ops below and the `metronome user …` commands (web/cli.py).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Any

import orjson

from board import accounts
from board.accounts import AccountError as UserError
from board.args import Args
from board.context import Ctx
from board.db import Db, Row, fetchrow
from board.errors import BadRequest, Conflict, Forbidden, NotFound
from board.tables import ROLES

if TYPE_CHECKING:
    from board.commands import Call

# Every instance listens here (ws/listener.py): {"user": id, "close": code}.
CHANNEL = "metronome_users"
# Close codes: not signed in any more (the page goes to /login), and "connect again now".
CLOSE_SIGNED_OUT = 4401
CLOSE_RECONNECT = 4000
MIN_PASSWORD = 8


def one_time_password() -> str:
    """A password to hand over once (the admin passes it on; its owner changes it)."""
    return secrets.token_urlsafe(12)


async def hash_password(password: str) -> str:
    """argon2id (board/accounts.py), off the event loop: tens of milliseconds of CPU each."""
    if len(password) < MIN_PASSWORD:
        raise UserError(
            f"expected a password of at least {MIN_PASSWORD} characters, got {len(password)}"
        )
    return await asyncio.to_thread(accounts.hash_password, password)


async def password_matches(password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(accounts.password_matches, password_hash, password)


def check_role(role: Any) -> str:
    if role not in ROLES:
        raise UserError(f"expected role to be one of {', '.join(ROLES)}, got {role!r}")
    return str(role)


def user_state(row: Row) -> dict[str, Any]:
    """A user as the Users dialog shows it (never the password hash)."""
    return {
        "id": row.id,
        "email": row.email,
        "role": row.role,
        "disabled": row.disabled,
        "created_at": row.created_at.isoformat().replace("+00:00", "Z"),
    }


async def find(db: Db, email: str) -> Row:
    row = await fetchrow(
        db, "SELECT * FROM users WHERE email = $1", accounts.normalize_email(email)
    )
    if row is None:
        raise UserError(f"no user with e-mail {accounts.normalize_email(email)}")
    return row


async def by_id(db: Db, user_id: int, *, lock: bool = False) -> Row:
    row = await fetchrow(
        db, "SELECT * FROM users WHERE id = $1" + (" FOR UPDATE" if lock else ""), user_id
    )
    if row is None:
        raise UserError(f"no user with id {user_id}")
    return row


async def create(db: Db, email: str, role: str, password: str) -> int:
    """A new user (board/accounts.py insert_user), the password hashed off the event loop."""
    return await accounts.insert_user(db, email, await hash_password(password), role)


async def set_password(db: Db, user_id: int, password: str, *, end_sessions: bool) -> int:
    """A new password; with ``end_sessions`` every session of the user ends (a reset: whoever
    knew the old one is signed out). Returns how many sessions ended."""
    password_hash = await hash_password(password)
    await db.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash)
    if not end_sessions:
        return 0
    ended = await _end_sessions(db, user_id)
    await notify(db, user_id, CLOSE_SIGNED_OUT)
    return ended


async def set_role(db: Db, user_id: int, role: str) -> None:
    row = await by_id(db, user_id, lock=True)
    role = check_role(role)
    if row.role == role:
        return
    if row.role == "admin":
        await _keep_an_admin(db, user_id, "change the role of")
    await db.execute("UPDATE users SET role = $2 WHERE id = $1", user_id, role)
    await notify(db, user_id, CLOSE_RECONNECT)


async def set_disabled(db: Db, user_id: int, disabled: bool) -> tuple[int, int]:
    """Disable (ending sessions and tokens, closing boards) or enable a user; returns how
    many sessions and tokens ended."""
    row = await by_id(db, user_id, lock=True)
    if row.disabled == disabled:
        return 0, 0
    if disabled and row.role == "admin":
        await _keep_an_admin(db, user_id, "disable")
    await db.execute("UPDATE users SET disabled = $2 WHERE id = $1", user_id, disabled)
    if not disabled:
        return 0, 0
    sessions = await _end_sessions(db, user_id)
    tokens = await db.fetchval(
        "WITH t AS (UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL"
        " RETURNING 1) SELECT count(*) FROM t",
        user_id,
    )
    await notify(db, user_id, CLOSE_SIGNED_OUT)
    return sessions, int(tokens)


async def _end_sessions(db: Db, user_id: int) -> int:
    ended = await db.fetchval(
        "WITH s AS (UPDATE sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL"
        " RETURNING 1) SELECT count(*) FROM s",
        user_id,
    )
    return int(ended)


async def _keep_an_admin(db: Db, user_id: int, what: str) -> None:
    """Refuse to leave the board without an enabled admin (nobody could add one back)."""
    others = await db.fetchval(
        "SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled AND id <> $1", user_id
    )
    if not others:
        raise UserError(f"cannot {what} the last admin: make another user an admin first")


async def notify(db: Db, user_id: int, close: int) -> None:
    """Tell every instance to close this user's boards (delivered when the transaction commits)."""
    await db.execute(
        "SELECT pg_notify($1, $2)",
        CHANNEL,
        orjson.dumps({"user": user_id, "close": close}).decode(),
    )


# --- the ops (web/app.py registers them) ------------------------------------------------


def _refused(op: str, exc: UserError) -> BadRequest:
    return BadRequest(f"{op}: {exc}")


async def list_op(call: Call, args: Args) -> dict[str, Any]:
    """A read, run outside any unit of work (nothing to record)."""
    async with call.read() as db:
        return {"items": [user_state(row) for row in await accounts.list_users(db)]}


async def create_op(ctx: Ctx, args: Args) -> dict[str, Any]:
    """A new user; ``result.password`` is their one-time password, shown to the admin once."""
    password = one_time_password()
    try:
        user_id = await create(
            ctx.db, args.str("email", max_len=320), args.str("role", max_len=16), password
        )
    except UserError as exc:
        if "already exists" not in str(exc):
            raise _refused(args.op, exc) from None
        raise BadRequest(f"{args.op}: {exc}", reason="email_taken", field="email") from None
    return {"id": user_id, "password": password}


async def update_op(ctx: Ctx, args: Args) -> dict[str, Any]:
    """{id, role?, disabled?}: an admin changes someone's role or locks them out."""
    user_id = args.int("id")
    if user_id == ctx.actor.id:
        raise Forbidden(
            f"{args.op}: you cannot change your own role or disable yourself", reason="yourself"
        )
    if not (args.has("role") or args.has("disabled")):
        raise BadRequest(f"{args.op}: nothing to change: give role or disabled")
    try:
        role = check_role(args.str("role", max_len=16)) if args.has("role") else None
    except UserError as exc:
        raise _refused(args.op, exc) from None
    disabled = args.bool("disabled") if args.has("disabled") else None
    try:
        await by_id(ctx.db, user_id)
    except UserError as exc:
        raise NotFound(f"{args.op}: {exc}") from None
    try:
        if role is not None:
            await set_role(ctx.db, user_id, role)
        if disabled is not None:
            await set_disabled(ctx.db, user_id, disabled)
    except UserError as exc:  # the last admin
        raise Conflict(f"{args.op}: {exc}", reason="last_admin") from None
    return {"user": user_state(await by_id(ctx.db, user_id))}


async def reset_op(ctx: Ctx, args: Args) -> dict[str, Any]:
    """A new one-time password for someone who lost theirs; their sessions end."""
    user_id = args.int("id")
    password = one_time_password()
    try:
        await by_id(ctx.db, user_id, lock=True)
        await set_password(ctx.db, user_id, password, end_sessions=user_id != ctx.actor.id)
    except UserError as exc:
        raise NotFound(f"{args.op}: {exc}") from None
    return {"id": user_id, "password": password}


async def passwd_op(ctx: Ctx, args: Args) -> dict[str, Any]:
    """{current, password}: anyone changes their own password (their sessions stay)."""
    current = args.str("current", max_len=1000)
    password = args.str("password", max_len=1000)
    row = await by_id(ctx.db, ctx.actor.id, lock=True)
    if not await password_matches(row.password_hash, current):
        raise Forbidden(f"{args.op}: the current password is not right", reason="wrong_password")
    if password == current:
        raise BadRequest(f"{args.op}: the new password is the same as the current one")
    try:
        await set_password(ctx.db, ctx.actor.id, password, end_sessions=False)
    except UserError as exc:
        raise _refused(args.op, exc) from None
    return {"id": ctx.actor.id}


async def enabled_ids(db: Db, user_ids: list[int]) -> set[int]:
    """Which of these users may still have a board open (after missed notifications)."""
    rows = await db.fetch(
        "SELECT id FROM users WHERE id = ANY($1::int[]) AND NOT disabled", user_ids
    )
    return {r["id"] for r in rows}

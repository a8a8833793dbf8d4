"""Users, browser sessions and API tokens. Passwords are argon2id; tokens are stored hashed."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from board.context import Actor
from board.db import Db, fetch, fetchrow
from board.tables import ROLES

SESSION_TTL = timedelta(days=14)
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so a login takes as long either way."""
    return _hasher.hash("not a password")


class AccountError(ValueError):
    """A user or token request that cannot be carried out."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or " " in email:
        raise AccountError(f"expected an e-mail address, got {email!r}")
    return email


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (tens of milliseconds of CPU, by design)."""
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether ``password`` is the one ``password_hash`` was made from."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def create_user(db: Db, email: str, password: str, role: str) -> int:
    if len(password) < 8:
        raise AccountError("expected a password of at least 8 characters")
    return await insert_user(db, email, hash_password(password), role)


async def insert_user(db: Db, email: str, password_hash: str, role: str) -> int:
    """A new user with an already hashed password; refuses a bad role or a taken e-mail."""
    if role not in ROLES:
        raise AccountError(f"expected role to be one of {', '.join(ROLES)}, got {role!r}")
    email = normalize_email(email)
    if await db.fetchval("SELECT id FROM users WHERE email = $1", email):
        raise AccountError(f"a user with e-mail {email} already exists")
    user_id: int = await db.fetchval(
        "INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3) RETURNING id",
        email,
        password_hash,
        role,
    )
    return user_id


async def list_users(db: Db) -> list[Any]:
    return await fetch(db, "SELECT * FROM users ORDER BY id")


async def count_users(db: Db) -> int:
    return int(await db.fetchval("SELECT count(*) FROM users") or 0)


def _actor(row: Any) -> Actor:
    return Actor(id=row.id, email=row.email, role=row.role)


async def authenticate(db: Db, email: str, password: str) -> Actor | None:
    try:
        email = normalize_email(email)
    except AccountError:
        return None
    row = await fetchrow(db, "SELECT * FROM users WHERE email = $1 AND NOT disabled", email)
    try:
        _hasher.verify(row.password_hash if row else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return _actor(row) if row else None


async def start_session(db: Db, user_id: int, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    await db.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        hash_token(token),
        user_id,
        now,
        now + SESSION_TTL,
    )
    return token


async def end_session(db: Db, token: str, now: datetime) -> None:
    await db.execute(
        "UPDATE sessions SET ended_at = $2 WHERE token_hash = $1", hash_token(token), now
    )


async def session_actor(db: Db, token: str, now: datetime) -> Actor | None:
    row = await fetchrow(
        db,
        "SELECT u.* FROM users u JOIN sessions s ON s.user_id = u.id WHERE s.token_hash = $1"
        " AND s.ended_at IS NULL AND s.expires_at > $2 AND NOT u.disabled",
        hash_token(token),
        now,
    )
    return _actor(row) if row else None


async def create_token(db: Db, email: str, name: str) -> str:
    email = normalize_email(email)
    user_id = await db.fetchval("SELECT id FROM users WHERE email = $1", email)
    if user_id is None:
        raise AccountError(f"no user with e-mail {email}")
    token = "mtr_" + secrets.token_urlsafe(32)
    await db.execute(
        "INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, $2, $3)",
        user_id,
        name,
        hash_token(token),
    )
    return token


async def token_actor(db: Db, token: str) -> Actor | None:
    row = await fetchrow(
        db,
        "SELECT u.* FROM users u JOIN api_tokens t ON t.user_id = u.id WHERE t.token_hash = $1"
        " AND t.revoked_at IS NULL AND NOT u.disabled",
        hash_token(token),
    )
    return _actor(row) if row else None

"""Users, browser sessions and API tokens. Passwords are argon2id; tokens are stored hashed."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from board.context import Actor
from board.tables import ROLES, api_tokens, sessions, users

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


async def create_user(conn: AsyncConnection, email: str, password: str, role: str) -> int:
    if role not in ROLES:
        raise AccountError(f"expected role to be one of {', '.join(ROLES)}, got {role!r}")
    if len(password) < 8:
        raise AccountError("expected a password of at least 8 characters")
    email = normalize_email(email)
    if await conn.scalar(select(users.c.id).where(users.c.email == email)):
        raise AccountError(f"a user with e-mail {email} already exists")
    user_id: int = await conn.scalar(
        users.insert().values(email=email, password_hash=_hasher.hash(password), role=role).returning(users.c.id)
    )
    return user_id


async def list_users(conn: AsyncConnection) -> list[Any]:
    return list(await conn.execute(select(users).order_by(users.c.id)))


async def count_users(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(func.count()).select_from(users)) or 0)


def _actor(row: Any) -> Actor:
    return Actor(id=row.id, email=row.email, role=row.role)


async def authenticate(conn: AsyncConnection, email: str, password: str) -> Actor | None:
    try:
        email = normalize_email(email)
    except AccountError:
        return None
    row = (await conn.execute(select(users).where(users.c.email == email, users.c.disabled.is_(False)))).first()
    try:
        _hasher.verify(row.password_hash if row else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return _actor(row) if row else None


async def start_session(conn: AsyncConnection, user_id: int, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    await conn.execute(
        sessions.insert().values(token_hash=hash_token(token), user_id=user_id, created_at=now, expires_at=now + SESSION_TTL)
    )
    return token


async def end_session(conn: AsyncConnection, token: str, now: datetime) -> None:
    await conn.execute(update(sessions).where(sessions.c.token_hash == hash_token(token)).values(ended_at=now))


async def session_actor(conn: AsyncConnection, token: str, now: datetime) -> Actor | None:
    row = (
        await conn.execute(
            select(users)
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(
                sessions.c.token_hash == hash_token(token),
                sessions.c.ended_at.is_(None),
                sessions.c.expires_at > now,
                users.c.disabled.is_(False),
            )
        )
    ).first()
    return _actor(row) if row else None


async def create_token(conn: AsyncConnection, email: str, name: str) -> str:
    email = normalize_email(email)
    user_id = await conn.scalar(select(users.c.id).where(users.c.email == email))
    if user_id is None:
        raise AccountError(f"no user with e-mail {email}")
    token = "mtr_" + secrets.token_urlsafe(32)
    await conn.execute(api_tokens.insert().values(user_id=user_id, name=name, token_hash=hash_token(token)))
    return token


async def token_actor(conn: AsyncConnection, token: str) -> Actor | None:
    row = (
        await conn.execute(
            select(users)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == hash_token(token), api_tokens.c.revoked_at.is_(None), users.c.disabled.is_(False))
        )
    ).first()
    return _actor(row) if row else None

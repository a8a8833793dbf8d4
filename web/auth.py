"""Who is asking: a session cookie (browsers) or a bearer token (machines); and Origin checks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from board import accounts
from board.context import Actor
from board.db import Database

COOKIE = "metronome_session"


def bearer(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def resolve(
    database: Database, headers: Mapping[str, str], cookies: Mapping[str, str], now: datetime
) -> Actor | None:
    token = bearer(headers)
    session = cookies.get(COOKIE)
    if token is not None:
        async with database.connect() as db:
            return await accounts.token_actor(db, token)
    if session:
        async with database.connect() as db:
            return await accounts.session_actor(db, session, now)
    return None


def origin_allowed(
    origin: str | None, allowed: tuple[str, ...], scheme: str, host: str | None
) -> bool:
    """Exact match only: no prefixes, no suffixes, no wildcards.

    No Origin header at all is a non-browser client (a CMS, a script): it is not a cross-site
    request, and it still needs a valid session or token.
    With no allowlist configured, the only allowed origin is the one the request was served on.
    """
    if origin is None:
        return True
    origin = origin.rstrip("/")
    if allowed:
        return origin in allowed
    if not host:
        return False
    served = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    return origin == f"{served}://{host}"

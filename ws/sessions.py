"""Closing the open boards of users who were disabled or given another role, on this instance.

board/users.py NOTIFYs every instance when that happens; the listener hands the note here.
"""

from __future__ import annotations

import logging
from typing import Any

from board import users
from board.db import Database
from ws.hub import Hub

log = logging.getLogger(__name__)

REASONS = {
    users.CLOSE_SIGNED_OUT: "signed out: the account was disabled or its sessions ended",
    users.CLOSE_RECONNECT: "the account's role changed: reconnect",
}


def close_user(hub: Hub, note: dict[str, Any]) -> None:
    """Close the boards of ``note["user"]`` with ``note["close"]`` (4401: to /login; 4000: reconnect)."""
    try:
        user_id, code = int(note["user"]), int(note.get("close", users.CLOSE_SIGNED_OUT))
    except (KeyError, TypeError, ValueError):
        log.warning("ignoring a malformed users note %r", note, extra={"action": "ws.users"})
        return
    closed = hub.close_user(user_id, code, REASONS.get(code, "account changed"))
    if closed:
        log.info(
            "closed %d board(s) of user %d (%d)",
            closed,
            user_id,
            code,
            extra={"action": "ws.users"},
        )


async def close_disabled(database: Database, hub: Hub) -> None:
    """After notifications were lost: close the boards of users who are disabled by now."""
    connected = hub.user_ids()
    if not connected:
        return
    async with database.connect() as db:
        enabled = await users.enabled_ids(db, sorted(connected))
    for user_id in connected - enabled:
        close_user(hub, {"user": user_id, "close": users.CLOSE_SIGNED_OUT})

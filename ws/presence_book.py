"""Presence without I/O (ws/presence.py does the I/O): what this instance's connections say
(``Local``), the announcements that carry it over NOTIFY (``announcements``), and every
instance's users as heard, each on a lease, with the state's ``presence`` they make (``Book``).

An announcement is ``{"from": instance, "set": {user id: [email, editing, at]}, "gone": [user
id…]}``, with ``"ask": true`` (announce everything now) or ``"bye": true`` (drop all of mine).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from board import notify
from board.context import Actor
from board.patch import diff

# How long an instance's user stays without a renewal (ws/presence.py renews every
# HEARTBEAT_S): long enough for two missed renewals, short enough that a dead instance's
# users leave within 15 s.
LEASE_S = 12.0
# One announcement's payload at most: under NOTIFY's 8000 bytes (notify.MAX_NOTIFY) with room
# for the envelope. An entry is ~40 bytes plus an e-mail (at most 320).
MESSAGE_BYTES = 7000

Entry = list[Any]  # [email, editing (a card id or None), at (when editing was set, epoch s)]


@dataclass
class _Conn:
    user_id: int
    email: str
    editing: int | None = None
    at: float = 0.0


def _rank(editing: int | None, at: float) -> tuple[bool, float]:
    """Which of a user's entries names what they edit: the latest that edits something."""
    return (editing is not None, at)


class Local:
    """What this instance's own connections say (no I/O): who has a board open here."""

    def __init__(self) -> None:
        self._conns: dict[str, _Conn] = {}
        # Users whose entry may have changed since the last announcement.
        self.dirty: set[int] = set()

    def join(self, key: str, actor: Actor) -> None:
        self._conns[key] = _Conn(actor.id, actor.email)
        self.dirty.add(actor.id)

    def leave(self, key: str) -> None:
        conn = self._conns.pop(key, None)
        if conn is not None:
            self.dirty.add(conn.user_id)

    def edit(self, key: str, snippet_id: int | None, at: float) -> bool:
        """Record what a connection edits; False when the connection is not (or no longer) here."""
        conn = self._conns.get(key)
        if conn is None:
            return False
        conn.editing, conn.at = snippet_id, at
        self.dirty.add(conn.user_id)
        return True

    def entries(self, users: Iterable[int] | None = None) -> tuple[dict[int, Entry], list[int]]:
        """The entries of ``users`` (None: everyone here) and which of them have no
        connection here any more."""
        entries: dict[int, Entry] = {}
        for conn in self._conns.values():
            best = entries.get(conn.user_id)
            if best is None or _rank(conn.editing, conn.at) > _rank(best[1], best[2]):
                entries[conn.user_id] = [conn.email, conn.editing, conn.at]
        if users is None:
            return entries, []
        wanted = set(users)
        return {u: e for u, e in entries.items() if u in wanted}, sorted(wanted - entries.keys())


def announcements(
    instance: str,
    entries: dict[int, Entry],
    gone: list[int],
    *,
    ask: bool = False,
    bye: bool = False,
) -> list[str]:
    """NOTIFY payloads saying ``entries`` and ``gone`` for ``instance`` (and ``ask`` or
    ``bye``, in the first), each at most MESSAGE_BYTES; none when there is nothing to say."""
    flags = {"ask": True} if ask else {}
    if bye:
        flags["bye"] = True
    payloads: list[str] = []
    found: dict[str, Entry] = {}
    left: list[int] = []
    size = 0

    def flush() -> None:
        nonlocal found, left, size, flags
        message = {"from": instance, **flags, "set": found, "gone": left}
        payloads.append(notify.encode_presence(message))
        found, left, size, flags = {}, [], 0, {}

    for user_id, entry in entries.items():
        piece = len(orjson.dumps(entry)) + len(str(user_id)) + 4
        if size + piece > _ROOM and (found or left):
            flush()
        found[str(user_id)] = entry
        size += piece
    for user_id in gone:
        if size + 12 > _ROOM and (found or left):
            flush()
        left.append(user_id)
        size += 12
    if found or left or flags:
        flush()
    return payloads


# What one payload has for its entries: the envelope, the instance id and flags take the rest.
_ROOM = MESSAGE_BYTES - 100


@dataclass
class _Heard:
    email: str
    editing: int | None
    at: float
    expires: float


class Book:
    """Every instance's users as this instance heard them, each on a lease (no I/O)."""

    def __init__(self, lease_s: float = LEASE_S) -> None:
        self.lease_s = lease_s
        self._heard: dict[tuple[str, int], _Heard] = {}
        self._shown: dict[str, dict[str, Any]] = {}

    def hear(self, message: dict[str, Any], now: float) -> bool:
        """Take in one announcement; True when it asks every instance to announce all.
        Raises ValueError for a message that is not one (nothing of it is taken)."""
        sender = message.get("from")
        gone = message.get("gone", [])
        found = message.get("set", {})
        if (
            not isinstance(sender, str)
            or not isinstance(found, dict)
            or not isinstance(gone, list)
            or not all(isinstance(user_id, int) for user_id in gone)
        ):
            raise ValueError(f"expected an announcement, got {str(message)[:80]}")
        updates = {}
        for key, entry in found.items():
            if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str)):
                raise ValueError(f"expected [email, editing, at] for user {key}, got {entry!r:.80}")
            email, editing, at = entry
            if not (editing is None or isinstance(editing, int)) or not isinstance(at, int | float):
                raise ValueError(f"expected [email, editing, at] for user {key}, got {entry!r:.80}")
            updates[(sender, int(key))] = _Heard(email, editing, float(at), now + self.lease_s)
        if message.get("bye"):
            for key in [k for k in self._heard if k[0] == sender]:
                del self._heard[key]
        for user_id in gone:
            self._heard.pop((sender, user_id), None)
        self._heard.update(updates)
        return bool(message.get("ask"))

    def expire(self, now: float) -> None:
        """Drop the entries whose lease ran out (their instance stopped renewing them)."""
        for key in [k for k, heard in self._heard.items() if heard.expires <= now]:
            del self._heard[key]

    def view(self) -> dict[str, dict[str, Any]]:
        """The state's ``presence``: one entry per user, whatever instances they are on."""
        best: dict[int, _Heard] = {}
        for (_, user_id), heard in self._heard.items():
            other = best.get(user_id)
            if other is None or _rank(heard.editing, heard.at) > _rank(other.editing, other.at):
                best[user_id] = heard
        return {
            str(user_id): {"id": user_id, "email": heard.email, "editing": heard.editing}
            for user_id, heard in sorted(best.items())
        }

    @property
    def shown(self) -> dict[str, dict[str, Any]]:
        """The view as last handed to the clients (what a joining client starts from)."""
        return self._shown

    def changes(self) -> dict[str, Any]:
        """The merge patch from the view last shown to the view now ({}: no change)."""
        view = self.view()
        delta = diff(self._shown, view)
        self._shown = view
        return {"presence": delta} if delta else {}

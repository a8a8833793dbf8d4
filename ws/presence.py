"""Presence (CONTRACT §12): who has the board open, on any instance, and which card each edits.

Ephemeral by design: nothing here is written to the events table or any other. Each instance
announces what its own connections say over the change channel (board/notify.py's
``{"presence": M}`` messages) and hears every instance's announcements, its own included (as
it hears its own changes), so every instance shows the same ``presence`` in the state:

- ``set``: users with a board open on the sender, ``{user id: [email, editing, at]}``; sent at
  once for users whose entry changed, and every HEARTBEAT_S for all of them (a renewal of
  their lease), in as many payloads as NOTIFY's size limit needs;
- ``gone``: users whose last connection on the sender closed;
- ``ask``: an instance that just started, or missed notifications, asks every instance to
  announce all its users now; ``bye``: an instance that stops drops its users at once.

An entry nobody renews for LEASE_S is dropped: so the users of an instance that died leave.
A connection that dies without a close is found by uvicorn's keepalive pings (web/cli.py
WS_OPTIONS) and then leaves like any other. Either way a user is gone within 15 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from board import notify
from board.args import Args
from board.clock import Backoff, Clock
from board.commands import ROLE_RANK
from board.context import Actor
from board.db import Database, is_connection_error
from board.errors import Forbidden, NotFound, Unavailable
from board.patch import diff

log = logging.getLogger(__name__)

# The op a connection says what it edits with (handled by ws/endpoint.py, never recorded).
OP = "presence.editing"
# Every instance renews its users' leases this often. A lease outlives two missed renewals
# (a busy loop, a slow NOTIFY), yet a dead instance's users leave within 15 s of its death:
# at most LEASE_S after the last renewal, plus one SWEEP_S.
HEARTBEAT_S = 5.0
LEASE_S = 12.0
SWEEP_S = 1.0
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


class Presence:
    """This instance's presence: its connections announced, every instance's heard, the
    state's ``presence`` kept and patched (``publish``: the hub's fanout)."""

    def __init__(
        self,
        database: Database,
        publish: Callable[[dict[str, Any]], None],
        *,
        heartbeat_s: float = HEARTBEAT_S,
        lease_s: float = LEASE_S,
    ) -> None:
        self.instance = secrets.token_hex(6)
        self._database = database
        self._publish = publish
        self.heartbeat_s = heartbeat_s
        self.book = Book(lease_s)
        self.local = Local()
        self._wakeup = asyncio.Event()
        # The first announcement asks the others for theirs: a new instance starts knowing all.
        self._ask = True
        self._announce_all = True

    def state(self) -> dict[str, dict[str, Any]]:
        return dict(self.book.shown)

    # --- this instance's connections (ws/endpoint.py) --------------------------------------

    def join(self, key: str, actor: Actor) -> None:
        self.local.join(key, actor)
        self._wakeup.set()

    def leave(self, key: str) -> None:
        self.local.leave(key)
        self._wakeup.set()

    async def command(self, key: str, actor: Actor, raw_args: Any) -> dict[str, Any]:
        """``presence.editing`` {snippet_id | null}: what this connection edits now."""
        args = Args(raw_args, OP)
        snippet_id = args.int("snippet_id", nullable=True, minimum=1)
        if snippet_id is not None:
            if ROLE_RANK.get(actor.role, -1) < ROLE_RANK["author"]:
                raise Forbidden(f"{OP}: editing a card needs the author role, you are {actor.role}")
            try:
                async with self._database.connect() as db:
                    found = await db.fetchval(
                        "SELECT 1 FROM snippets WHERE id = $1 AND status <> 'deleted'", snippet_id
                    )
            except Exception as exc:
                if is_connection_error(exc):
                    raise Unavailable() from exc
                raise
            if found is None:
                raise NotFound(f"{OP}: no card with id {snippet_id}")
        self.local.edit(key, snippet_id, time.time())
        self._wakeup.set()
        return {"snippet_id": snippet_id}

    # --- every instance's announcements (ws/listener.py) -----------------------------------

    def heard(self, message: dict[str, Any]) -> None:
        try:
            ask = self.book.hear(message, time.monotonic())
        except ValueError as exc:
            log.warning("not a presence message: %s", exc, extra={"action": "presence.garbled"})
            return
        if ask and message.get("from") != self.instance:
            self._announce_all = True
            self._wakeup.set()
        self._show()

    def resync(self) -> None:
        """Notifications were lost (the LISTEN connection dropped): hear everyone again."""
        self._ask = self._announce_all = True
        self._wakeup.set()

    def _show(self) -> None:
        patch = self.book.changes()
        if patch:
            self._publish(patch)

    # --- the background task -----------------------------------------------------------

    async def run(self) -> None:
        """Announce changes at once and everyone every heartbeat; drop expired leases.
        Runs until cancelled (web/app.py's lifespan supervises it)."""
        # Real time: the injected clock is the board's schedule, not this machinery's.
        backoff = Backoff(Clock(), 0.5, self.heartbeat_s)
        next_beat = 0.0
        while True:
            now = time.monotonic()
            if now >= next_beat:
                self._announce_all = True
                next_beat = now + self.heartbeat_s
            try:
                await self._announce()
                backoff.reset()
            except Exception as exc:
                if not is_connection_error(exc):
                    raise
                delay = backoff.next_delay()
                log.warning(
                    "presence not announced: %s; retrying in %.1f s",
                    exc,
                    delay,
                    extra={"action": "presence.retry"},
                )
                await asyncio.sleep(delay)
                continue
            self.book.expire(time.monotonic())
            self._show()
            wait = max(0.0, min(SWEEP_S, next_beat - time.monotonic()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wakeup.wait()
            self._wakeup.clear()

    async def _announce(self) -> None:
        everyone, ask, dirty = self._announce_all, self._ask, self.local.dirty
        self._announce_all, self._ask, self.local.dirty = False, False, set()
        entries, gone = self.local.entries(None if everyone else dirty)
        if everyone:
            gone = sorted(dirty - entries.keys())
        try:
            await self._send(announcements(self.instance, entries, gone, ask=ask))
        except BaseException:
            # Said again next time (a heartbeat says everything anyway).
            self._announce_all |= everyone
            self._ask |= ask
            self.local.dirty |= dirty
            raise

    async def _send(self, payloads: list[str]) -> None:
        if not payloads:
            return
        async with self._database.connect() as db:
            # In order, on one connection: usually one payload (a heartbeat of many users, more).
            for payload in payloads:
                await db.execute("SELECT pg_notify($1, $2)", notify.CHANNEL, payload)

    async def stop(self) -> None:
        """Tell every instance this one's users are gone (best effort: if the database is
        unreachable, their leases run out instead)."""
        try:
            await self._send(announcements(self.instance, {}, [], bye=True))
        except Exception as exc:
            if not is_connection_error(exc):
                log.exception("presence: the farewell failed", extra={"action": "presence.bye"})

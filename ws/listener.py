"""The LISTEN connection: every instance learns of every committed change, in commit order.

NOTIFY carries the patch (or, when too big, the id of a row in ``changes``). The connection
is probed; when it drops, we reconnect with backoff and every client resyncs from a fresh
full state, since notifications sent meanwhile are lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import orjson

from board import notify
from board.clock import Backoff, Clock
from board.db import is_connection_error
from board.patch import compose
from board.users import CHANNEL as USERS_CHANNEL

log = logging.getLogger(__name__)

# How often the connection is probed, and how long a probe may take before we call it lost.
PROBE_EVERY = 5.0
PROBE_TIMEOUT = 5.0
MAX_BACKOFF = 10.0
# Notifications composed into one patch at most (a bound on the work between two yields).
MAX_BATCH = 64
# After a delivery, the next waits this long for company. A delivery costs ~13 µs per
# client however small the patch; under a steady stream of commits (a hundred publishes
# a second make two hundred), composing what comes within ten milliseconds saves a third or more
# of the fanout's CPU. Changes further apart than this, as an editor's are, go at once.
COALESCE_S = 0.010

# The patch, the columns to wake, and the patch as JSON bytes when the payload carried it in
# a form that can be cut out (else None, and whoever needs bytes encodes the patch).
OnChange = Callable[[dict[str, Any], list[int], bytes | None], None]
OnResync = Callable[[], Awaitable[None]]
# A user was disabled or changed role: {"user": id, "close": code} (board/users.py).
OnUsers = Callable[[dict[str, Any]], None]
# A presence message (ws/presence.py): ephemeral, handed on apart from the board's changes.
OnPresence = Callable[[dict[str, Any]], None]


class Listener:
    def __init__(
        self,
        dsn: str,
        on_change: OnChange,
        on_resync: OnResync,
        on_users: OnUsers | None = None,
        on_presence: OnPresence | None = None,
    ) -> None:
        self._dsn = dsn
        self._on_change = on_change
        self._on_resync = on_resync
        self._on_users = on_users
        self._on_presence = on_presence
        self._inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self.connected = asyncio.Event()
        self.reconnects = 0
        self._conn: asyncpg.Connection | None = None
        self._delivered_at = 0.0

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: object) -> None:
        self._inbox.put_nowait(str(payload))

    def _users_notified(self, _conn: Any, _pid: int, _channel: str, payload: object) -> None:
        # Straight on, not through the inbox: closing a user's boards does not wait for patches.
        if self._on_users is None:
            return
        try:
            self._on_users(orjson.loads(str(payload)))
        except Exception:
            log.exception("a users handler failed", extra={"action": "listen.users"})

    def _terminated(self, _conn: Any) -> None:
        self._inbox.put_nowait(None)  # wakes the loop, which then probes and reconnects

    async def _connect(self) -> asyncpg.Connection:
        conn = await asyncpg.connect(
            self._dsn, server_settings={"application_name": "metronome-listen"}
        )
        await conn.add_listener(notify.CHANNEL, self._notified)
        await conn.add_listener(USERS_CHANNEL, self._users_notified)
        conn.add_termination_listener(self._terminated)
        return conn

    async def run(self) -> None:
        """Listen until cancelled; reconnects forever."""
        # Real time: the injected clock is the board's schedule, not this machinery's.
        backoff = Backoff(Clock(), 0.2, MAX_BACKOFF)
        first = True
        while True:
            try:
                self._conn = await self._connect()
            except Exception as exc:
                if not is_connection_error(exc, connecting=True):
                    raise
                delay = backoff.next_delay()
                log.warning(
                    "LISTEN connection failed: %s; retrying in %.1f s",
                    exc,
                    delay,
                    extra={"action": "listen.retry"},
                )
                await asyncio.sleep(delay)
                continue
            backoff.reset()
            self.connected.set()
            if not first:
                self.reconnects += 1
                log.warning(
                    "LISTEN connection restored; resyncing clients",
                    extra={"action": "listen.resync"},
                )
                await self._on_resync()
            first = False
            try:
                await self._serve(self._conn)
            except Exception as exc:
                if not is_connection_error(exc):
                    raise
                log.warning("LISTEN connection lost: %r", exc, extra={"action": "listen.lost"})
            finally:
                self.connected.clear()
                conn, self._conn = self._conn, None
                if conn is not None:
                    conn.terminate()

    async def _serve(self, conn: asyncpg.Connection) -> None:
        while True:
            try:
                # A timeout scope, not wait_for: that made a task for every notification.
                async with asyncio.timeout(PROBE_EVERY):
                    payload = await self._inbox.get()
            except TimeoutError:
                payload = None
            if payload is None:
                await self._probe(conn)
                continue
            loop = asyncio.get_running_loop()
            company = self._delivered_at + COALESCE_S - loop.time()
            if company > 0:
                await asyncio.sleep(company)
            # Notifications that queued up meanwhile go out as one patch: under load, one
            # frame per client for several commits instead of one per commit.
            batch = [payload]
            probe = False
            while len(batch) < MAX_BATCH and not self._inbox.empty():
                more = self._inbox.get_nowait()
                if more is None:
                    probe = True
                    break
                batch.append(more)
            if await self._deliver(conn, batch):
                self._delivered_at = loop.time()
            if probe:
                await self._probe(conn)

    async def _probe(self, conn: asyncpg.Connection) -> None:
        if conn.is_closed():
            raise asyncpg.InterfaceError("LISTEN connection closed")
        await asyncio.wait_for(conn.execute("SELECT 1"), PROBE_TIMEOUT)

    async def _deliver(self, conn: asyncpg.Connection, payloads: list[str]) -> bool:
        """Hand the changes on in commit order, consecutive ones composed into one patch.
        True when a board change went to the clients: only that is a fanout the next change
        waits COALESCE_S after. A presence message (a heartbeat every 5 s) reaches no client
        unless someone came or went, so it must not make the next command's patch wait."""
        pending: notify.Change | None = None
        handed = False
        for payload in payloads:
            change = await self._read(conn, payload)
            if change is None:  # lost or garbled: every client starts again from the database
                self._hand_on(pending)
                pending = None
                await self._on_resync()
                continue
            if change.presence is not None:
                # Touches no key a board patch does: no need to flush what is being composed.
                self._presence(change.presence)
                continue
            if pending is not None:
                composed = compose(pending.patch, change.patch)
                if composed is not None:
                    pending = notify.Change(composed, pending.wake + change.wake)
                    continue
                self._hand_on(pending)
            pending = change
            handed = True
        self._hand_on(pending)
        return handed

    async def _read(self, conn: asyncpg.Connection, payload: str) -> notify.Change | None:
        """The change a notification carries (or names); None when it cannot be had."""
        spilled = notify.spilled_id(payload)
        if spilled is not None:
            text = await conn.fetchval("SELECT payload FROM changes WHERE id = $1", spilled)
            if text is None:
                log.error(
                    "change %s is gone; resyncing", payload, extra={"action": "listen.missing"}
                )
                return None
            payload = text
        try:
            return notify.decode(payload)
        except ValueError as exc:
            log.error("not a change (%s); resyncing", exc, extra={"action": "listen.garbled"})
            return None

    def _presence(self, message: dict[str, Any]) -> None:
        if self._on_presence is None:
            return
        try:
            self._on_presence(message)
        except Exception:
            log.exception("the presence handler failed", extra={"action": "listen.presence"})

    def _hand_on(self, change: notify.Change | None) -> None:
        if change is None:
            return
        try:
            self._on_change(change.patch, change.wake, change.patch_json)
        except Exception:
            log.exception("a change handler failed", extra={"action": "listen.handler"})

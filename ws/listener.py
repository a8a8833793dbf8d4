"""The LISTEN connection: every instance learns of every committed change, in commit order.

NOTIFY carries the patch (or, when too big, the id of a row in ``changes``). The connection
is probed; when it drops, we reconnect with backoff and every client resyncs from a fresh
full state, since notifications sent meanwhile are lost.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import orjson

from board.commands import CHANNEL
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


class Listener:
    def __init__(self, dsn: str, on_change: OnChange, on_resync: OnResync, on_users: OnUsers | None = None) -> None:
        self._dsn = dsn
        self._on_change = on_change
        self._on_resync = on_resync
        self._on_users = on_users
        self._inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self.connected = asyncio.Event()
        self.reconnects = 0
        self._conn: asyncpg.Connection | None = None
        self._delivered_at = 0.0

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self._inbox.put_nowait(payload)

    def _users_notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        # Straight on, not through the inbox: closing a user's boards does not wait for patches.
        if self._on_users is None:
            return
        try:
            self._on_users(orjson.loads(payload))
        except Exception:
            log.exception("a users handler failed", extra={"action": "listen.users"})

    def _terminated(self, _conn: Any) -> None:
        self._inbox.put_nowait(None)  # wakes the loop, which then probes and reconnects

    async def _connect(self) -> asyncpg.Connection:
        conn = await asyncpg.connect(self._dsn, server_settings={"application_name": "metronome-listen"})
        await conn.add_listener(CHANNEL, self._notified)
        await conn.add_listener(USERS_CHANNEL, self._users_notified)
        conn.add_termination_listener(self._terminated)
        return conn

    async def run(self) -> None:
        """Listen until cancelled; reconnects forever."""
        backoff = 0.2
        first = True
        while True:
            try:
                self._conn = await self._connect()
            except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
                log.warning("LISTEN connection failed: %s; retrying in %.1f s", exc, backoff,
                            extra={"action": "listen.retry"})
                await asyncio.sleep(backoff * (1 + random.random() / 2))
                backoff = min(MAX_BACKOFF, backoff * 2)
                continue
            backoff = 0.2
            self.connected.set()
            if not first:
                self.reconnects += 1
                log.warning("LISTEN connection restored; resyncing clients", extra={"action": "listen.resync"})
                await self._on_resync()
            first = False
            try:
                await self._serve(self._conn)
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
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
            await self._deliver(conn, batch)
            self._delivered_at = loop.time()
            if probe:
                await self._probe(conn)

    async def _probe(self, conn: asyncpg.Connection) -> None:
        if conn.is_closed():
            raise asyncpg.InterfaceError("LISTEN connection closed")
        await asyncio.wait_for(conn.execute("SELECT 1"), PROBE_TIMEOUT)

    async def _deliver(self, conn: asyncpg.Connection, payloads: list[str]) -> None:
        """Hand the changes on in commit order, consecutive ones composed into one patch."""
        pending: tuple[dict[str, Any], list[int], bytes | None] | None = None
        for payload in payloads:
            if payload.startswith("#"):
                text = await conn.fetchval("SELECT payload FROM changes WHERE id = $1", int(payload[1:]))
                if text is None:
                    log.error("change %s is gone; resyncing", payload, extra={"action": "listen.missing"})
                    self._hand_on(pending)
                    pending = None
                    await self._on_resync()
                    continue
                payload = text
            raw = payload.encode()
            message = orjson.loads(raw)
            patch, wake = message.get("patch") or {}, list(message.get("wake") or ())
            if pending is not None:
                composed = compose(pending[0], patch)
                if composed is not None:
                    pending = (composed, pending[1] + wake, None)
                    continue
                self._hand_on(pending)
            pending = (patch, wake, patch_bytes(raw, message))
        self._hand_on(pending)

    def _hand_on(self, change: tuple[dict[str, Any], list[int], bytes | None] | None) -> None:
        if change is None:
            return
        try:
            self._on_change(*change)
        except Exception:
            log.exception("a change handler failed", extra={"action": "listen.handler"})


_PATCH_KEY = b'{"patch":'


def patch_bytes(raw: bytes, message: dict[str, Any]) -> bytes | None:
    """The patch's own JSON inside a NOTIFY payload, so the hub need not encode it again.

    Only for the exact compact form board.commands.announce writes, ``{"patch":P,"wake":W}``
    with W as orjson writes it: then P is what lies between. Any other form (keys in another
    order, whitespace, more keys) gives None, and the patch is encoded from the dict.
    """
    if len(message) != 2 or "wake" not in message or not raw.startswith(_PATCH_KEY):
        return None
    tail = b',"wake":' + orjson.dumps(message["wake"]) + b"}"
    if not raw.endswith(tail) or len(raw) <= len(_PATCH_KEY) + len(tail):
        return None
    return raw[len(_PATCH_KEY):-len(tail)]

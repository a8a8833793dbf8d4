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
from collections.abc import Callable
from typing import Any

from board import notify
from board.args import Args
from board.clock import Backoff, Clock
from board.commands import ROLE_RANK
from board.context import Actor
from board.db import Database, is_connection_error
from board.errors import Forbidden, NotFound, Unavailable
from ws.presence_book import LEASE_S, Book, Local, announcements

log = logging.getLogger(__name__)

# The op a connection says what it edits with (handled by ws/endpoint.py, never recorded).
OP = "presence.editing"
# Every instance renews its users' leases this often. A lease (presence_book.LEASE_S) outlives
# two missed renewals (a busy loop, a slow NOTIFY), yet a dead instance's users leave within
# 15 s of its death: at most LEASE_S after the last renewal, plus one SWEEP_S.
HEARTBEAT_S = 5.0
SWEEP_S = 1.0


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
        except Exception as exc:  # the app is stopping: one line, and the leases say the rest
            log.warning(
                "presence: no farewell (%s); this instance's users leave as their leases run out",
                exc if is_connection_error(exc) else repr(exc),
                extra={"action": "presence.bye"},
            )

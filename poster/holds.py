"""The hold timer: ends holds at their ``until`` (CONTRACT §7), on every instance.

Each instance runs one. It reads the next ``until`` from the database, sleeps until then on
the injected clock (woken when a change touches ``holds``, so a new or released hold re-arms
it), and releases what is due, each hold in a unit of work of its own. Every instance's
timer fires; the release is a conditional UPDATE under the columns' locks
(board/holds.py ``release_due``), so exactly one of them releases a hold, and a hold whose
time came while every instance was down is released by the first to start.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from board import holds
from board.clock import Backoff, Clock
from board.context import BoardConfig
from board.db import Database, is_connection_error
from board.unit import unit_of_work

log = logging.getLogger(__name__)

# Retries after a database error run on real time: the injected clock is the board's
# schedule, which tests hold still.
REAL_TIME = Clock()


class HoldTimer:
    def __init__(self, database: Database, config: BoardConfig, clock: Any) -> None:
        self.database = database
        self.config = config
        self.clock = clock
        self._wake = asyncio.Event()
        # How many holds this instance released (the others' releases are not counted).
        self.released = 0

    def wake(self) -> None:
        """Holds changed (on any instance): read the next ``until`` again."""
        self._wake.set()

    async def run(self) -> None:
        """Release holds as they come due, until cancelled."""
        backoff = Backoff(REAL_TIME, 0.5, 30.0)
        while True:
            self._wake.clear()
            try:
                later = await self._step()
            except Exception as exc:
                if not is_connection_error(exc):
                    raise
                delay = backoff.next_delay()
                log.warning(
                    "hold timer: database unreachable (%r); retrying in %.1f s",
                    exc,
                    delay,
                    extra={"action": "holds.retry"},
                )
                await REAL_TIME.wait(self._wake, delay)
                continue
            backoff.reset()
            if later is None:
                await self._wake.wait()
                continue
            # Measured from the clock as it is now, not as it was before the reads above.
            delay = (later - self.clock.now()).total_seconds()
            if delay > 0:
                # Timers may fire a hair early: the next step reads the time again.
                await self.clock.wait(self._wake, delay)

    async def _step(self) -> datetime | None:
        """Release the holds that are due; when the next one is (None: none)."""
        now = self.clock.now()
        async with self.database.connect() as db:
            due, later = await holds.due_holds(db, now)
        for hold_id in due:
            async with unit_of_work(self.database, holds.TIMER, now, self.config) as ctx:
                released = await holds.release_due(ctx, hold_id)
            if released:
                self.released += 1
                log.info("hold %s ended at its time", hold_id, extra={"action": "holds.released"})
        if due:
            return now  # read again at once: a hold may have been added meanwhile
        return later

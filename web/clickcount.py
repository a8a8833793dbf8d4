"""Clicks counted in memory and stored every few seconds: no database write per click.

A click is one dictionary increment on the request's path. Every FLUSH_S the counts go to
the database in one unit of work (board/clicks.py ``record``), which adds them to what the
other instances stored and patches the cards' totals to every browser. On shutdown (SIGTERM)
the last counts are stored before the pool closes. A ``kill -9`` loses what was counted
since the last flush: at most FLUSH_S of clicks.

A flush that fails is sent again, whole and under the same id, before anything newer: when
its commit did go through (the connection broke while it was confirmed) the database knows
the id and does not add it twice; meanwhile new clicks keep counting beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from board.clicks import Key
from board.db import is_connection_error

log = logging.getLogger(__name__)

# How often the counts are stored: a click reaches the board within this (plus the NOTIFY),
# and a kill -9 loses at most this much. Not more often: a flush is one transaction that
# locks the clicked cards' columns for a moment.
FLUSH_S = 5.0
# Distinct (card, hour, referrer) counts held between flushes. Referrers are whatever a
# client claims, so past this many a click is counted without its referrer instead.
MAX_KEYS = 100_000
# How long shutdown waits for the last flush.
LAST_FLUSH_S = 10.0

# Stores one batch under its id; returns False when that id was stored before.
Write = Callable[[str, Mapping[Key, int]], Awaitable[bool]]


class ClickCounter:
    """One instance's clicks not yet stored. ``run`` stores them until ``stop`` is called,
    then stores the last ones and returns."""

    def __init__(self, write: Write, *, interval: float = FLUSH_S, metrics: object = None) -> None:
        self._write = write
        self.interval = interval
        self._counts: dict[Key, int] = {}
        # A batch whose write failed: (id, counts), sent again before anything newer.
        self._unsent: tuple[str, dict[Key, int]] | None = None
        self._sending: dict[Key, int] | None = None  # the batch being written now
        self._prefix = secrets.token_hex(8)
        self._seq = itertools.count(1)
        self._stop = asyncio.Event()
        self._metrics = metrics
        # One flush at a time (the loop's, shutdown's, a test's): a batch is cut and sent whole.
        self._flushing = asyncio.Lock()

    def add(self, snippet_id: int, when: datetime, referrer: str = "") -> None:
        """Count one click on a card at ``when`` (UTC) from ``referrer``'s domain."""
        hour = when.replace(minute=0, second=0, microsecond=0)
        key = (snippet_id, hour, referrer)
        counts = self._counts
        if key not in counts and referrer and len(counts) >= MAX_KEYS:
            key = (snippet_id, hour, "")
        counts[key] = counts.get(key, 0) + 1

    @property
    def pending(self) -> int:
        """Clicks counted here and not yet stored (those being stored included)."""
        unsent = sum(self._unsent[1].values()) if self._unsent else 0
        sending = sum(self._sending.values()) if self._sending is not None else 0
        return sum(self._counts.values()) + unsent + sending

    async def flush(self) -> bool:
        """Store what is counted; False when the database could not take it (kept for the
        next try)."""
        async with self._flushing:
            return await self._flush()

    async def _flush(self) -> bool:
        if self._unsent is not None:
            if not await self._send(*self._unsent):
                return False
            self._unsent = None
        if not self._counts:
            return True
        batch, self._counts = self._counts, {}
        flush_id = f"{self._prefix}-{next(self._seq)}"
        self._sending = batch
        try:
            sent = await self._send(flush_id, batch)
        finally:
            self._sending = None
        if not sent:
            self._unsent = (flush_id, batch)
        return sent

    async def _send(self, flush_id: str, batch: dict[Key, int]) -> bool:
        try:
            stored = await self._write(flush_id, batch)
        except Exception as exc:
            self._count_flush("failed")
            if is_connection_error(exc):
                log.warning(
                    "storing %d clicks failed (%r); trying again in %.0f s",
                    sum(batch.values()),
                    exc,
                    self.interval,
                    extra={"action": "clicks.flush_retry"},
                )
            else:
                log.exception(
                    "storing %d clicks failed; trying again in %.0f s",
                    sum(batch.values()),
                    self.interval,
                    extra={"action": "clicks.flush_failed"},
                )
            return False
        self._count_flush("ok" if stored else "repeated")
        return True

    def _count_flush(self, outcome: str) -> None:
        flushes = getattr(self._metrics, "click_flushes", None)
        if flushes is not None:
            flushes.labels(outcome).inc()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Store the counts every ``interval`` seconds; after ``stop``, once more, and return."""
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._stop.wait()
            await self.flush()
        if self.pending:  # counted while the last flush ran
            await self.flush()
        lost = self.pending
        if lost:
            log.error(
                "%d clicks could not be stored before shutdown",
                lost,
                extra={"action": "clicks.lost"},
            )

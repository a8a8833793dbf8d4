"""A clock the test moves by hand: the poster's waits end only when time is advanced."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
        self._mono = 1000.0
        self._ticked = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        deadline = self._mono + timeout
        while not event.is_set() and self._mono < deadline:
            tick = self._ticked
            waiter = asyncio.ensure_future(event.wait())
            ticker = asyncio.ensure_future(tick.wait())
            try:
                await asyncio.wait({waiter, ticker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
                ticker.cancel()
        return event.is_set()

    async def sleep(self, seconds: float) -> None:
        await self.wait(asyncio.Event(), seconds)

    async def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds
        tick, self._ticked = self._ticked, asyncio.Event()
        tick.set()
        for _ in range(5):
            await asyncio.sleep(0)

"""Time, injected: the app and the posters ask a clock, so tests can hold or move it."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime


class Clock:
    """Wall time for timestamps and etas; monotonic time for measuring waits."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        """Wait for ``event`` at most ``timeout`` seconds; True if it was set."""
        try:
            # A deadline on this task, not wait_for's extra task: 10,000 waiting posters.
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            return event.is_set()
        return True

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class Backoff:
    """The delays of a loop that retries: ``first``, doubling up to ``most``, each stretched by
    up to ``jitter`` (so instances that failed together do not retry together), waited out on
    the injected clock. ``reset`` after a success."""

    def __init__(self, clock: Clock, first: float, most: float, jitter: float = 0.5) -> None:
        self._clock = clock
        self.first = first
        self.most = most
        self.jitter = jitter
        self.failures = 0

    def reset(self) -> None:
        self.failures = 0

    def next_delay(self) -> float:
        """The delay after one more failure."""
        self.failures += 1
        delay = min(self.most, self.first * 2.0 ** min(self.failures - 1, 32))
        return delay * (1 + random.random() * self.jitter)

    async def wait(self) -> float:
        """Sleep the next delay; returns it."""
        delay = self.next_delay()
        await self._clock.sleep(delay)
        return delay

"""Time, injected: the app and the posters ask a clock, so tests can hold or move it."""

from __future__ import annotations

import asyncio
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

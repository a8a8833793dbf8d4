"""Time, injected: the app and the posters ask a clock, so tests can hold or move it."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """Wall time for timestamps and etas; monotonic time for measuring waits."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

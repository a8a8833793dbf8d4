"""Client-side limits the networks document: we wait before they have to tell us to."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from platforms.base import RateLimited


class SlidingWindow:
    """At most ``limit`` events in any ``window`` seconds.

    ``check()`` raises RateLimited with the wait until a slot frees, without recording;
    ``record()`` notes a request that was sent. The poster waits out the RateLimited and
    calls publish again, so a burst never reaches the network.
    """

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError(f"expected limit >= 1 and window > 0, got {limit}, {window}")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._times: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self._times and self._times[0] <= now - self.window:
            self._times.popleft()

    def wait_time(self) -> float:
        now = self._clock()
        self._trim(now)
        if len(self._times) < self.limit:
            return 0.0
        return self._times[0] + self.window - now

    def check(self, what: str = "requests") -> None:
        wait = self.wait_time()
        if wait > 0:
            raise RateLimited(wait, f"local limit: {self.limit} {what} per {self.window:g} s")

    def record(self) -> None:
        self._times.append(self._clock())

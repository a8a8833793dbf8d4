"""A background loop that must not stay dead: if it dies, say so and start it again after a
pause (the pause doubling up to a ceiling). The database out of reach is one line a restart;
anything else is a bug, logged with its traceback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from board.clock import Backoff, Clock
from board.db import is_connection_error

log = logging.getLogger(__name__)


async def supervise(
    name: str,
    run: Callable[[], Awaitable[object]],
    *,
    clock: Clock | None = None,
    first_s: float = 1.0,
    most_s: float = 30.0,
) -> None:
    """Run ``run()`` until it returns; after each death, restart it with backoff."""
    clock = clock or Clock()
    backoff = Backoff(clock, first_s, most_s)
    while True:
        try:
            await run()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            delay = backoff.next_delay()
            log.error(
                "background task %s died (%r); restarting in %.1f s",
                name,
                exc,
                delay,
                exc_info=None if is_connection_error(exc) else exc,
                extra={"action": "task.restart"},
            )
            await clock.sleep(delay)

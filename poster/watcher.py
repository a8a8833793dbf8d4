"""One column's watcher: every ``watch_s`` seconds, the account's recent posts (CONTRACT §9).

It runs beside the column's poster, on the instance that holds the column (poster/registry.py
starts and stops them together). Each look asks the adapter's ``recent_posts`` for what came
after the stored cursor (on a column's first look: the last day), then hands what it found to
``board.watching.record`` in one unit of work: posts Metronome did not publish become the
column's `external` history cards, and the queue's etas follow. A rate limit is waited out
(its retry-after); any other failure backs off (``Backoff``), one log line each, and the
column says why (`watch_error`) until a look succeeds.

A column whose tokens expire or rotate has a keeper (poster/tokens.py), the one owner of their
renewals: the watcher shares the column's adapter with the poster and the keeper (so it uses
the tokens the keeper renewed), makes its first look once the keeper's first check is over,
never renews a token itself (``RENEW_ON_REFUSAL``), and when the network refuses one it asks
the keeper to check; new credentials end a backoff.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from board import watching
from board.clock import Backoff
from board.context import Event
from board.db import fetchrow, is_connection_error
from board.errors import NotFound
from board.rows import PLATFORM_SELECT
from board.unit import unit_of_work
from platforms import load_class
from platforms.base import AuthRejected, PlatformError, RateLimited
from platforms.tokens import RENEW_ON_REFUSAL
from poster.worker import POSTER, REAL_TIME, PosterDeps

log = logging.getLogger(__name__)

# A look that takes longer than this is abandoned (and backed off like a failure).
LOOK_TIMEOUT = 60.0
# After a failure the next look waits ``watch_s``, doubling up to this (with jitter).
FAILING_MOST_S = 1800.0
# A look that found posts while a publish of the column was in flight reads them again this
# soon: by then the publish has usually settled and its receipt tells ours from the others.
SETTLE_S = 5.0
# Reading the column while the database is away: tried again after this, doubling.
UNREACHABLE_FIRST = 0.5
UNREACHABLE_MOST = 10.0


class Keeper(Protocol):
    """What a watcher asks of the column's token keeper (poster/tokens.py TokenKeeper)."""

    async def checked(self, platform_id: int) -> None: ...

    def refused(self, platform_id: int, secrets: bytes) -> None: ...


class Watcher:
    def __init__(self, platform_id: int, deps: PosterDeps, tokens: Keeper | None = None) -> None:
        self.platform_id = platform_id
        self.deps = deps
        self.tokens = tokens
        # The sealed secrets of the column at its last failed look: new ones end the backoff.
        self._failed_secrets: bytes | None = None
        self._wake = asyncio.Event()
        # Monotonic times: the last look began, and no look before (a rate limit, a backoff).
        self.last_look: float | None = None
        self.not_before = 0.0
        self.looks = 0
        self._failing: Backoff | None = None

    @property
    def log(self) -> logging.Logger:
        return log.getChild(str(self.platform_id))

    def notified(self) -> None:
        """The column changed (its settings may have): read it again before the next look."""
        self._wake.set()

    async def run(self) -> None:
        """Watch until cancelled; returns when the column is gone or its kind lists nothing."""
        clock = self.deps.clock
        unreachable = Backoff(REAL_TIME, UNREACHABLE_FIRST, UNREACHABLE_MOST)
        if self.tokens is not None:
            await self.tokens.checked(self.platform_id)
        while True:
            self._wake.clear()
            try:
                async with self.deps.turns, self.deps.database.connect() as db:
                    column = await fetchrow(db, PLATFORM_SELECT, self.platform_id)
            except Exception as exc:
                if not is_connection_error(exc):
                    raise
                await REAL_TIME.wait(self._wake, unreachable.next_delay())
                continue
            unreachable.reset()
            if column is None:
                return
            adapter_class = await load_class(column.kind)
            if not adapter_class.watchable:
                return  # the network lists nothing: no watcher (settings cannot change that)
            if not watching.watched(column.settings, True) or column.status == "auth_rejected":
                # Off, or the credentials are refused (the poster said so): wait for a change.
                await self._wake.wait()
                continue
            secrets = bytes(column.secrets or b"")
            if self._failed_secrets is not None and secrets != self._failed_secrets:
                # New credentials (renewed by the keeper, or an admin's): look now.
                self._failed_secrets = None
                self._failing = None
                self.not_before = 0.0
                self.last_look = None
            due = self.not_before
            if self.last_look is not None:
                due = max(due, self.last_look + watching.every(column.settings))
            delay = due - clock.monotonic()
            if delay > 0:
                await clock.wait(self._wake, delay)
                continue
            await self.look(column)

    async def look(self, column: Any) -> None:
        """One look at the account; what it found is recorded, a failure backs off."""
        clock = self.deps.clock
        self.last_look = clock.monotonic()
        self.looks += 1
        every = watching.every(column.settings)
        renewing = RENEW_ON_REFUSAL.set(False)
        try:
            adapter, _, _ = await self.deps.adapter_for(column)
            seen = await asyncio.wait_for(
                adapter.recent_posts(watching.since(clock.now()), column.watch_cursor),
                LOOK_TIMEOUT,
            )
        except RateLimited as exc:
            wait = max(exc.retry_after, every)
            self.not_before = clock.monotonic() + wait
            self.log.info(
                "watching: rate limited; next look in %.0f s",
                wait,
                extra={"action": "watcher.rate_limited"},
            )
            return
        except (PlatformError, TimeoutError) as exc:
            reason = (
                exc.message
                if isinstance(exc, PlatformError)
                else f"no answer in {LOOK_TIMEOUT:g} s"
            )
            await self._failed(column, every, reason, auth=isinstance(exc, AuthRejected))
            return
        except Exception as exc:  # an adapter bug: one line, and the column still publishes
            await self._failed(column, every, f"{type(exc).__name__}: {exc}")
            return
        finally:
            RENEW_ON_REFUSAL.reset(renewing)
        found = [watching.Found(p.remote_id, p.posted_at, p.text, p.remote_url) for p in seen.posts]
        try:
            async with (
                self.deps.turns,
                unit_of_work(
                    self.deps.database, POSTER, clock.now(), self.deps.config, None
                ) as ctx,
            ):
                ids = await watching.record(ctx, self.platform_id, found, seen.cursor)
                if ids:
                    ctx.event = Event(
                        "watcher.found", {"platform_id": self.platform_id, "ids": ids}
                    )
        except NotFound:
            return
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            # Nothing stored, the cursor included: the next look reads the same posts.
            await self._failed(column, every, f"the database is out of reach ({exc!r})", db=False)
            return
        self._failing = None
        self._failed_secrets = None
        if ids is None:
            self.not_before = clock.monotonic() + min(every, SETTLE_S)
            self.last_look = None
            return
        self.not_before = 0.0
        if ids:
            self.log.info(
                "found %d posts made outside Metronome",
                len(ids),
                extra={"action": "watcher.found"},
            )

    async def _failed(
        self, column: Any, every: float, reason: str, *, auth: bool = False, db: bool = True
    ) -> None:
        self._failed_secrets = bytes(column.secrets or b"")
        if auth and self.tokens is not None:
            self.tokens.refused(self.platform_id, self._failed_secrets)
        if self._failing is None:
            self._failing = Backoff(self.deps.clock, every, max(every, FAILING_MOST_S))
        wait = self._failing.next_delay()
        self.not_before = self.deps.clock.monotonic() + wait
        self.log.warning(
            "watching failed: %s; next look in %.0f s",
            reason,
            wait,
            extra={"action": "watcher.failed"},
        )
        if not db:
            return
        message = f"cannot list the account's posts: {reason}"
        if auth:
            message += " (check the account's rights: docs/platforms.md, 'watched')"
        try:
            async with (
                self.deps.turns,
                unit_of_work(
                    self.deps.database, POSTER, self.deps.clock.now(), self.deps.config, None
                ) as ctx,
            ):
                await watching.failed(ctx, self.platform_id, message)
        except Exception as exc:
            if not is_connection_error(exc):
                raise

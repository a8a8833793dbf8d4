"""The posters of this instance: one task per column it leads, supervised, woken by changes.

The registry is an object in the app state. Its supervisor loop holds the leadership
connection, takes every column no other instance holds, starts a poster for each (starting
one that runs returns the running one), restarts a poster that dies (with backoff), and stops
them the moment the leadership connection is lost — all but those with a publish in flight:
the network may have accepted it, so they finish it and record the outcome once the database
answers, if nobody else has led the column meanwhile (the fence, poster/leadership.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import importlib
import logging
import time
from collections.abc import Iterable
from typing import Any

import httpx
import orjson

from board import publishing
from board.clock import Backoff
from board.context import BoardConfig, Event
from board.db import Database, is_connection_error
from board.unit import unit_of_work
from platforms import load_class
from platforms.base import Adapter, Column
from platforms.http import tls_context
from poster.leadership import Leadership, LeadershipLost
from poster.tokens import TokenKeeper
from poster.watcher import Watcher
from poster.worker import POSTER, REAL_TIME, Poster, PosterDeps

log = logging.getLogger(__name__)

# How often unowned columns are looked for (a column another instance dropped, a new one).
SCAN_EVERY = 2.0
# Posters created per loop turn at start: thousands of tasks at once would stall the loop.
START_BATCH = 500
# A poster that died is restarted after this, doubling up to MAX_RESTART_DELAY.
RESTART_DELAY = 0.5
MAX_RESTART_DELAY = 30.0
# Pooled connections the posters leave to editors' commands and page loads. Posters beyond
# the rest wait their turn: when many cards fall due at once, a burst that outgrew the pool
# made it open connections (~5 ms of this process's CPU each, closed again when they came
# back), which made the burst slower still, and the columns it delayed fell due together
# again one interval later.
POOL_RESERVE = 3
# On shutdown, an in-flight publish gets this long to finish before it is recorded as unknown.
DRAIN_TIMEOUT = 10.0


class Registry:
    def __init__(
        self,
        dsn: str,
        database: Database,
        config: BoardConfig,
        clock: Any,
        metrics: Any,
        media_for: Any = None,
        on_secrets: Any = None,
        public_url: str | None = None,
    ) -> None:
        self.leadership = Leadership(dsn)
        self.database = database
        self.clock = clock
        self._http: httpx.AsyncClient | None = None  # built on first use (platforms/http.py)
        self.deps = PosterDeps(
            database=database,
            leadership=self.leadership,
            config=config,
            clock=clock,
            adapter_for=self.adapter_for,
            metrics=metrics,
            media_for=media_for,
            public_url=public_url,
            turns=asyncio.Semaphore(max(1, database.size - POOL_RESERVE)),
        )
        self.posters: dict[int, Poster] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}
        # Posters finishing a publish after the leadership connection was lost; their column
        # gets a new poster only once they are done (it would take their card for a crash).
        self.draining: dict[int, asyncio.Task[None]] = {}
        # A poster that died: its backoff and when it may start again (monotonic).
        self._restarts: dict[int, tuple[Backoff, float]] = {}
        self._adapters: dict[int, tuple[str, Adapter, str, dict[str, Any]]] = {}
        self._adapter_locks: dict[int, asyncio.Lock] = {}
        # Told every column's secret values as its adapter is built: the log redactor (web/redact.py).
        self._on_secrets = on_secrets
        # Token health of the columns held here (poster/tokens.py).
        self.tokens = TokenKeeper(database, config, clock, self.adapter_for, on_secrets)
        self._scan = asyncio.Event()
        self._stopping = False
        # Shutting down: no poster starts any more (the columns stay held until the end).
        self._closing = False
        self.armed = asyncio.Event()
        self._stopped = asyncio.Event()
        self._unclaimed_wakes: set[int] = set()
        self._prewarming: set[asyncio.Task[None]] = set()
        self._kinds_loaded: set[str] = set()
        # The watchers of the columns this instance holds whose network lists the account's
        # posts (CONTRACT §9, poster/watcher.py): started and stopped with the column's poster.
        self.watchers: dict[int, Watcher] = {}
        self.watch_tasks: dict[int, asyncio.Task[None]] = {}
        self._watch_restarts: dict[int, tuple[Backoff, float]] = {}

    # --- the outside: wake, ensure --------------------------------------------------

    def resync(self) -> None:
        """Notifications were lost: every poster plans again and the columns are rescanned."""
        for poster in self.posters.values():
            poster.forget_notices()
        for watcher in self.watchers.values():
            watcher.notified()
        self._scan.set()

    def wake(self, platform_ids: Iterable[int]) -> None:
        """Columns changed (any instance): their posters plan again; unknown ones get scanned."""
        platform_ids = list(platform_ids)
        self.tokens.changed(platform_ids)
        for platform_id in platform_ids:
            watcher = self.watchers.get(platform_id)
            if watcher is not None:
                watcher.notified()
            poster = self.posters.get(platform_id)
            if poster is not None:
                poster.notified()
            else:
                # Remembered: a claim under way may be arming this column from an older read.
                self._unclaimed_wakes.add(platform_id)
                self._scan.set()

    def ensure(self, platform_id: int, first: Any = None, recover: bool = True) -> Poster:
        """The column's running poster, started if it is not running."""
        poster = self.posters.get(platform_id)
        task = self.tasks.get(platform_id)
        if poster is not None and task is not None and not task.done():
            return poster
        poster = Poster(platform_id, self.deps)
        self.posters[platform_id] = poster
        self.tasks[platform_id] = asyncio.create_task(
            poster.run(first, recover), name=f"poster-{platform_id}"
        )
        return poster

    async def http(self) -> httpx.AsyncClient:
        """The HTTP client every column's adapter shares."""
        if self._http is None:
            verify = await tls_context()
            if self._http is None:
                self._http = httpx.AsyncClient(follow_redirects=False, verify=verify)
        return self._http

    async def adapter_for(self, row: Any) -> tuple[Adapter, str, dict[str, Any]]:
        """The column's adapter, built from its own row (its own secrets) and rebuilt when
        the account changes (kind, settings or secrets), not on every send.

        One adapter per column at a time, shared by its poster, watcher and token keeper: an X
        adapter holds the rotating refresh token, and a second one built alongside (two callers
        racing past the cache) would renew with a refresh token the first had already spent."""
        lock = self._adapter_locks.setdefault(row.id, asyncio.Lock())
        async with lock:
            return await self._adapter_for(row)

    async def _adapter_for(self, row: Any) -> tuple[Adapter, str, dict[str, Any]]:
        key = hashlib.sha256(
            orjson.dumps([row.kind, row.settings], option=orjson.OPT_SORT_KEYS)
            + bytes(row.secrets or b"")
        ).hexdigest()
        cached = self._adapters.get(row.id)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2], cached[3]
        if cached is not None:
            await cached[1].aclose()
        secrets = self.deps.config.box.open(row.secrets)
        if self._on_secrets is not None:
            self._on_secrets(secrets.values())
        column = Column(
            id=row.id, kind=row.kind, name=row.name, settings=dict(row.settings), secrets=secrets
        )
        adapter = (await load_class(row.kind))(column, await self.http())
        self.tokens.attach(row.id, adapter)
        self._adapters[row.id] = (key, adapter, row.kind, dict(row.settings))
        return adapter, row.kind, dict(row.settings)

    # --- the supervisor ----------------------------------------------------------------

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            for task in list(self._prewarming):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self._stopped.set()

    def _prewarm(self) -> None:
        """In the background, load what the next publishes need and have not loaded yet."""
        task = asyncio.create_task(self._prewarm_now(), name="poster-prewarm")
        self._prewarming.add(task)
        task.add_done_callback(self._prewarming.discard)

    async def _prewarm_now(self) -> None:
        """The HTTP client and its transport, and the client libraries of the kinds in use.

        Done when columns are claimed, not at their first publish: a first import (tens of
        milliseconds for the HTTP transport, seconds for some networks' libraries) there
        would make the first cards of every column late."""
        if self._http is None:
            await self.http()
            # httpcore imports its asyncio backend (anyio) on the first request.
            await asyncio.to_thread(
                _import_quietly, "httpcore._backends.anyio", "anyio._backends._asyncio"
            )
        try:
            async with self.database.connect() as db:
                kinds = await publishing.kinds_in_use(db)
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            return  # the database went away: the next claim prewarms
        for kind in set(kinds) - self._kinds_loaded:
            try:
                await load_class(kind)
            except Exception:  # a kind that cannot load is reported by its first publish
                log.warning(
                    "cannot load the %s adapter",
                    kind,
                    exc_info=True,
                    extra={"action": "poster.prewarm"},
                )
            self._kinds_loaded.add(kind)

    async def _run(self) -> None:
        backoff = Backoff(REAL_TIME, RESTART_DELAY, MAX_RESTART_DELAY)
        while not self._stopping:
            try:
                await self.leadership.connect()
                backoff.reset()
                await self._lead()
            except LeadershipLost as exc:
                log.warning(
                    "leadership connection lost (%s): stopping this instance's posters",
                    exc,
                    extra={"action": "poster.leadership_lost"},
                )
            except Exception as exc:
                if not is_connection_error(exc):
                    raise
                log.warning(
                    "leadership connection failed: %r",
                    exc,
                    extra={"action": "poster.leadership_lost"},
                )
            finally:
                await self._stop_all(drain=True)
                await self.leadership.close()
            if self._stopping:
                return
            # A scan request (a change to a column) ends the wait early: try again at once.
            # (Cleared first: one left set from before would make this loop spin.) Real time,
            # as every reconnect here: the injected clock is the board's schedule.
            self._scan.clear()
            await _wait(self._scan, backoff.next_delay())

    async def _lead(self) -> None:
        while not self._stopping:
            await self._claim()
            self.armed.set()
            self._supervise()
            self._scan.clear()
            await _wait(self._scan, SCAN_EVERY)
            await self.leadership.probe()

    async def _claim(self) -> None:
        self._unclaimed_wakes.clear()
        async with self.database.connect() as db:
            live = await publishing.publishable_columns(db)
        live_set = set(live)
        for platform_id in [p for p in self.posters if p not in live_set]:
            await self._stop(platform_id)
            await self.leadership.release(platform_id)
        got = await self.leadership.acquire([p for p in live if p not in self.posters])
        if not got:
            return
        self.tokens.claimed(got)
        self._prewarm()
        started = time.perf_counter()
        async with self.database.connect() as db:
            heads = await publishing.heads(db, got)
            stuck = await publishing.columns_with_sending(db, got)
        for n, platform_id in enumerate(got):
            if platform_id in self.draining or self._closing:
                continue  # started by _supervise once its last publish is recorded
            self.ensure(platform_id, heads.get(platform_id), recover=platform_id in stuck)
            if n % START_BATCH == START_BATCH - 1:
                await asyncio.sleep(0)
        self._watch(got)
        # Changes that came while the heads were being read: those posters read again.
        for platform_id in self._unclaimed_wakes & set(got):
            if platform_id in self.posters:
                self.posters[platform_id].wake()
        elapsed = time.perf_counter() - started
        self.deps.metrics.posters.set(len(self.posters))
        self.deps.metrics.claim_seconds.set(elapsed)
        log.info("took %d columns in %.3f s", len(got), elapsed, extra={"action": "poster.claim"})

    def _watch(self, platform_ids: list[int]) -> None:
        """Start, in the background, the watchers of these columns whose kind lists posts."""
        if platform_ids and not self._closing:
            task = asyncio.create_task(self._start_watchers(platform_ids), name="watchers-start")
            self._prewarming.add(task)
            task.add_done_callback(self._prewarming.discard)

    async def _start_watchers(self, platform_ids: list[int]) -> None:
        # One read for the kinds, one import per kind (in a thread), no task per unwatched column.
        try:
            async with self.database.connect() as db:
                kinds = await publishing.kinds_of(db, platform_ids)
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            return  # the database went away: leadership is lost too, and the next claim starts them
        watchable: dict[str, bool] = {}
        for platform_id, kind in kinds.items():
            if kind not in watchable:
                try:
                    watchable[kind] = (await load_class(kind)).watchable
                except Exception:  # reported by the column's poster
                    watchable[kind] = False
            if watchable[kind] and platform_id in self.leadership.held:
                self.ensure_watcher(platform_id)

    def ensure_watcher(self, platform_id: int) -> Watcher:
        """The column's running watcher, started if it is not running."""
        watcher = self.watchers.get(platform_id)
        task = self.watch_tasks.get(platform_id)
        if watcher is not None and task is not None and not task.done():
            return watcher
        watcher = Watcher(platform_id, self.deps, self.tokens)
        self.watchers[platform_id] = watcher
        self.watch_tasks[platform_id] = asyncio.create_task(
            watcher.run(), name=f"watcher-{platform_id}"
        )
        return watcher

    async def _stop_watcher(self, platform_id: int) -> None:
        self.watchers.pop(platform_id, None)
        task = self.watch_tasks.pop(platform_id, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _supervise_watchers(self, now: float) -> None:
        """A watcher that died of a bug is restarted with backoff; one that ended (its column is
        gone) is forgotten."""
        for platform_id, task in list(self.watch_tasks.items()):
            if not task.done() or self._stopping or self._closing:
                continue
            exc = None if task.cancelled() else task.exception()
            if exc is None:
                self.watch_tasks.pop(platform_id, None)
                self.watchers.pop(platform_id, None)
                continue
            backoff, not_before = self._watch_restarts.get(platform_id, (None, 0.0))  # type: ignore[assignment]
            if now < not_before:
                continue
            if backoff is None:
                backoff = Backoff(REAL_TIME, RESTART_DELAY, MAX_RESTART_DELAY, jitter=0)
            log.error(
                "watcher %s died: %r; restarting",
                platform_id,
                exc,
                exc_info=None if is_connection_error(exc) else exc,
                extra={"action": "watcher.restart"},
            )
            self._watch_restarts[platform_id] = (backoff, now + backoff.next_delay())
            self.ensure_watcher(platform_id)

    def _supervise(self) -> None:
        now = time.monotonic()
        self._supervise_watchers(now)
        # Columns held again whose poster was still finishing a publish when they were lost.
        rearmed = []
        # One set for the loop: built per column, it made this quadratic (0.75 s for 10,000).
        running = self.tasks.keys() | self.draining.keys()
        for platform_id in sorted(self.leadership.held):
            if not self._closing and platform_id not in running:
                self.ensure(platform_id)
                rearmed.append(platform_id)
        self._watch(rearmed)
        for platform_id, task in list(self.tasks.items()):
            if not task.done() or self._stopping:
                continue
            exc = None if task.cancelled() else task.exception()
            if exc is not None and isinstance(exc, LeadershipLost):
                raise exc
            backoff, not_before = self._restarts.get(platform_id, (None, 0.0))  # type: ignore[assignment]
            if now < not_before:
                continue
            if backoff is None:
                backoff = Backoff(REAL_TIME, RESTART_DELAY, MAX_RESTART_DELAY, jitter=0)
            if exc is not None:
                # The database out of reach is one line (the registry reports the outage);
                # anything else is a bug, with its traceback.
                log.error(
                    "poster %s died: %r; restarting",
                    platform_id,
                    exc,
                    exc_info=None if is_connection_error(exc) else exc,
                    extra={"action": "poster.restart"},
                )
            self._restarts[platform_id] = (backoff, now + backoff.next_delay())
            self.ensure(platform_id)

    async def _stop(self, platform_id: int) -> None:
        await self._stop_watcher(platform_id)
        self.tokens.dropped(platform_id)
        self.posters.pop(platform_id, None)
        task = self.tasks.pop(platform_id, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        cached = self._adapters.pop(platform_id, None)
        self._adapter_locks.pop(platform_id, None)
        if cached is not None:
            await cached[1].aclose()

    async def _stop_all(self, drain: bool = False) -> None:
        """Stop every poster; with ``drain``, those publishing finish their card first."""
        self.armed.clear()
        for platform_id in list(self.tasks):
            poster = self.posters.get(platform_id)
            task = self.tasks[platform_id]
            if drain and poster is not None and (poster.publishing or poster.taking):
                await self._stop_watcher(platform_id)
                poster.stop_taking()
                self.posters.pop(platform_id, None)
                self.draining[platform_id] = self.tasks.pop(platform_id)
                task.add_done_callback(functools.partial(self._drained, platform_id))
                continue
            await self._stop(platform_id)
        for platform_id in list(self.watch_tasks):
            await self._stop_watcher(platform_id)
        if not drain:
            for task in list(self.draining.values()):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self.draining.clear()
        self.deps.metrics.posters.set(0)

    def _drained(self, platform_id: int, task: asyncio.Task[None]) -> None:
        """A poster that outlived its leadership finished its publish: its column may have a
        new poster (``_supervise``) as soon as it is held again."""
        if self.draining.get(platform_id) is task:
            del self.draining[platform_id]
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.warning(
                "poster %s could not record its last publish: %r",
                platform_id,
                exc,
                exc_info=None if exc is None or is_connection_error(exc) else exc,
                extra={"action": "poster.drain"},
            )
        self._scan.set()

    async def shutdown(self) -> None:
        """Stop taking cards, let in-flight publishes finish (bounded), leave nothing `sending`."""
        self._closing = True
        for poster in self.posters.values():
            poster.stop_taking()
        busy = [
            self.tasks[p]
            for p, poster in self.posters.items()
            if (poster.publishing or poster.taking) and p in self.tasks
        ] + list(self.draining.values())
        if busy:
            await asyncio.wait(busy, timeout=DRAIN_TIMEOUT)
        held = sorted(self.leadership.held)
        await self._stop_all()
        # Still holding the columns: nobody else can be publishing them, so whatever is left
        # `sending` was ours and is recorded as unknown (never resent blindly).
        try:
            async with unit_of_work(
                self.database,
                POSTER,
                self.clock.now(),
                self.deps.config,
                Event("poster.abandon", {"platform_ids": held}),
            ) as ctx:
                abandoned = await publishing.abandon_sending(ctx, held)
            if abandoned:
                log.warning(
                    "left %d cards needs_check at shutdown",
                    len(abandoned),
                    extra={"action": "poster.shutdown"},
                )
        except Exception:
            log.exception(
                "could not record in-flight cards at shutdown", extra={"action": "poster.shutdown"}
            )
        self._stopping = True
        self._scan.set()
        await self.tokens.close()
        # The supervisor loop closes the leadership connection.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), DRAIN_TIMEOUT)
        if self._http is not None:
            await self._http.aclose()


async def _wait(event: asyncio.Event, timeout: float) -> None:
    await REAL_TIME.wait(event, timeout)


def _import_quietly(*names: str) -> None:
    for name in names:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)

"""Token health: each column whose network's tokens expire or rotate has a keeper task on the
instance that holds its poster (the registry tells it which columns it holds).

A keeper asks the column's adapter (``token_health``, platforms/tokens.py) at start, then a day
later, or sooner when the answer says (X: before its two-hour access token ends), and when the
column's secrets change. It stores what it learns (board/tokens.py): renewed secrets, sealed;
``token_expires_at`` for admins (and the ``token_expiring`` alert); and credentials the network
refuses stop the column with the network's reason, before a card fails on them at night.
The keeper is the one owner of a column's renewals: the column's poster and watcher share its
adapter (poster/registry.py builds one per column); a 401 while publishing renews through that
adapter and is stored here (``attach``); the watcher waits for the first check (``checked``),
never renews, and asks for a check when the network refuses its token (``refused``).
Renewed tokens are told to the log redactor before anything can log them, and never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from board import tokens as stored
from board.clock import Backoff
from board.context import BoardConfig, Event
from board.db import Database, is_connection_error
from board.errors import NotFound
from board.rows import platform_row
from board.supervise import supervise
from board.unit import unit_of_work
from platforms.base import Adapter, AuthRejected, PlatformError, RateLimited
from platforms.tokens import KINDS, KeepsTokens, TokenHealth
from poster.worker import POSTER, REAL_TIME

log = logging.getLogger(__name__)

# A check a day: Meta's long-lived tokens end in 60 days, data access in 90; a week's warning
# (the token_expiring alert) needs nothing finer.
CHECK_EVERY = 86400.0
# Checks under way at once on one instance: a start with thousands of columns queues them.
CONCURRENT = 8
# One check's limit (a network that never answers is tried again later).
CHECK_TIMEOUT = 60.0
# A check that failed (the network or the database unreachable) is tried again after this,
# doubling up to the most: an X token due for renewal must not wait a day.
RETRY_FIRST = 30.0
RETRY_MOST = 900.0
# How long a renewal made while publishing may wait for the database before the publish goes on
# (the keeper stores it later): the poster gives a publish a minute in all.
STORE_PATIENCE_PUBLISHING = 10.0


class TokenKeeper:
    """The keepers of the columns this instance holds, one task per column of a token kind."""

    def __init__(
        self,
        database: Database,
        config: BoardConfig,
        clock: Any,
        adapter_for: Callable[[Any], Awaitable[tuple[Adapter, str, dict[str, Any]]]],
        on_secrets: Callable[[Iterable[str]], None] | None = None,
    ) -> None:
        self.database = database
        self.config = config
        self.clock = clock
        self.adapter_for = adapter_for
        self.on_secrets = on_secrets
        self.held: set[int] = set()
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self._changed: dict[int, asyncio.Event] = {}
        # The sealed secrets each keeper last checked or stored: a change to them is news.
        self._checked: dict[int, bytes] = {}
        # Columns with a renewal not stored yet -> the refresh token their row still holds.
        self._unsaved: dict[int, str] = {}
        # Columns whose renewal made while publishing could not be stored (the database was
        # away): their keeper renews again and stores. (A store under way is no reason: the
        # keeper would spend the refresh token the publish just got.)
        self._store_failed: set[int] = set()
        # Set once a held column's first check is over (or it has no keeper): its watcher's
        # first look waits for it, so it never races the keeper to a token.
        self._first: dict[int, asyncio.Event] = {}
        # Columns whose watcher was refused its token -> the sealed secrets it was refused
        # with: checked now, unless the row holds newer ones (renewed meanwhile).
        self._refused: dict[int, bytes] = {}
        self._turns = asyncio.Semaphore(CONCURRENT)
        # Claim tasks, and keepers cancelled but maybe not ended yet: close() awaits them.
        self._claims: set[asyncio.Task[None]] = set()

    # --- what the registry tells -----------------------------------------------------------

    def claimed(self, platform_ids: Iterable[int]) -> None:
        """This instance now holds these columns: keep the tokens of those of a token kind."""
        fresh = [p for p in platform_ids if p not in self.held]
        if not fresh:
            return
        self.held.update(fresh)
        for platform_id in fresh:
            self._first[platform_id] = asyncio.Event()
        task = asyncio.create_task(self._start(fresh), name="tokens-claim")
        self._claims.add(task)
        task.add_done_callback(self._claims.discard)

    def dropped(self, platform_id: int) -> None:
        """The column is no longer held here (or is gone)."""
        self.held.discard(platform_id)
        self._changed.pop(platform_id, None)
        self._checked.pop(platform_id, None)
        self._unsaved.pop(platform_id, None)
        self._store_failed.discard(platform_id)
        self._refused.pop(platform_id, None)
        self._checked_first(platform_id)
        task = self.tasks.pop(platform_id, None)
        if task is not None:
            task.cancel()
            # Awaited by close() unless it ends before.
            self._claims.add(task)
            task.add_done_callback(self._claims.discard)

    def changed(self, platform_ids: Iterable[int]) -> None:
        """Columns changed: a keeper looks whether their secrets did (then it checks again)."""
        for platform_id in platform_ids:
            event = self._changed.get(platform_id)
            if event is not None:
                event.set()

    def attach(self, platform_id: int, adapter: Adapter) -> None:
        """An adapter that renews tokens by itself (X, on a 401) stores them through us."""
        if hasattr(adapter, "renewed"):

            async def renewed(secrets: Mapping[str, str], renewed_from: str) -> None:
                await self._store_soon(
                    platform_id, TokenHealth(renewed=secrets, renewed_from=renewed_from)
                )

            adapter.renewed = renewed

    async def checked(self, platform_id: int) -> None:
        """Returns once the column's first check is over (at once for a column not kept here)."""
        first = self._first.get(platform_id)
        if first is not None:
            await first.wait()

    def refused(self, platform_id: int, secrets: bytes) -> None:
        """The network refused the column's token (of these sealed secrets) to its watcher:
        check (renew) it now, unless it was renewed meanwhile."""
        event = self._changed.get(platform_id)
        if event is not None:
            self._refused[platform_id] = secrets
            event.set()

    def _checked_first(self, platform_id: int) -> None:
        first = self._first.pop(platform_id, None)
        if first is not None:
            first.set()

    async def close(self) -> None:
        tasks = [*self._claims, *self.tasks.values()]
        self.tasks.clear()
        self.held.clear()
        for platform_id in list(self._first):
            self._checked_first(platform_id)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # --- the keepers -----------------------------------------------------------------------

    async def _start(self, platform_ids: list[int]) -> None:
        try:
            async with self.database.connect() as db:
                found = await db.fetch(
                    "SELECT id FROM platforms WHERE id = ANY($1::int[]) AND kind = ANY($2::text[])"
                    " AND deleted_at IS NULL",
                    platform_ids,
                    sorted(KINDS),
                )
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            # The registry claims them again once the database is back.
            self.held.difference_update(platform_ids)
            for platform_id in platform_ids:
                self._checked_first(platform_id)
            return
        kept = {row["id"] for row in found}
        for platform_id in platform_ids:
            if platform_id not in kept:
                self._checked_first(platform_id)  # not a token kind: nothing to wait for
        for row in found:
            platform_id = row["id"]
            if platform_id in self.held and platform_id not in self.tasks:
                self._changed[platform_id] = asyncio.Event()
                self.tasks[platform_id] = asyncio.create_task(
                    self._supervised(platform_id), name=f"tokens-{platform_id}"
                )

    async def _supervised(self, platform_id: int) -> None:
        """The column's keeper, started again (after a while) if a bug kills it."""
        await supervise(
            f"token keeper of column {platform_id}",
            functools.partial(self._keep, platform_id),
            clock=REAL_TIME,
            first_s=RETRY_FIRST,
            most_s=RETRY_MOST,
        )

    async def _keep(self, platform_id: int) -> None:
        changed = self._changed[platform_id]
        delay = 0.0
        failing = Backoff(REAL_TIME, RETRY_FIRST, RETRY_MOST)
        while True:
            deadline = REAL_TIME.monotonic() + delay
            while True:
                woken = await REAL_TIME.wait(changed, max(0.0, deadline - REAL_TIME.monotonic()))
                changed.clear()
                if not woken:
                    break
                try:
                    row = await self._row(platform_id)
                except Exception as exc:
                    if not is_connection_error(exc):
                        raise
                    continue
                if row is None:
                    return
                if bytes(row.secrets or b"") != self._checked.get(platform_id):
                    break  # new credentials: check them now
                if platform_id in self._store_failed:
                    break  # a renewal to store: renew again and store it
                if self._refused.pop(platform_id, None) == bytes(row.secrets or b""):
                    break  # its watcher was refused the token: renew (or stop) now
            self._refused.pop(platform_id, None)
            try:
                async with self._turns:
                    delay = await self._check(platform_id)
                failing.reset()
            except Exception as exc:
                if not is_connection_error(exc):
                    raise
                delay = failing.next_delay()
                log.warning(
                    "column %s: token check could not reach the database (%r); again in %.0f s",
                    platform_id,
                    exc,
                    delay,
                    extra={"action": "tokens.unreachable"},
                )
            finally:
                self._checked_first(platform_id)
            if delay < 0:
                return  # the column is gone

    async def _row(self, platform_id: int) -> Any:
        async with self.database.connect() as db:
            try:
                return await platform_row(db, platform_id)
            except NotFound:
                return None

    async def _check(self, platform_id: int) -> float:
        """One check: seconds until the next (negative: stop keeping this column)."""
        row = await self._row(platform_id)
        if row is None:
            return -1.0
        secrets = bytes(row.secrets or b"")
        first = platform_id not in self._checked
        if row.status == "auth_rejected":
            self._checked[platform_id] = secrets
            return CHECK_EVERY  # stopped: new credentials (a change) wake us
        adapter, _, _ = await self.adapter_for(row)
        if not isinstance(adapter, KeepsTokens):
            return -1.0
        logger = log.getChild(str(platform_id))
        try:
            health = await asyncio.wait_for(adapter.token_health(), CHECK_TIMEOUT)
        except AuthRejected as exc:
            async with unit_of_work(
                self.database,
                POSTER,
                self.clock.now(),
                self.config,
                Event("tokens.stop", {"platform_id": platform_id}),
            ) as ctx:
                stopped = await stored.stop(ctx, platform_id, row.secrets, exc.message)
            if stopped:
                logger.warning(
                    "credentials rejected: %s", exc.message, extra={"action": "tokens.rejected"}
                )
            self._checked[platform_id] = secrets
            return CHECK_EVERY
        except RateLimited as exc:
            return max(exc.retry_after, 1.0)
        except (PlatformError, TimeoutError, OSError) as exc:
            wait = RETRY_FIRST if first else RETRY_MOST
            logger.warning(
                "token check failed (%s); again in %.0f s",
                getattr(exc, "message", None) or type(exc).__name__,
                wait,
                extra={"action": "tokens.check_failed"},
            )
            return wait
        if await self._store(platform_id, health) is None:
            return -1.0  # the column is gone
        return health.check_again_s or CHECK_EVERY

    async def _store_soon(self, platform_id: int, health: TokenHealth) -> None:
        """Store a pair renewed while publishing, without holding the publish for long: when
        the database is away, the keeper renews again and stores as soon as it is back."""
        try:
            await self._store(platform_id, health, patience=STORE_PATIENCE_PUBLISHING)
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            log.warning(
                "column %s: a renewed token could not be stored yet (%r)",
                platform_id,
                exc,
                extra={"action": "tokens.unsaved"},
            )
            event = self._changed.get(platform_id)
            if event is not None:
                self._store_failed.add(platform_id)
                event.set()

    async def _store(
        self, platform_id: int, health: TokenHealth, patience: float = RETRY_MOST
    ) -> Any:
        """Store a check's outcome; renewed tokens go to the redactor first. A database that
        fails is retried for ``patience`` seconds. A renewal that could not be stored is
        remembered: the network has spent the refresh token the row still holds, so the next
        renewal (from the adapter's newer one) is stored against the row's."""
        if health.renewed and self.on_secrets is not None:
            self.on_secrets(health.renewed.values())
        if health.renewed:
            # A chain of renewals since the row's refresh token: it is the one to compare.
            first = self._unsaved.get(platform_id, health.renewed_from)
            self._unsaved[platform_id] = first
            health = TokenHealth(
                expires_at=health.expires_at,
                renewed=health.renewed,
                renewed_from=first,
                check_again_s=health.check_again_s,
            )
        backoff = Backoff(REAL_TIME, 0.2, 5.0)
        deadline = REAL_TIME.monotonic() + patience
        # Recorded only when the row changes: a daily check that finds nothing new is no event.
        op = "tokens.renewed" if health.renewed else "tokens.checked"
        while True:
            try:
                async with unit_of_work(
                    self.database, POSTER, self.clock.now(), self.config, None
                ) as ctx:
                    new, applied, changed = await stored.record(
                        ctx,
                        platform_id,
                        expires_at=health.expires_at,
                        renewed=health.renewed,
                        renewed_from=health.renewed_from,
                    )
                    # Before the commit, whose notification wakes the keeper: our own change
                    # is no news to it.
                    if changed:
                        ctx.event = Event(op, {"platform_id": platform_id})
                    if applied and platform_id in self._changed:
                        self._checked[platform_id] = bytes(new.secrets or b"")
                self._unsaved.pop(platform_id, None)
                self._store_failed.discard(platform_id)
                return new
            except Exception as exc:
                if not is_connection_error(exc) or REAL_TIME.monotonic() > deadline:
                    raise
                await REAL_TIME.sleep(backoff.next_delay())

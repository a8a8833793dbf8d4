"""One column's poster: sleeps until the head card's eta, publishes it, records the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from board import expiry, publishing
from board.clock import Backoff, Clock
from board.context import Actor, BoardConfig, Ctx, Event
from board.db import Database, is_connection_error
from board.errors import NotFound
from board.unit import unit_of_work
from platforms.base import (
    Adapter,
    AuthRejected,
    OutcomeUnknown,
    PlatformError,
    RateLimited,
    Receipt,
    Rejected,
    Transient,
)
from poster.compose import compose, short_url, tracked_link
from poster.leadership import Leadership, LeadershipLost

log = logging.getLogger(__name__)

# The poster acts as this actor in events and on cards it touches.
POSTER = Actor(id=0, email="poster", role="admin")
# Transient failures retried per card before it is marked failed, and their backoff.
MAX_TRANSIENT = 3
BACKOFF_BASE = 1.0
BACKOFF_MOST = 8.0
# A publish that takes longer than this is abandoned as an unknown outcome.
PUBLISH_TIMEOUT = 60.0
# A rate limit longer than this puts the card back in the queue and holds the column.
HOLD_IN_PLACE = 30.0
# How long recording an outcome is retried while the database is unreachable.
FINISH_PATIENCE = 120.0
# Waiting for the database to come back runs on real time: the injected clock is the board's
# schedule, which tests hold still while the machinery around it keeps going.
REAL_TIME = Clock()
# A poster that cannot read its queue (the database is down) tries again after this,
# doubling up to the most.
REPLAN_FIRST = 0.5
REPLAN_MOST = 10.0


@dataclass
class PosterDeps:
    database: Database
    leadership: Leadership
    config: BoardConfig
    clock: Any
    adapter_for: Any  # async (column row) -> (Adapter, kind, settings)
    metrics: Any
    # The posters' turns at the database pool: how many may use it at once (see Registry).
    turns: asyncio.Semaphore
    media_for: Any = None  # async (card) -> tuple[Media, ...] (poster/media.py); None: no media
    # METRONOME_PUBLIC_URL: where tracked links (/l/<code>) are served; None: no tracking.
    public_url: str | None = None


class Poster:
    def __init__(self, platform_id: int, deps: PosterDeps) -> None:
        self.platform_id = platform_id
        self.deps = deps
        self._wake = asyncio.Event()
        self._own_notices = 0  # our steps' notifications still to come (see _step)
        self._stopping = False
        self.publishing = False
        self.hold_until: float = 0.0
        self._planned: int | None = None
        # The column's next expiry as last planned (board/expiry.py): a deadline like an eta.
        self._expiry: datetime | None = None
        self.taking = False
        self.kind = "?"
        self.task: asyncio.Task[None] | None = None
        # (owner, epoch) under which this poster took its card: recording the outcome presents
        # it, so a publish outlives a lost leadership connection only while nobody else leads.
        self._fence: tuple[str, int] | None = None

    @property
    def log(self) -> logging.Logger:
        # Made when first used: 10,000 idle columns should not mean 10,000 loggers.
        return log.getChild(str(self.platform_id))

    def notified(self) -> None:
        """A notification named this column: plan again, unless it is our own step's."""
        if self._own_notices:
            self._own_notices -= 1
            return
        self._wake.set()

    def forget_notices(self) -> None:
        """Notifications were lost (the LISTEN connection dropped): count none as ours."""
        self._own_notices = 0
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def stop_taking(self) -> None:
        """No new cards from now on; an in-flight publish finishes."""
        self._stopping = True
        self._wake.set()

    # --- the loop ---------------------------------------------------------------------

    async def run(self, first: Any = None, recover: bool = True) -> None:
        """Publish until stopped. ``first``: the head, already read in bulk by the registry."""
        if recover:
            await self.recover()
        unreachable = Backoff(REAL_TIME, REPLAN_FIRST, REPLAN_MOST)
        while not self._stopping:
            if self._wake.is_set():
                # Woken before planning, e.g. by a change the registry saw while it read
                # ``first``: that reading may be stale.
                first = None
            self._wake.clear()
            try:
                delay = await self._next_delay(first)
            except Exception as exc:
                if not is_connection_error(exc):
                    raise
                # One line per try, no traceback: the registry reports the outage itself.
                wait = unreachable.next_delay()
                self.log.info(
                    "cannot read the queue (%r); again in %.1f s",
                    exc,
                    wait,
                    extra={"action": "poster.unreachable"},
                )
                await REAL_TIME.wait(self._wake, wait)
                continue
            unreachable.reset()
            first = None
            if delay is None:
                await self._wake.wait()
                continue
            if delay > 0:
                # Woken: something changed, plan again. Timed out: plan again too, since
                # timers may wake a millisecond early and a card must never go out early.
                await self.deps.clock.wait(self._wake, delay)
                continue
            if self._stopping:
                break
            if self._expiry is not None and self._expiry <= self.deps.clock.now():
                await self._expire()
            else:
                await self._publish_head()

    async def _next_delay(self, head: Any = None) -> float | None:
        """Seconds until the next step is due (publish the head, or expire cards); None when
        there is nothing to wait for."""
        clock = self.deps.clock
        if head is None:
            async with self.deps.turns, self.deps.database.connect() as db:
                head = await publishing.head(db, self.platform_id)
        if head is None:
            return None
        self._expiry = head.next_expiry
        publish = self._publish_delay(head)
        if publish is not None:
            # A long rate limit being waited out: nothing is published before it ends.
            publish = max(publish, self.hold_until - clock.monotonic())
        if head.next_expiry is None:
            return publish
        expire = max(0.0, (head.next_expiry - clock.now()).total_seconds())
        return expire if publish is None else min(publish, expire)

    def _publish_delay(self, head: publishing.Head) -> float | None:
        """Seconds until the head is due; None when it is not to be published."""
        if head.snippet_id is None:
            return None
        self._planned = head.snippet_id
        if head.kind == "interval":
            return 0.0 if head.running else None
        if head.urgent and head.status == "ok":
            return 0.0
        if not head.running or head.eta is None:
            return None
        return max(0.0, (head.eta - self.deps.clock.now()).total_seconds())

    # --- one publish ------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _step(self, event: Event | None) -> AsyncIterator[Ctx]:
        """One unit of work of this poster's (board/unit.py), announced to every instance.

        The poster plans again after each of its steps anyway, so the notification of its
        own change is not a reason to wake it: that would be one more read per publish."""
        counted = False
        try:
            async with (
                self.deps.turns,
                unit_of_work(
                    self.deps.database, POSTER, self.deps.clock.now(), self.deps.config, event
                ) as ctx,
            ):
                yield ctx
                # Counted before the commit (which goes with the notification): the
                # notification may be read before this coroutine hears the commit is done.
                if self.platform_id in ctx.wake:
                    self._own_notices += 1
                    counted = True
        except BaseException:
            if (
                counted
            ):  # not committed, or not known to be: an extra wake is harmless, a lost one is not
                self._own_notices -= 1
            raise

    async def _expire(self) -> None:
        """Cards whose expiry has come leave the queue as `expired`, never published."""
        try:
            async with self._step(None) as ctx:
                gone = await expiry.expire_due(ctx, self.platform_id)
                if gone:
                    ctx.event = Event(
                        "poster.expire", {"platform_id": self.platform_id, "ids": gone}
                    )
        except NotFound:  # the column was deleted meanwhile: the registry stops this poster
            self._expiry = None

    async def _publish_head(self) -> None:
        if self._planned is None:
            return
        fence = self.deps.leadership.fence(self.platform_id)
        link: str | None = None
        self._fence = fence
        self.taking = True
        try:
            try:
                async with self._step(None) as ctx:
                    taken = await publishing.take(ctx, self.platform_id, self._planned, fence)
                    if taken is not None:
                        ctx.event = Event(
                            "poster.take", {"id": self._planned, "platform_id": self.platform_id}
                        )
                        link = await tracked_link(ctx.db, *taken, self.deps.public_url)
            except publishing.Fenced as exc:
                raise LeadershipLost(str(exc)) from exc
            if taken is None:
                return
            card, column = taken
            if card.eta is not None and not (card.meta or {}).get("send_now"):
                lateness = (self.deps.clock.now() - card.eta).total_seconds()
                self.deps.metrics.publish_lateness.observe(max(0.0, lateness))
            self.publishing = True
            await self._deliver(card, column, link)
        finally:
            self.taking = False
            self.publishing = False

    async def _deliver(self, card: Any, column: Any, link: str | None) -> None:
        adapter, kind, settings = await self.deps.adapter_for(column)
        self.kind = kind
        try:
            media = await self.deps.media_for(card) if self.deps.media_for else ()
        except PlatformError as exc:  # nothing went out: the card fails with why, an editor retries
            await self._finish(card, "failed", {"error": exc.message})
            return
        post = compose(card, kind, settings, media, link)
        transient = 0
        backoff = Backoff(self.deps.clock, BACKOFF_BASE, BACKOFF_MOST)
        while True:
            try:
                receipt = await asyncio.wait_for(adapter.publish(post), PUBLISH_TIMEOUT)
            except TimeoutError:
                await self._unknown(adapter, post, card, f"no answer within {PUBLISH_TIMEOUT:g} s")
                return
            except RateLimited as exc:
                self.deps.metrics.publishes.labels(kind, "rate_limited").inc()
                if exc.retry_after <= HOLD_IN_PLACE and not self._stopping:
                    self.log.info(
                        "rate limited for %.1f s; waiting",
                        exc.retry_after,
                        extra={"action": "poster.rate_limited"},
                    )
                    await self.deps.clock.sleep(exc.retry_after)
                    continue
                await self._hold(card, exc)
                return
            except Transient as exc:
                transient += 1
                self.deps.metrics.publishes.labels(kind, "transient").inc()
                if self._stopping:  # nothing went out: back to the queue for the next start
                    await self._finish(card, "pending", {}, count_as_send=False)
                    return
                if transient > MAX_TRANSIENT:
                    await self._finish(
                        card, "failed", {"error": f"{exc.message} (after {transient} tries)"}
                    )
                    return
                delay = backoff.next_delay()
                self.log.info(
                    "transient failure (%s); retry %d in %.1f s",
                    exc.message,
                    transient,
                    delay,
                    extra={"action": "poster.retry"},
                )
                await self.deps.clock.sleep(delay)
                continue
            except AuthRejected as exc:
                self.deps.metrics.publishes.labels(kind, "auth_rejected").inc()
                self.log.warning(
                    "credentials rejected: %s", exc.message, extra={"action": "poster.auth"}
                )
                await self._finish(
                    card,
                    "pending",
                    {"error": exc.message},
                    column_status=("auth_rejected", f"credentials rejected: {exc.message}"),
                )
                return
            except Rejected as exc:
                self.deps.metrics.publishes.labels(kind, "rejected").inc()
                await self._finish(card, "failed", {"error": exc.message})
                return
            except OutcomeUnknown as exc:
                await self._unknown(adapter, post, card, exc.message)
                return
            except PlatformError as exc:
                await self._unknown(adapter, post, card, exc.message)
                return
            except Exception as exc:  # an adapter bug: the request may have left
                self.log.exception("adapter failed", extra={"action": "poster.adapter_bug"})
                await self._unknown(adapter, post, card, f"{type(exc).__name__}: {exc}")
                return
            self.deps.metrics.publishes.labels(kind, "sent").inc()
            await self._sent(card, receipt)
            return

    async def _sent(self, card: Any, receipt: Receipt) -> None:
        meta = {"remote_id": receipt.remote_id}
        if receipt.remote_url:
            meta["remote_url"] = receipt.remote_url
        await self._finish(card, "sent", meta)

    async def _unknown(self, adapter: Adapter, post: Any, card: Any, reason: str) -> None:
        """Never resend blindly: ask the network, else let an editor decide."""
        self.log.warning(
            "outcome unknown (%s); reconciling", reason, extra={"action": "poster.unknown"}
        )
        try:
            receipt = await asyncio.wait_for(adapter.reconcile(post), PUBLISH_TIMEOUT)
        except Exception as exc:
            self.log.warning("reconcile failed: %r", exc, extra={"action": "poster.reconcile"})
            receipt = None
        if receipt is not None:
            await self._sent(card, receipt)
            return
        self.deps.metrics.publishes.labels(self.kind, "needs_check").inc()
        await self._finish(card, "needs_check", {"error": f"outcome unknown: {reason}"})

    async def _hold(self, card: Any, exc: RateLimited) -> None:
        """A long rate limit: the card goes back (nothing went out) and the column waits."""
        self.hold_until = self.deps.clock.monotonic() + exc.retry_after
        until = self.deps.clock.now() + timedelta(seconds=exc.retry_after)
        await self._finish(
            card,
            "pending",
            {},
            count_as_send=False,
            note=f"rate limited by the network until {until:%H:%M:%S} UTC",
            event=Event("poster.hold", {"id": card.id, "retry_after_s": exc.retry_after}),
        )

    async def _finish(
        self,
        card: Any,
        status: str,
        meta: dict[str, Any],
        column_status: tuple[str, str | None] | None = None,
        count_as_send: bool = True,
        note: str | None = None,
        event: Event | None = None,
    ) -> None:
        """Record the outcome, retrying through a database hiccup: the card is `sending` until
        this commits, and a card left `sending` would come back as needs_check.

        The step presents the fence the card was taken under: after a blip the outcome is
        recorded only if nobody else has led the column meanwhile (else the new leader
        reconciles the card, and this poster leaves it alone)."""
        backoff = Backoff(self.deps.clock, 0.2, 5.0)
        deadline = self.deps.clock.monotonic() + FINISH_PATIENCE
        event = event or Event("poster.finish", {"id": card.id, "status": status})
        while True:
            try:
                async with self._step(event) as ctx:
                    done = await publishing.finish(
                        ctx,
                        self.platform_id,
                        card.id,
                        status,
                        meta=meta,
                        column_status=column_status,
                        count_as_send=count_as_send,
                        fence=self._fence,
                    )
                    if done and (note is not None or status == "sent"):
                        await publishing.set_column_note(ctx, self.platform_id, note)
                break
            except publishing.Fenced:
                self.log.warning(
                    "card %s (%s) was not recorded: the column is led elsewhere now, "
                    "and its leader reconciles the card",
                    card.id,
                    status,
                    extra={"action": "poster.fenced"},
                )
                return
            except Exception as exc:
                if not is_connection_error(exc) or self.deps.clock.monotonic() > deadline:
                    raise
                delay = backoff.next_delay()
                self.log.warning(
                    "recording card %s as %s failed (%r); retrying in %.1f s",
                    card.id,
                    status,
                    exc,
                    delay,
                    extra={"action": "poster.finish_retry"},
                )
                await self.deps.clock.sleep(delay)
        if not done:
            self.log.warning(
                "card %s was resolved elsewhere while publishing",
                card.id,
                extra={"action": "poster.lost_card"},
            )

    # --- after a crash ------------------------------------------------------------------

    async def recover(self) -> None:
        """Cards left `sending` by a dead poster: reconciled, else needs_check. Never resent."""
        async with self.deps.database.connect() as db:
            stuck = await publishing.stuck_sending(db, self.platform_id)
            column = await publishing.column_row(db, self.platform_id) if stuck else None
        if column is None:
            return
        self._fence = self.deps.leadership.fence(self.platform_id)
        adapter, kind, settings = await self.deps.adapter_for(column)
        public_url = self.deps.public_url
        for card in stuck:
            # The link the post went out with, if it was tracked: reconciling compares texts.
            code = card["link_code"]
            link = short_url(public_url, code) if public_url and code else None
            post = compose(card, kind, settings, link=link)
            await self._unknown(adapter, post, card, "the server stopped while publishing")

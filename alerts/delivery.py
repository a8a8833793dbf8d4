"""Delivering alerts: one task per alert and target, retried, each attempt within a deadline,
and the target's health written where admins see it.

Nothing here holds a transaction, a pooled connection or a poster's step while a target is
asked: a target that hangs costs a task and a socket, and delays no publish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from alerts.senders import ATTEMPT_S, DeliveryFailed, Senders
from alerts.targets import changed
from alerts.words import Alert
from board.clock import Backoff, Clock
from board.context import Actor, BoardConfig, Ctx
from board.db import Database, Row, fetchrow
from board.unit import unit_of_work

log = logging.getLogger(__name__)

# The first try at once, then after ~5, 10, 20, 40 s (real time, jittered): five in all.
ATTEMPTS = 5
FIRST_DELAY_S = 5.0
MOST_DELAY_S = 60.0
# An attempt's deadline: the request's own timeout plus room for a slow TLS or SMTP greeting.
DEADLINE_S = ATTEMPT_S + 2
# Deliveries at most; beyond, an alert is logged and dropped (a flood of distinct subjects,
# each throttled, cannot grow memory without bound).
MAX_IN_FLIGHT = 500
# Who writes a target's health (no event is recorded: it is bookkeeping, patched to admins).
ALERTS = Actor(0, "alerts", "admin")


class Deliveries:
    def __init__(
        self,
        database: Database,
        config: BoardConfig,
        senders: Senders,
        on_secrets: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.database = database
        self.config = config
        self.senders = senders
        self.on_secrets = on_secrets
        self.tasks: set[asyncio.Task[None]] = set()
        # What this instance last wrote of each target: a failure is written when it changes.
        self._recorded: dict[int, tuple[str, str | None]] = {}

    def __len__(self) -> int:
        return len(self.tasks)

    def start(self, target: Row, alert: Alert) -> None:
        if len(self.tasks) >= MAX_IN_FLIGHT:
            log.error("alerts: %d deliveries in flight; %s dropped", len(self.tasks), alert.event)
            return
        task = asyncio.create_task(self.deliver(target, alert), name=f"alert-{target['id']}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def deliver(self, target: Row, alert: Alert) -> None:
        backoff = Backoff(Clock(), FIRST_DELAY_S, MOST_DELAY_S)
        for attempt in range(1, ATTEMPTS + 1):
            error = await self.attempt(target, alert)
            try:
                await self.record(target["id"], error)
            except Exception as exc:
                # The health is shown, not needed: a write that fails does not stop the tries.
                log.warning("alert target %s: health not written (%r)", target["id"], exc)
            if error is None:
                return
            log.warning(
                "alert target %s: attempt %d of %d failed: %s",
                target["id"],
                attempt,
                ATTEMPTS,
                error,
                extra={"action": "alerts.retry"},
            )
            if attempt < ATTEMPTS:
                await backoff.wait()

    async def attempt(self, target: Row, alert: Alert) -> str | None:
        """One try within its deadline; the error, or None when it got through."""
        try:
            secrets = self.config.box.open(target["secrets"])
        except ValueError as exc:
            return str(exc)
        if self.on_secrets is not None and secrets:
            self.on_secrets(list(secrets.values()))
        try:
            async with asyncio.timeout(DEADLINE_S):
                await self.senders.send(target["kind"], target["settings"] or {}, secrets, alert)
        except DeliveryFailed as exc:
            return str(exc)
        except TimeoutError:
            return f"no answer within {DEADLINE_S:g} s"
        except Exception as exc:  # a bug of ours or of a client library: said, not fatal
            log.exception("alert target %s: delivery failed", target["id"])
            return f"internal error: {type(exc).__name__}"
        return None

    async def record(self, target_id: int, error: str | None) -> None:
        """The target's health, on the admins' screens: each success's time, and a failure
        when it differs from the last one written."""
        status = "ok" if error is None else "failing"
        if error is not None and self._recorded.get(target_id) == (status, error):
            return
        async with unit_of_work(self.database, ALERTS, Clock().now(), self.config) as ctx:
            await self.write_status(ctx, target_id, error)

    async def write_status(self, ctx: Ctx, target_id: int, error: str | None) -> None:
        old = await fetchrow(
            ctx.db, "SELECT * FROM alert_targets WHERE id = $1 FOR UPDATE", target_id
        )
        if old is None:  # deleted meanwhile
            return
        if error is None:
            sql = (
                "UPDATE alert_targets SET status = 'ok', last_ok_at = $2 WHERE id = $1 RETURNING *"
            )
            new = await fetchrow(ctx.db, sql, target_id, ctx.now)
        else:
            sql = (
                "UPDATE alert_targets SET status = 'failing', last_error = $2, last_error_at = $3"
                " WHERE id = $1 RETURNING *"
            )
            new = await fetchrow(ctx.db, sql, target_id, error[:500], ctx.now)
        changed(ctx, old, new)
        self._recorded[target_id] = ("ok" if error is None else "failing", error)

    async def stop(self) -> None:
        """Cancel deliveries still trying (an alert in flight at shutdown is not retried)."""
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            await asyncio.wait([task])
        await self.senders.aclose()

"""The alerter: every instance runs one; for each alert exactly one instance sends.

It hears the board's change stream (``heard``: called for every committed change, never
awaits) and every ``check_s`` looks for the conditions. Each alert is claimed in
``alert_marks`` with one INSERT … ON CONFLICT: the statement returns a row for one instance
only, and not again for 30 minutes for the same event and subject (a condition not again
until it has cleared). The claimer reads what the alert is about and delivers it to every
target that hears that event, each in its own task, with retries (``Backoff``) and a deadline
per attempt: nothing here is on a poster's path, so a dead target delays no publish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from alerts import detect, words
from alerts.senders import ATTEMPT_S, DeliveryFailed, Senders
from alerts.targets import changed, target_row
from alerts.words import Alert
from board.args import Args
from board.clock import Backoff, Clock
from board.context import Actor, BoardConfig
from board.db import Database, Row, fetch, fetchrow, is_connection_error
from board.unit import unit_of_work

log = logging.getLogger(__name__)

# The same event for the same subject at most this often (CONTRACT §10).
QUIET = "30 minutes"
# Delivery: the first try at once, then after ~5, 10, 20 s… (real time), this many in all.
ATTEMPTS = 5
# Alerts being delivered at most; beyond, an alert is logged and dropped (a flood of
# distinct subjects, each throttled, cannot grow memory without bound).
MAX_IN_FLIGHT = 500
ALERTS = Actor(0, "alerts", "admin")

# One statement claims many subjects of one event (every dry queue of a check at once).
_CLAIM = (
    "INSERT INTO alert_marks (event, subject, sent_at, active)"
    " SELECT $1, subject, $3, $4 FROM unnest($2::text[]) AS subject"
    " ON CONFLICT (event, subject) DO UPDATE SET sent_at = EXCLUDED.sent_at,"
    " active = EXCLUDED.active"
    f" WHERE alert_marks.sent_at <= EXCLUDED.sent_at - interval '{QUIET}'"
    " AND NOT (alert_marks.active AND EXCLUDED.active) RETURNING subject"
)
_CLEARED = (
    "UPDATE alert_marks SET active = false"
    " WHERE event = $1 AND active AND NOT (subject = ANY($2::text[]))"
)
# Every column, and for a running one the eta of its last card (the queue's own index).
_COLUMNS = (
    "SELECT p.*, CASE WHEN NOT p.paused AND p.status = 'ok' AND p.kind <> 'drafts'"
    " AND cardinality(p.hold_ids) = 0 THEN (SELECT max(s.eta) FROM snippets s"
    " WHERE s.platform_id = p.id AND s.status = 'pending' AND s.kind = 'post') END AS last_eta"
    " FROM platforms p WHERE p.deleted_at IS NULL ORDER BY p.id"
)
# The events some target hears: nothing is claimed (nor looked for) that nobody would hear.
_WANTED = "SELECT DISTINCT unnest(events) FROM alert_targets"


class Alerter:
    def __init__(
        self,
        database: Database,
        config: BoardConfig,
        senders: Senders,
        *,
        public_url: str | None,
        clock: Clock | None = None,
        check_s: float = 60.0,
        on_secrets: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.database = database
        self.config = config
        self.senders = senders
        self.public_url = public_url
        self.clock = clock or Clock()
        self.check_s = check_s
        self.on_secrets = on_secrets
        self._inbox: asyncio.Queue[detect.Candidate] = asyncio.Queue()
        # token_expires_at per column as the change stream told it (a column of the table,
        # when there is one, is read instead).
        self.tokens: dict[int, datetime | None] = {}
        self.deliveries: set[asyncio.Task[None]] = set()
        # What this instance last recorded of each target: a status is written when it changes.
        self._recorded: dict[int, tuple[str, str | None]] = {}

    def heard(self, patch: Mapping[str, Any]) -> None:
        """A committed change (every instance hears each one); never awaits."""
        self.tokens.update(detect.token_times(patch))
        for candidate in detect.transitions(patch):
            self._inbox.put_nowait(candidate)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        next_check = loop.time()
        while True:
            try:
                async with asyncio.timeout(max(0.0, next_check - loop.time())):
                    candidate = await self._inbox.get()
            except TimeoutError:
                await self._guarded(self.check_conditions())
                next_check = loop.time() + self.check_s
                continue
            await self._guarded(self.transition(candidate))

    async def _guarded(self, step: Any) -> None:
        try:
            await step
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            log.warning("alerts: database unreachable (%r)", exc, extra={"action": "alerts.db"})

    # What happened.

    async def transition(self, candidate: detect.Candidate) -> None:
        async with self.database.connect() as db:
            if candidate.event not in await wanted(db):
                return
            alert, subject = await self._describe(db, candidate)
        if alert is not None and await self.claim(alert.event, subject, condition=False):
            await self.dispatch(alert)

    async def _describe(self, db: Any, c: detect.Candidate) -> tuple[Alert | None, str]:
        if c.table == "platforms":
            row = await fetchrow(
                db, "SELECT * FROM platforms WHERE id = $1 AND deleted_at IS NULL", c.id
            )
            if row is None:
                return None, ""
            reason = (row["status_message"] or "").removeprefix("credentials rejected: ")
            text = words.column_stopped(row["name"], reason)
            return Alert(c.event, text, self.link(c.id), platform_id=c.id), f"platform:{c.id}"
        if c.table == "snippets":
            row = await fetchrow(
                db,
                "SELECT s.platform_id, s.body, s.meta, p.name FROM snippets s"
                " JOIN platforms p ON p.id = s.platform_id WHERE s.id = $1",
                c.id,
            )
            if row is None:
                return None, ""
            if c.event == "card_failed":
                text = words.card_failed(row["name"], row["body"], (row["meta"] or {}).get("error"))
            else:
                text = words.card_needs_check(row["name"], row["body"])
            link = self.link(row["platform_id"], c.id)
            alert = Alert(c.event, text, link, platform_id=row["platform_id"], snippet_id=c.id)
            # A column's cards: once per 30 minutes per column, whichever card (the others
            # are on the board), so a column failing card after card is one alert, not fifty.
            return alert, f"platform:{row['platform_id']}"
        row = await fetchrow(
            db,
            "SELECT f.*, p.name AS column_name FROM feeds f"
            " LEFT JOIN platforms p ON p.id = f.drafts_platform_id WHERE f.id = $1",
            c.id,
        )
        if row is None:
            return None, ""
        text = words.feed_failing(row["title"] or row["url"], row["column_name"], row["error"])
        column = row["drafts_platform_id"]
        alert = Alert(c.event, text, self.link(column), platform_id=column, feed_id=c.id)
        return alert, f"feed:{c.id}"

    async def check_conditions(self) -> None:
        """The conditions of every column: a queue running dry, a token about to expire."""
        now = self.clock.now()
        async with self.database.connect() as db:
            heard = await wanted(db) & set(words.CONDITIONS)
            if not heard:
                return
            columns = await fetch(db, _COLUMNS)
        found: dict[str, list[tuple[str, Alert]]] = {event: [] for event in heard}
        for column in columns:
            pid = column["id"]
            if "queue_dry" in found and detect.is_dry(column, column["last_eta"], now):
                text = words.queue_dry(column["name"], column["last_eta"])
                alert = Alert("queue_dry", text, self.link(pid), pid)
                found["queue_dry"].append((f"platform:{pid}", alert))
            expires = self.token_expiry(column)
            if "token_expiring" in found and detect.expiring(expires, now):
                assert expires is not None
                text = words.token_expiring(column["name"], expires, now)
                alert = Alert("token_expiring", text, self.link(pid), pid)
                found["token_expiring"].append((f"platform:{pid}", alert))
        for event, alerts in found.items():
            subjects = [subject for subject, _ in alerts]
            async with self.database.connect() as db:
                await db.execute(_CLEARED, event, subjects)
            won = await self.claim_all(event, subjects, condition=True)
            for subject, alert in alerts:
                if subject in won:
                    await self.dispatch(alert)

    def token_expiry(self, column: Row) -> datetime | None:
        """The column's token expiry: its own column in the table when there is one (token
        health keeps it), else what the change stream said."""
        if "token_expires_at" in column.keys():
            return detect.parse_time(column["token_expires_at"])
        return self.tokens.get(column["id"])

    async def claim(self, event: str, subject: str, *, condition: bool) -> bool:
        """True for exactly one instance, at most once per QUIET for an event and subject."""
        return subject in await self.claim_all(event, [subject], condition=condition)

    async def claim_all(self, event: str, subjects: list[str], *, condition: bool) -> set[str]:
        """The subjects this instance won (one statement for them all)."""
        if not subjects:
            return set()
        async with self.database.connect() as db:
            rows = await db.fetch(_CLAIM, event, subjects, self.clock.now(), condition)
        return {row["subject"] for row in rows}

    def link(self, platform_id: int | None, snippet_id: int | None = None) -> str:
        return words.link(self.public_url, platform_id, snippet_id)

    # Delivering it.

    async def dispatch(self, alert: Alert) -> None:
        """Start a delivery to every target that hears this event; returns at once."""
        async with self.database.connect() as db:
            targets = await fetch(
                db, "SELECT * FROM alert_targets WHERE $1 = ANY(events) ORDER BY id", alert.event
            )
        log.info(
            "alert %s to %d targets", alert.event, len(targets), extra={"action": "alerts.fire"}
        )
        for target in targets:
            if len(self.deliveries) >= MAX_IN_FLIGHT:
                log.error("alerts: too many in flight; %s dropped", alert.event)
                return
            task = asyncio.create_task(self.deliver(target, alert), name=f"alert-{target['id']}")
            self.deliveries.add(task)
            task.add_done_callback(self.deliveries.discard)

    async def deliver(self, target: Row, alert: Alert) -> None:
        backoff = Backoff(Clock(), 5.0, 60.0)
        for attempt in range(1, ATTEMPTS + 1):
            error = await self.attempt(target, alert)
            try:
                await self.record(target["id"], error)
            except Exception as exc:
                if not is_connection_error(exc):
                    raise
            if error is None:
                return
            log.warning(
                "alert target %s: attempt %d failed: %s",
                target["id"],
                attempt,
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
            async with asyncio.timeout(ATTEMPT_S + 2):
                await self.senders.send(target["kind"], target["settings"] or {}, secrets, alert)
        except DeliveryFailed as exc:
            return str(exc)
        except TimeoutError:
            return f"no answer within {ATTEMPT_S + 2:g} s"
        return None

    async def record(self, target_id: int, error: str | None, *, force: bool = False) -> None:
        """The target's health, on the admins' screens: written when it changes, and each
        success's time."""
        status = "ok" if error is None else "failing"
        if not force and error is not None and self._recorded.get(target_id) == (status, error):
            return
        async with unit_of_work(self.database, ALERTS, self.clock.now(), self.config) as ctx:
            await self.write_status(ctx, target_id, error)
        self._recorded[target_id] = (status, error)

    async def write_status(self, ctx: Any, target_id: int, error: str | None) -> None:
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

    async def test_op(self, call: Any, args: Args) -> dict[str, Any]:
        """alert.test {id}: one alert to one target now; says whether it got through."""
        async with call.read() as db:
            target = await target_row(db, args.int("id"))
        alert = Alert("test", words.test(target["name"]), self.link(None))
        error = await self.attempt(target, alert)
        async with call.unit() as ctx:
            await self.write_status(ctx, target["id"], error)
        self._recorded[target["id"]] = ("ok" if error is None else "failing", error)
        return {"id": target["id"], "delivered": error is None, "error": error}

    async def stop(self) -> None:
        """Cancel deliveries still trying (an alert in flight at shutdown is not retried)."""
        for task in list(self.deliveries):
            task.cancel()
        for task in list(self.deliveries):
            await asyncio.wait([task])
        await self.senders.aclose()


async def wanted(db: Any) -> set[str]:
    return {row[0] for row in await db.fetch(_WANTED)}

"""The alerter: every instance runs one; for each alert exactly one instance sends.

It hears the board's change stream (``heard``: called for every committed change, never
awaits) and every ``check_s`` looks for the conditions. Each alert is claimed in
``alert_marks`` with one INSERT … ON CONFLICT: the statement returns a row for one instance
only, and not again for 30 minutes for the same event and subject (a condition not again
until it has cleared). The claimer reads what the alert is about and hands it to every
target that hears that event (delivery.py: a task each, retried, a deadline per attempt):
nothing here is on a poster's path, so a dead target delays no publish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from alerts import detect, words
from alerts.delivery import Deliveries
from alerts.senders import Senders
from alerts.targets import target_row
from alerts.words import Alert
from board.args import Args
from board.clock import Clock
from board.context import BoardConfig
from board.db import Database, fetch, fetchrow, is_connection_error

log = logging.getLogger(__name__)

# The same event for the same subject at most this often (CONTRACT §10).
QUIET = "30 minutes"
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
        self.public_url = public_url
        self.clock = clock or Clock()
        self.check_s = check_s
        self._inbox: asyncio.Queue[detect.Candidate] = asyncio.Queue()
        self.deliveries = Deliveries(database, config, senders, on_secrets)

    def heard(self, patch: Mapping[str, Any]) -> None:
        """A committed change (every instance hears each one); never awaits."""
        for candidate in detect.transitions(patch):
            self._inbox.put_nowait(candidate)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        next_check = loop.time()
        while True:
            # Checked first: a stream of changes never puts the conditions off.
            if loop.time() >= next_check:
                await self._guarded(self.check_conditions())
                next_check = loop.time() + self.check_s
                continue
            try:
                async with asyncio.timeout(next_check - loop.time()):
                    candidate = await self._inbox.get()
            except TimeoutError:
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
            expires = column["token_expires_at"]
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
            self.deliveries.start(target, alert)

    async def test_op(self, call: Any, args: Args) -> dict[str, Any]:
        """alert.test {id}: one alert to one target now; says whether it got through."""
        async with call.read() as db:
            target = await target_row(db, args.int("id"))
        alert = Alert("test", words.test(target["name"]), self.link(None))
        error = await self.deliveries.attempt(target, alert)
        async with call.unit() as ctx:
            await self.deliveries.write_status(ctx, target["id"], error)
        return {"id": target["id"], "delivered": error is None, "error": error}

    async def stop(self) -> None:
        await self.deliveries.stop()


async def wanted(db: Any) -> set[str]:
    return {row[0] for row in await db.fetch(_WANTED)}

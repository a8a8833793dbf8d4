"""The feed poller: fetches due RSS/Atom feeds with conditional requests, each on its own clock.

A feed is someone else's server, and some are slow, broken or hostile. So:
- every fetch has a total deadline (a server that drips a byte every few seconds never trips
  a per-read timeout, but it does end), shorter than the feed's lease (board/feeds.py), so a
  lease never runs out mid-fetch and no feed is fetched twice;
- one fetch per feed at a time, and at most CONCURRENCY at once per instance, of which feeds
  not known to answer well (new or failing) may hold only SUSPECT_SHARE: eight dead sources
  cannot stop the others;
- a feed deleted (or given another URL) while it is fetched has its fetch cancelled;
- only public addresses are reached, unless METRONOME_FETCH_ALLOW lists them
  (fetching/transport.py checks every hop and pins the connection to the checked address);
- while the database is out of reach, one line per retry, backing off.
A failure only moves that feed's next poll (board/feeds.py decides when).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from board import feeds
from board.clock import Backoff, Clock
from board.context import Actor, BoardConfig, Event
from board.db import Database, Row, is_connection_error
from board.errors import NotFound
from board.feedparse import FeedError, parse
from board.unit import unit_of_work
from fetching.policy import AddressPolicy, Refused
from fetching.transport import Resolver, describe, guarded_client, resolve

log = logging.getLogger(__name__)

# Feeds fetched at once per instance: plenty for a newsroom's sources, gentle on the pool.
CONCURRENCY = 16
# Of those, what feeds that are new or failing may hold: a slow or dead source holds its slot
# until its deadline, and the healthy ones keep the rest.
SUSPECT_SHARE = 8
# Longest wait between looks at the schedule; a new feed is due at once and found within it.
# Also how soon a deleted feed's fetch is cancelled.
TICK_S = 1.0
# A read that brings nothing for this long ends the fetch; the whole fetch ends at the deadline.
READ_TIMEOUT_S = 20.0
FETCH_DEADLINE_S = 60.0
# A feed is a few hundred kilobytes; anything past this is not a feed we want.
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
USER_AGENT = "Metronome feed poller (+https://github.com/metronome)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
# Who the poller's changes are by: a system actor whose id is never written anywhere.
SYSTEM = Actor(0, "feeds", "admin")
# Waiting for the database runs on real time (the injected clock is the board's schedule).
REAL_TIME = Clock()
assert FETCH_DEADLINE_S < feeds.LEASE_S, "a lease must outlast the longest fetch"


@dataclass(frozen=True)
class Fetched:
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None


class PollFailed(Exception):
    """The feed could not be fetched or read."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass
class Flight:
    """A fetch under way: its task, the URL it fetches, and whether it is a suspect's."""

    task: asyncio.Task[None]
    url: str
    suspect: bool


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff is good enough


async def fetch(
    http: httpx.AsyncClient, url: str, etag: str | None, last_modified: str | None
) -> Fetched:
    """One conditional GET, read to the end within the deadline; PollFailed says why not."""
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with asyncio.timeout(FETCH_DEADLINE_S):
            return await _get(http, url, headers)
    except TimeoutError:
        raise PollFailed(f"no complete answer within {FETCH_DEADLINE_S:g} s") from None
    except (Refused, httpx.HTTPError) as exc:
        raise PollFailed(describe(exc)) from None


async def _get(http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Fetched:
    async with http.stream("GET", url, headers=headers) as response:
        body = b""
        if response.status_code == 200:
            chunks = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_BYTES:
                    raise PollFailed(f"the feed is larger than {MAX_BYTES // 1024 // 1024} MB")
                chunks.append(chunk)
            body = b"".join(chunks)
        elif response.status_code != 304:
            raise PollFailed(
                f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                _retry_after(response.headers.get("retry-after")),
            )
        return Fetched(
            response.status_code,
            body,
            response.headers.get("etag"),
            response.headers.get("last-modified"),
        )


class FeedPoller:
    """Polls due feeds until cancelled; started by the app's lifespan."""

    def __init__(
        self,
        database: Database,
        config: BoardConfig,
        clock: Clock,
        policy: AddressPolicy,
        resolver: Resolver = resolve,
    ) -> None:
        self.database = database
        self.config = config
        self.clock = clock
        self.policy = policy
        self.resolver = resolver
        self.flights: dict[int, Flight] = {}

    async def run(self) -> None:
        http = guarded_client(
            self.policy,
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=10.0),
            max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": USER_AGENT},
            resolver=self.resolver,
        )
        backoff = Backoff(REAL_TIME, 1.0, 30.0)
        try:
            while True:
                try:
                    await self._drop_gone()
                    await self._start_due(http)
                    await self._sleep()
                    backoff.reset()
                except Exception as exc:
                    if not is_connection_error(exc):
                        raise
                    delay = backoff.next_delay()
                    log.warning(
                        "feeds: the database is out of reach (%r); trying again in %.1f s",
                        exc,
                        delay,
                        extra={"action": "feed.unreachable"},
                    )
                    await asyncio.sleep(delay)
        finally:
            flights = [flight.task for flight in self.flights.values()]
            for task in flights:
                task.cancel()
            for task in flights:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await http.aclose()

    async def _drop_gone(self) -> None:
        """Cancel the fetches of feeds deleted, or pointed at another URL, meanwhile."""
        if not self.flights:
            return
        async with self.database.connect() as db:
            now = {r["id"]: r["url"] for r in await feeds.urls(db, list(self.flights))}
        for feed_id, flight in list(self.flights.items()):
            if now.get(feed_id) != flight.url:
                log.getChild(str(feed_id)).info(
                    "feed %s %s while fetched: fetch cancelled",
                    feed_id,
                    "deleted" if feed_id not in now else "changed",
                    extra={"action": "feed.cancel"},
                )
                flight.task.cancel()
                del self.flights[feed_id]

    async def _start_due(self, http: httpx.AsyncClient) -> None:
        free = CONCURRENCY - len(self.flights)
        if free <= 0:
            return
        suspects = sum(flight.suspect for flight in self.flights.values())
        async with self.database.connect() as db:
            claimed = await feeds.claim_due(
                db,
                self.clock.now(),
                free,
                suspect_limit=max(0, SUSPECT_SHARE - suspects),
                busy=list(self.flights),
            )
        for row in claimed:
            task = asyncio.create_task(self._poll(http, row), name=f"feed-{row.id}")
            self.flights[row.id] = Flight(task, row.url, row.status != "ok")
            task.add_done_callback(functools.partial(self._landed, row.id))

    def _landed(self, feed_id: int, task: asyncio.Task[None]) -> None:
        flight = self.flights.get(feed_id)
        if flight is not None and flight.task is task:
            del self.flights[feed_id]

    async def _sleep(self) -> None:
        async with self.database.connect() as db:
            due: datetime | None = await feeds.next_due(db)
        wait = TICK_S
        if due is not None:
            wait = min(TICK_S, max(0.05, (due - self.clock.now()).total_seconds()))
        tasks = [flight.task for flight in self.flights.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        else:
            await asyncio.sleep(wait)

    async def _poll(self, http: httpx.AsyncClient, row: Row) -> None:
        feed_log = log.getChild(str(row.id))
        try:
            await self._poll_once(http, row, feed_log)
        except NotFound:
            pass  # deleted while we fetched it
        except Exception as exc:  # the lease runs out and the feed is polled again
            if is_connection_error(exc):
                feed_log.warning(
                    "feed %s: the database is out of reach (%r); polled again later",
                    row.id,
                    exc,
                    extra={"action": "feed.unreachable"},
                )
                return
            feed_log.exception(
                "feed %s: could not record the poll", row.url, extra={"action": "feed.error"}
            )

    async def _poll_once(self, http: httpx.AsyncClient, row: Row, feed_log: logging.Logger) -> None:
        try:
            fetched = await fetch(http, row.url, row.etag, row.last_modified)
            parsed = None if fetched.status == 304 else parse(fetched.body)
        except (PollFailed, FeedError) as exc:
            feed_log.warning("feed %s failed: %s", row.url, exc, extra={"action": "feed.fail"})
            await self._record(
                "feed.failed",
                feeds.record_failure,
                row.id,
                str(exc),
                getattr(exc, "retry_after_s", None),
            )
            return
        except Exception as exc:  # a bug must not stop this feed for good: it backs off instead
            feed_log.exception("feed %s: unexpected error", row.url, extra={"action": "feed.error"})
            await self._record(
                "feed.failed", feeds.record_failure, row.id, f"internal error: {type(exc).__name__}"
            )
            return
        new_ids = await self._record(
            "feed.polled",
            feeds.record_success,
            row.id,
            parsed,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
        )
        feed_log.info(
            "feed %s: %s, %d new",
            row.url,
            "not modified" if parsed is None else "ok",
            len(new_ids),
            extra={"action": "feed.poll"},
        )

    async def _record(self, op: str, step: Any, feed_id: int, *args: Any, **kwargs: Any) -> Any:
        """Run one board step in its own unit of work (board/unit.py)."""
        async with unit_of_work(
            self.database, SYSTEM, self.clock.now(), self.config, Event(op, {"id": feed_id})
        ) as ctx:
            return await step(ctx, feed_id, *args, **kwargs)

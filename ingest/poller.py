"""The feed poller: fetches due RSS/Atom feeds with conditional requests, each on its own clock.

One slow or broken feed never holds up the others: every fetch is its own task with a
timeout, and a failure only moves that feed's next poll (board/feeds.py decides when).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from board import feeds
from board.clock import Clock
from board.context import Actor, BoardConfig, Event
from board.db import Database
from board.errors import NotFound
from board.feedparse import FeedError, parse
from board.unit import unit_of_work

log = logging.getLogger(__name__)

# Feeds fetched at once per instance: plenty for a newsroom's sources, gentle on the pool.
CONCURRENCY = 8
# Longest wait between looks at the schedule; a new feed is due at once and found within it.
TICK_S = 1.0
FETCH_TIMEOUT_S = 20.0
# A feed is a few hundred kilobytes; anything past this is not a feed we want.
MAX_BYTES = 5 * 1024 * 1024
USER_AGENT = "Metronome feed poller (+https://github.com/metronome)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
# Who the poller's changes are by: a system actor whose id is never written anywhere.
SYSTEM = Actor(0, "feeds", "admin")


@dataclass(frozen=True)
class Fetched:
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    retry_after_s: float | None


class PollFailed(Exception):
    """The feed could not be fetched or read."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff is good enough


async def fetch(
    http: httpx.AsyncClient, url: str, etag: str | None, last_modified: str | None
) -> Fetched:
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
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
                None,
            )
    except httpx.TimeoutException:
        raise PollFailed(f"no answer within {FETCH_TIMEOUT_S:g} s") from None
    except httpx.HTTPError as exc:
        raise PollFailed(f"cannot fetch: {type(exc).__name__}: {exc}"[:300]) from None


class FeedPoller:
    """Polls due feeds until cancelled; started by the app's lifespan."""

    def __init__(self, database: Database, config: BoardConfig, clock: Clock) -> None:
        self.database = database
        self.config = config
        self.clock = clock
        self._inflight: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        async with httpx.AsyncClient(
            timeout=FETCH_TIMEOUT_S, follow_redirects=True, headers={"User-Agent": USER_AGENT}
        ) as http:
            try:
                while True:
                    await self._start_due(http)
                    await self._sleep()
            finally:
                for task in self._inflight:
                    task.cancel()
                for task in list(self._inflight):
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    async def _start_due(self, http: httpx.AsyncClient) -> None:
        free = CONCURRENCY - len(self._inflight)
        if free <= 0:
            return
        async with self.database.connect() as db:
            claimed = await feeds.claim_due(db, self.clock.now(), free)
        for row in claimed:
            task = asyncio.create_task(self._poll(http, row), name=f"feed-{row.id}")
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _sleep(self) -> None:
        async with self.database.connect() as db:
            due: datetime | None = await feeds.next_due(db)
        wait = TICK_S
        if due is not None:
            wait = min(TICK_S, max(0.05, (due - self.clock.now()).total_seconds()))
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        else:
            await asyncio.sleep(wait)

    async def _poll(self, http: httpx.AsyncClient, row: Any) -> None:
        feed_log = log.getChild(str(row.id))
        try:
            await self._poll_once(http, row, feed_log)
        except NotFound:
            pass  # deleted while we fetched it
        except Exception:  # the lease runs out and the feed is polled again
            feed_log.exception(
                "feed %s: could not record the poll", row.url, extra={"action": "feed.error"}
            )

    async def _poll_once(self, http: httpx.AsyncClient, row: Any, feed_log: logging.Logger) -> None:
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

"""Clicks on tracked links: the counts each instance brings in, and reading them back.

Instances count clicks in memory and hand them here every few seconds (web/clickcount.py):
one unit of work adds them per card, hour and referrer's domain, raises each card's total
(``snippets.clicks``) and patches the totals of the sent cards the board shows. Nothing
about the person clicking is stored: no address, no cookie, only how many and from where.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from board import rows, state
from board.context import Ctx
from board.db import Db, Row, fetch

# (card id, the hour the clicks fell in, the referrer's domain or '')
Key = tuple[int, datetime, str]
HOUR = timedelta(hours=1)
# The stats list the cards with most clicks first; the CSV export has every row.
MAX_CARDS = 1000
MAX_REFERRERS = 20
# How long a stored flush's id is remembered: its sender retries within seconds.
FLUSHES_KEPT = "1 day"


def hour_of(moment: datetime) -> datetime:
    """The UTC hour a moment falls in (clicks are counted per UTC hour)."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


async def record(ctx: Ctx, flush_id: str, counts: Mapping[Key, int]) -> bool:
    """Add ``counts`` to the stored ones; every card's new total goes out as a patch when the
    board's state shows that card (a sent card among its column's last ``rows.HISTORY``).

    ``flush_id`` names this batch: one already stored (its commit went through though its
    sender never heard so) is not added again, and False says so."""
    if not counts:
        return True
    first_time = await ctx.db.fetchval(
        "WITH old AS (DELETE FROM click_flushes WHERE created_at < now() - interval"
        f" '{FLUSHES_KEPT}') INSERT INTO click_flushes (id) VALUES ($1)"
        " ON CONFLICT (id) DO NOTHING RETURNING true",
        flush_id,
    )
    if not first_time:
        return False
    keys = sorted(counts)
    per_card: dict[int, int] = {}
    for key in keys:
        per_card[key[0]] = per_card.get(key[0], 0) + counts[key]
    ids = sorted(per_card)
    column_ids = sorted(
        r["platform_id"]
        for r in await ctx.db.fetch(
            "SELECT DISTINCT platform_id FROM snippets WHERE id = ANY($1::int[])", ids
        )
    )
    # Columns, then cards, each in id order, as commands and posters lock them: no deadlock
    # with them or another instance's flush. Holding the columns also keeps their history
    # as it is until this commits, so a card patched here is one every client has.
    await ctx.db.execute(
        "SELECT 1 FROM platforms WHERE id = ANY($1::int[]) ORDER BY id FOR SHARE", column_ids
    )
    await ctx.db.execute(
        "SELECT 1 FROM snippets WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE", ids
    )
    await ctx.db.execute(
        "INSERT INTO clicks (snippet_id, hour, referrer, count)"
        " SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::text[], $4::int8[])"
        " ON CONFLICT (snippet_id, hour, referrer)"
        " DO UPDATE SET count = clicks.count + excluded.count",
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
        [counts[k] for k in keys],
    )
    totals = await fetch(
        ctx.db,
        "UPDATE snippets AS s SET clicks = coalesce(s.clicks, 0) + v.n"
        " FROM unnest($1::int[], $2::int8[]) AS v(id, n) WHERE s.id = v.id"
        " RETURNING s.id, s.status, s.clicks",
        ids,
        [per_card[i] for i in ids],
    )
    shown = await state.in_history(ctx.db, column_ids, [r.id for r in totals if r.status == "sent"])
    for r in totals:
        if r.id in shown:
            before = r.clicks - per_card[r.id]
            ctx.patch.change_fields("snippets", r.id, {"clicks": before}, {"clicks": r.clicks})
    return True


@dataclass
class CardClicks:
    id: int
    platform_id: int
    status: str
    body: str
    url: str | None
    finished_at: datetime | None
    clicks: int  # all time
    code: str | None  # the code of its last publish
    in_range: int = 0
    hours: dict[datetime, int] = field(default_factory=dict)


@dataclass
class Stats:
    since: datetime  # the first hour counted
    until: datetime  # the end of the last hour counted
    hours: dict[datetime, int]  # every hour of the range, zeros included
    cards: list[CardClicks]
    more_cards: int  # left out beyond MAX_CARDS
    referrers: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(self.hours.values())


_SCOPE = "($3::int IS NULL OR s.platform_id = $3) AND p.deleted_at IS NULL"
_PER_CARD_HOUR = (
    "SELECT c.snippet_id, c.hour, sum(c.count)::int8 AS n FROM clicks c"
    " JOIN snippets s ON s.id = c.snippet_id JOIN platforms p ON p.id = s.platform_id"
    f" WHERE c.hour >= $1 AND c.hour < $2 AND {_SCOPE} GROUP BY 1, 2"
)
_REFERRERS = (
    "SELECT c.referrer, sum(c.count)::int8 AS n FROM clicks c"
    " JOIN snippets s ON s.id = c.snippet_id JOIN platforms p ON p.id = s.platform_id"
    f" WHERE c.hour >= $1 AND c.hour < $2 AND {_SCOPE} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $4"
)
# The cards clicked in the range, and the tracked cards sent in it (clicked or not yet).
_CARDS = (
    "SELECT s.id, s.platform_id, s.status, s.body, s.url, s.finished_at, s.clicks,"
    " (SELECT code FROM links l WHERE l.snippet_id = s.id ORDER BY l.created_at DESC LIMIT 1)"
    " AS code FROM snippets s JOIN platforms p ON p.id = s.platform_id"
    f" WHERE {_SCOPE} AND (s.id = ANY($4::int[]) OR (s.clicks IS NOT NULL"
    " AND s.status = 'sent' AND s.finished_at >= $1 AND s.finished_at < $2))"
)


async def stats(db: Db, platform_id: int | None, since: datetime, now: datetime) -> Stats:
    """Clicks per hour from the hour of ``since`` to the hour of ``now``, per card and in all,
    for one column (or every column: None)."""
    first, until = hour_of(since), hour_of(now) + HOUR
    hours: dict[datetime, int] = {}
    moment = first
    while moment < until:
        hours[moment] = 0
        moment += HOUR
    per_card_hour = await fetch(db, _PER_CARD_HOUR, first, until, platform_id)
    clicked = sorted({r.snippet_id for r in per_card_hour})
    cards = {
        r.id: CardClicks(
            r.id, r.platform_id, r.status, r.body, r.url, r.finished_at, r.clicks or 0, r.code
        )
        for r in await fetch(db, _CARDS, first, until, platform_id, clicked)
    }
    for r in per_card_hour:
        hours[r.hour] = hours.get(r.hour, 0) + r.n
        card = cards.get(r.snippet_id)
        if card is not None:
            card.hours[r.hour] = r.n
            card.in_range += r.n
    ranked = sorted(
        cards.values(),
        key=lambda c: (-c.in_range, -(c.finished_at or first).timestamp(), -c.id),
    )
    referrers = await fetch(db, _REFERRERS, first, until, platform_id, MAX_REFERRERS)
    return Stats(
        since=first,
        until=until,
        hours=hours,
        cards=ranked[:MAX_CARDS],
        more_cards=max(0, len(ranked) - MAX_CARDS),
        referrers=[(r.referrer, r.n) for r in referrers],
    )


async def export_rows(db: Db, platform_id: int | None, since: datetime, now: datetime) -> list[Row]:
    """Every stored count in the range, one row per card, hour and referrer, oldest first."""
    return await fetch(
        db,
        "SELECT c.hour, s.platform_id, p.name AS platform_name, c.snippet_id, s.body, s.url,"
        " c.referrer, c.count FROM clicks c JOIN snippets s ON s.id = c.snippet_id"
        f" JOIN platforms p ON p.id = s.platform_id WHERE c.hour >= $1 AND c.hour < $2 AND {_SCOPE}"
        " ORDER BY c.hour, c.snippet_id, c.referrer",
        hour_of(since),
        hour_of(now) + HOUR,
        platform_id,
    )


def card_state(card: CardClicks) -> dict[str, Any]:
    """A card of the stats as JSON (without its link, which the caller knows how to spell)."""
    return {
        "id": card.id,
        "platform_id": card.platform_id,
        "status": card.status,
        "body": card.body,
        "url": card.url,
        "finished_at": rows.iso(card.finished_at),
        "clicks": card.clicks,
        "clicks_in_range": card.in_range,
        "hours": [{"hour": rows.iso(h), "clicks": n} for h, n in sorted(card.hours.items())],
    }

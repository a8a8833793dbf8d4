"""Full-text search over materials: Russian and English word forms, the last word as a prefix.

The stored ``materials.search`` vector (migration 0002) holds each word twice: stemmed by
the 'russian' configuration (which stems Latin words with the English stemmer) and whole,
lowercased, by 'simple'. A query word matches either form, so «выборы» finds «выборов»
through the stem and a half-typed "electi" finds "elections" as a prefix of the whole word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from board.db import Db, Row, fetch

# Letters and digits only: everything else is a separator, and nothing reaches to_tsquery
# that its syntax could read as an operator.
_WORD = re.compile(r"[^\W_]+")
# Enough for any real query; keeps the SQL (one pair of to_tsquery calls per word) small.
MAX_WORDS = 8
MAX_WORD = 60
# A one-letter prefix matches a large share of all words and tells nothing: as the editor
# starts typing, the newest materials are the better answer.
MIN_PREFIX = 2
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_OFFSET = 1000


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]  # matched as whole words (any form)
    prefix: str | None  # the word being typed, matched as a prefix

    @property
    def empty(self) -> bool:
        return not self.words and self.prefix is None


def parse(q: str) -> Query:
    """Split what the editor typed; the last word is a prefix unless a space follows it."""
    words = [w.lower().replace("ё", "е")[:MAX_WORD] for w in _WORD.findall(q)][:MAX_WORDS]
    typing = bool(words) and not q[-1:].isspace() and bool(_WORD.search(q[-1:]))
    prefix = words.pop() if typing else None
    if prefix is not None and len(prefix) < MIN_PREFIX:
        prefix = None
    return Query(tuple(words), prefix)


class Params(list[Any]):
    """Positional parameters of one statement, numbered as they are added."""

    def add(self, value: Any) -> str:
        self.append(value)
        return f"${len(self)}"


def _tsquery(terms: list[tuple[str, bool]], params: Params) -> str:
    """A scalar sub-select building the tsquery of ``terms`` (word, is_prefix), all of them.

    A whole word matches by its stem ('russian'), or as itself ('simple') when the stemmer
    drops it as a stop word. The typed prefix matches as a prefix of the stem or of the
    whole word ("electi" is a prefix of "elections", not of its stem "elect"); when the
    stem's prefix covers the word's it is asked alone, since each is a walk through GIN.
    Being a sub-select, it runs once per search (an InitPlan), not once per row.
    """
    columns, parts = [], []
    for i, (word, prefix) in enumerate(terms):
        w = params.add(word + (":*" if prefix else ""))
        columns.append(
            f"to_tsquery('russian', {w}::text) AS r{i}, to_tsquery('simple', {w}::text) AS s{i}"
        )
        if prefix:
            # The stem's prefix covers the word's when the word starts with the stem
            # ('выбор':* covers 'выборы':*): then one walk through the index is enough.
            parts.append(
                f"(CASE WHEN numnode(r{i}) > 0 AND starts_with(s{i}::text, left(r{i}::text, -3)) "
                f"THEN r{i} ELSE r{i} || s{i} END)"
            )
        else:
            parts.append(f"(CASE WHEN numnode(r{i}) > 0 THEN r{i} ELSE s{i} END)")
    return f"(SELECT {' && '.join(parts)} FROM (SELECT {', '.join(columns)}) AS words)"


def _terms(query: Query) -> list[tuple[str, bool]]:
    return [(w, False) for w in query.words] + ([(query.prefix, True)] if query.prefix else [])


def tsquery_sql(query: Query, params: Params) -> str:
    """SQL for the query's tsquery (every word, the prefix too), its values added to ``params``."""
    return _tsquery(_terms(query), params)


# Checking the prefix on a row costs about four times what GIN spends per row when it lists
# the rows of the words a prefix matches (measured: ~1.2 µs against ~0.3 µs).
FILTER_COST = 4


async def gin_conditions(db: Db, query: Query, params: Params) -> list[str]:
    """WHERE clauses for the GIN pass, chosen from how often each part matched lately.

    Beside whole words, the typed prefix is either intersected in GIN, which first lists
    every row of every word it matches ("мос" → москва, мост, мосты…), or checked on each
    row of the words (ts_match_vq: the @@ that the index cannot see). The newest materials
    tell which list is shorter; run this before bitmap-only mode (it reads the newest).
    """
    if query.words and query.prefix is not None:
        counting = Params()
        words = _tsquery([(w, False) for w in query.words], counting)
        prefix = _tsquery([(query.prefix, True)], counting)
        window = counting.add(RECENT_WINDOW)
        hits = await db.fetchrow(
            f"SELECT count(*) FILTER (WHERE search @@ {words}), "
            f"count(*) FILTER (WHERE search @@ {prefix}) FROM (SELECT search FROM materials "
            f"ORDER BY sort_at DESC, id DESC LIMIT {window}) AS recent",
            *counting,
        )
        assert hits is not None, "an aggregate always returns a row"
        word_hits, prefix_hits = hits
        if word_hits * FILTER_COST <= prefix_hits:
            return [
                f"search @@ {_tsquery([(w, False) for w in query.words], params)}",
                f"ts_match_vq(search, {_tsquery([(query.prefix, True)], params)})",
            ]
    return [f"search @@ {_tsquery(_terms(query), params)}"]


COLUMNS = (
    "id, external_id, url, title, lead, social_text, section, tags, image_url, video_url, "
    "published_at, feed_id, created_at, updated_at, sort_at"
)


# How many of the newest materials the first pass looks through (see search()).
RECENT_WINDOW = 1000


def _sql(where: list[str], params: Params, limit: int, offset: int, *, window: bool) -> str:
    source = (
        f"(SELECT {COLUMNS}, search FROM materials ORDER BY sort_at DESC, id DESC "
        f"LIMIT {params.add(RECENT_WINDOW)}) AS materials"
        if window
        else "materials"
    )
    return (
        f"SELECT {COLUMNS} FROM {source}"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + f" ORDER BY sort_at DESC, id DESC LIMIT {params.add(limit)} OFFSET {params.add(offset)}"
    )


async def search(
    db: Db,
    q: str,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    section: str | None = None,
) -> list[Row]:
    """Materials matching ``q``, newest first; an empty query lists the newest ones. Run it in
    a transaction (the second pass sets planner options for itself alone).

    The planner cannot know how many rows a tsquery matches (a prefix least of all), and the
    two good plans differ by a hundredfold: a common word wants the newest-first index with a
    filter, a rare one the GIN index and a sort. So the search asks in two passes. The first
    looks through the newest RECENT_WINDOW materials only; if it fills the page, those are
    the newest matches of all (everything outside the window is older). Otherwise the word is
    rare, and the second pass takes every match from the GIN index (few by now) and sorts.
    """
    query = parse(q)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, min(offset, MAX_OFFSET))

    def base() -> tuple[list[str], Params]:
        params = Params()
        return ([f"section = {params.add(section)}"] if section else []), params

    if query.empty:
        where, params = base()
        return await fetch(db, _sql(where, params, limit, offset, window=False), *params)
    if limit + offset <= RECENT_WINDOW:
        where, params = base()
        where.append(f"search @@ {tsquery_sql(query, params)}")
        found = await fetch(db, _sql(where, params, limit, offset, window=True), *params)
        if len(found) == limit:
            return found
    where, params = base()
    where += await gin_conditions(db, query, params)
    await _bitmap_only(db, True)
    found = await fetch(db, _sql(where, params, limit, offset, window=False), *params)
    await _bitmap_only(db, False)
    return found


async def _bitmap_only(db: Db, on: bool) -> None:
    """Only bitmap scans: the GIN index, whatever the planner guesses about the words."""
    value = "off" if on else "on"
    await db.execute(f"SET LOCAL enable_indexscan = {value}; SET LOCAL enable_seqscan = {value}")


async def explain(db: Db, q: str) -> tuple[str, str]:
    """EXPLAIN of both passes of a search (for tests and the bench): neither may be a scan."""
    query = parse(q)
    params = Params()
    recent = await db.fetch(
        "EXPLAIN "
        + _sql([f"search @@ {tsquery_sql(query, params)}"], params, DEFAULT_LIMIT, 0, window=True),
        *params,
    )
    params = Params()
    conditions = await gin_conditions(db, query, params)
    await _bitmap_only(db, True)
    rare = await db.fetch(
        "EXPLAIN " + _sql(conditions, params, DEFAULT_LIMIT, 0, window=False), *params
    )
    await _bitmap_only(db, False)
    return "\n".join(r[0] for r in recent), "\n".join(r[0] for r in rare)

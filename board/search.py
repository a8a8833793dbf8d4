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

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection

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


def tsquery_sql(query: Query) -> tuple[str, dict[str, str]]:
    """SQL for a tsquery: every word in one of its forms (AND), each bound as a parameter."""
    parts = []
    params: dict[str, str] = {}
    terms = [(w, "") for w in query.words]
    if query.prefix is not None:
        terms.append((query.prefix, ":*"))
    for i, (word, suffix) in enumerate(terms):
        params[f"w{i}"] = word + suffix
        parts.append(f"(to_tsquery('russian', :w{i}) || to_tsquery('simple', :w{i}))")
    return " && ".join(parts), params


COLUMNS = (
    "id, external_id, url, title, lead, social_text, section, tags, image_url, video_url, "
    "published_at, feed_id, created_at, updated_at, sort_at"
)


async def search(
    conn: AsyncConnection, q: str, *, limit: int = DEFAULT_LIMIT, offset: int = 0,
    section: str | None = None,
) -> list[Row[Any]]:
    """Materials matching ``q``, newest first; an empty query lists the newest ones."""
    query = parse(q)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, min(offset, MAX_OFFSET))
    where = []
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if not query.empty:
        sql, words = tsquery_sql(query)
        where.append(f"search @@ ({sql})")
        params.update(words)
    if section:
        where.append("section = :section")
        params["section"] = section
    # Prepared statements turn generic after a few runs, and a generic plan cannot see how
    # many rows a tsquery matches: a rare word wants the GIN index, a common prefix wants
    # the newest-first index with a filter. A custom plan per query picks right each time.
    await conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    sql = (
        f"SELECT {COLUMNS} FROM materials"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + " ORDER BY sort_at DESC, id DESC LIMIT :limit OFFSET :offset"
    )
    return list(await conn.execute(text(sql), params))


async def explain(conn: AsyncConnection, q: str) -> str:
    """The plan of a search, for tests and the bench: it must use an index, not a scan."""
    query = parse(q)
    sql, params = tsquery_sql(query)
    plan = await conn.execute(
        text(
            f"EXPLAIN SELECT {COLUMNS} FROM materials WHERE search @@ ({sql}) "
            "ORDER BY sort_at DESC, id DESC LIMIT 20"
        ),
        params,
    )
    return "\n".join(row[0] for row in plan)

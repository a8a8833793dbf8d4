"""Material search on real PostgreSQL: word forms in Russian and English, prefixes, order, plans."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from bench.search import fill
from board import search
from tests import db
from tests.support import Client, make_token, make_user

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
ROWS = [
    # (external_id, title, lead, minutes ago or None for no publish time)
    ("ru-1", "Итоги выборов в регионах", "Подсчёт голосов завершён", 10),
    ("ru-2", "Выборы губернатора назначены", None, 20),
    ("ru-3", "Ёлка на главной площади", "Праздник в Москве", 30),
    ("en-1", "Elections in Ohio: the results", "Turnout was high", 40),
    ("en-2", "Election day weather", "Storms expected", 50),
    ("mix", "Погода: снегопад", "Heavy snow in Moscow", None),
]


async def insert(
    conn: asyncpg.Connection, rows: list[tuple[str, str, str | None, int | None]]
) -> None:
    for external_id, title, lead, ago in rows:
        await conn.execute(
            "INSERT INTO materials (external_id, url, title, lead, published_at, created_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            external_id,
            f"https://news.example/{external_id}",
            title,
            lead,
            NOW - timedelta(minutes=ago) if ago is not None else None,
            NOW - timedelta(minutes=5),
        )


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    async with db.connect(database_url) as connection:
        await insert(connection, ROWS)
        yield connection


async def ids(conn: asyncpg.Connection, q: str, **kwargs: Any) -> list[str]:
    async with conn.transaction():
        return [r.external_id for r in await search.search(conn, q, **kwargs)]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("выборы", ["ru-1", "ru-2"]),
        ("выборах", ["ru-1", "ru-2"]),
        ("губернатору ", ["ru-2"]),
        ("election", ["en-1", "en-2"]),
        ("elections ", ["en-1", "en-2"]),
        ("electi", ["en-1", "en-2"]),
        ("выбо", ["ru-1", "ru-2"]),
        ("итоги выб", ["ru-1"]),
        ("елка", ["ru-3"]),
        ("ёлки", ["ru-3"]),
        ("москв", ["ru-3"]),
        ("moscow snow", ["mix"]),
        ("storm", ["en-2"]),
        ("выборы ohio", []),
    ],
)
async def test_word_forms_and_prefixes(
    conn: asyncpg.Connection, q: str, expected: list[str]
) -> None:
    """A word finds its other forms, the word being typed matches as a prefix, all words must match."""
    assert await ids(conn, q) == expected


async def test_newest_first_and_listing(conn: asyncpg.Connection) -> None:
    """An empty query lists the newest; a material without a publish time sorts by when it came."""
    assert await ids(conn, "") == ["mix", "ru-1", "ru-2", "ru-3", "en-1", "en-2"]
    assert await ids(conn, "", limit=2, offset=1) == ["ru-1", "ru-2"]


async def test_odd_input_is_harmless(conn: asyncpg.Connection) -> None:
    """Operators, quotes and stop words are only separators or words, never tsquery syntax."""
    for q in ("!!! & | :* ( ')", "'; DROP TABLE materials; --", "the", "и", "a", "   "):
        await ids(conn, q)
    assert await ids(conn, "выборы & !губернатора") == ["ru-2"]


async def test_both_passes_agree_with_a_full_sort(
    conn: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a tiny recent window, the first pass (enough recent hits) and the second (GIN) give the true order."""
    await insert(conn, [(f"bulk-{i}", f"Выборы номер {i}", None, 100 + i) for i in range(30)])
    expected = await ids(conn, "выборы", limit=25)
    monkeypatch.setattr(search, "RECENT_WINDOW", 4)
    assert await ids(conn, "выборы", limit=3) == expected[:3]  # filled from the window
    assert await ids(conn, "выборы", limit=25) == expected  # the window falls short: GIN
    assert await ids(conn, "ohio") == ["en-1"]


async def test_prefix_beside_words_takes_the_cheaper_plan(conn: asyncpg.Connection) -> None:
    """A rare word with a common prefix filters the word's rows; a common word with a rare prefix goes to GIN."""
    await insert(conn, [(f"bulk-{i}", f"Выборы номер {i}", None, 100 + i) for i in range(30)])
    async with conn.transaction():
        filtered = await search.gin_conditions(conn, search.parse("итоги выбо"), search.Params())
        intersected = await search.gin_conditions(conn, search.parse("выборы ohi"), search.Params())
    assert len(filtered) == 2 and "ts_match_vq" in filtered[1] and len(intersected) == 1
    assert await ids(conn, "итоги выбо") == ["ru-1"]
    assert await ids(conn, "выборы ohi") == []
    assert await ids(conn, "номер 2 ") == ["bulk-2"]  # typed on: "2" is a whole word


async def test_search_op_and_http(server: Any, admin: Client) -> None:
    """materials.search answers result.items; GET /api/materials?q= answers the same, newest first."""
    async with db.connect(server.database_url) as connection:
        await insert(connection, ROWS)
    result = await admin.ok("materials.search", {"q": "выборы"})
    assert [m["external_id"] for m in result["items"]] == ["ru-1", "ru-2"]
    assert result["items"][0]["title"] == "Итоги выборов в регионах"
    token = await make_token(server.database_url, await make_user(server.database_url, "viewer"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get(
            "/api/materials", params={"q": "electi"}, headers={"Authorization": f"Bearer {token}"}
        )
    assert [m["external_id"] for m in response.json()["items"]] == ["en-1", "en-2"]
    assert await admin.fails("materials.search", {"q": 5}) == "bad_request"


@pytest.fixture(scope="module")
def big_db(pg_server: str, template_db: str) -> Iterator[str]:
    """One database with 100,000 materials, shared read-only by the plan tests of this module."""
    name = db.unique_name("metronome_search")

    async def setup() -> None:
        await db.create_database(pg_server, name, template=template_db)
        async with (
            db.connect(db.with_database(pg_server, name)) as connection,
            connection.transaction(),
        ):
            await fill(connection, 100_000, short=True)

    asyncio.run(setup())
    yield db.asyncpg_url(db.with_database(pg_server, name))
    asyncio.run(db.drop_database(pg_server, name))


@pytest.mark.slow
@pytest.mark.parametrize("q", ["землетрясения", "earthq", "выборы губерн"])
async def test_plans_use_indexes_on_100k(big_db: str, q: str) -> None:
    """On 100,000 materials neither pass scans the table: newest-first index, then the GIN index."""
    async with db.connect(big_db) as connection, connection.transaction():
        assert await connection.fetchval("SELECT count(*) FROM materials") >= 100_000
        recent, rare = await search.explain(connection, q)
        found = await search.search(connection, q)
    assert "Index Scan using materials_recent" in recent and "Seq Scan" not in recent
    assert "Bitmap Index Scan on materials_search" in rare and "Seq Scan" not in rare
    assert found

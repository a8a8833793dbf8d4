"""The ``media`` table (board/tables.py holds its schema): SQL on an asyncpg connection.

A row names stored bytes: ``backend`` and ``key`` say where, ``sha256`` makes them unique.
"""

from __future__ import annotations

from board.db import Db, Row, fetchrow

COLUMNS = (
    "id, kind, content_type, filename, size, sha256, backend, key, source_url, user_id, created_at"
)


async def by_id(db: Db, media_id: int) -> Row | None:
    return await fetchrow(db, f"SELECT {COLUMNS} FROM media WHERE id = $1", media_id)


async def by_sha256(db: Db, sha256: str) -> Row | None:
    return await fetchrow(db, f"SELECT {COLUMNS} FROM media WHERE sha256 = $1", sha256)


async def by_source_url(db: Db, url: str) -> Row | None:
    """The latest copy downloaded from ``url`` (a material's image or video)."""
    sql = f"SELECT {COLUMNS} FROM media WHERE source_url = $1 ORDER BY id DESC LIMIT 1"
    return await fetchrow(db, sql, url)


async def insert(
    db: Db,
    *,
    kind: str,
    content_type: str,
    filename: str,
    size: int,
    sha256: str,
    backend: str,
    key: str,
    source_url: str | None,
    user_id: int | None,
) -> Row | None:
    """The new row, or None when a row with these bytes exists already (a concurrent upload)."""
    sql = f"""INSERT INTO media (kind, content_type, filename, size, sha256, backend, key, source_url, user_id)
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
              ON CONFLICT (sha256) DO NOTHING RETURNING {COLUMNS}"""
    return await fetchrow(
        db, sql, kind, content_type, filename, size, sha256, backend, key, source_url, user_id
    )


async def set_source_url(db: Db, media_id: int, url: str) -> None:
    await db.execute("UPDATE media SET source_url = $1 WHERE id = $2", url, media_id)

"""Tracked links (CONTRACT §11): a short code per card and where it leads.

A code is made when a card of a tracking column is taken to publish, in the same unit of
work that marks it `sending`, so the link exists before the post that carries it. A code
never changes its target: a card sent again with another URL gets a new code, and the post
that went out with the old one still leads where it led.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from board.db import Db, fetchrow

# 62 letters and digits; 8 of them are 47.6 bits: a million links leave a guess one chance
# in 200 million, so enumerating them costs a visible flood of 404s.
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
CODE_LENGTH = 8
# What a code may look like in a URL (older or longer codes included): anything else is
# unknown without asking the database.
CODE_SHAPE = re.compile(r"[A-Za-z0-9]{6,16}")


@dataclass(frozen=True)
class Link:
    code: str
    snippet_id: int
    target: str


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def well_formed(code: str) -> bool:
    return CODE_SHAPE.fullmatch(code) is not None


async def attach(db: Db, snippet_id: int, target: str) -> str:
    """The card's code for ``target``: the one it has, else a new one. Its click count starts
    at 0 (it is tracked from now on)."""
    existing = await db.fetchval(
        "SELECT code FROM links WHERE snippet_id = $1 AND target = $2"
        " ORDER BY created_at DESC LIMIT 1",
        snippet_id,
        target,
    )
    code: str | None = existing
    while code is None:
        # A clash with another card's code is a one in 10^14 event; then draw again.
        code = await db.fetchval(
            "INSERT INTO links (code, snippet_id, target) VALUES ($1, $2, $3)"
            " ON CONFLICT (code) DO NOTHING RETURNING code",
            new_code(),
            snippet_id,
            target,
        )
    await db.execute("UPDATE snippets SET clicks = 0 WHERE id = $1 AND clicks IS NULL", snippet_id)
    return code


async def resolve(db: Db, code: str) -> Link | None:
    """Where a code leads, or None when there is no such code."""
    if not well_formed(code):
        return None
    row = await fetchrow(db, "SELECT code, snippet_id, target FROM links WHERE code = $1", code)
    return Link(row.code, row.snippet_id, row.target) if row is not None else None

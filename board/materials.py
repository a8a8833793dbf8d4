"""Materials from the CMS and feeds: checking a payload, upserting, and what follows a change.

A change to a material reaches every board as a patch of the state's ``materials`` key, and
pending cards that still carry the material's old link follow it to the new one (their text
is the editor's and stays).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from board import duplicates, ordering, rows, search
from board.args import INT4_MAX, Args, check_tree, parse_time
from board.context import Ctx
from board.db import Db, Row, fetch, fetchrow, set_clause
from board.errors import BadRequest
from board.search import COLUMNS

if TYPE_CHECKING:
    from board.commands import Call

# Generous bounds: a CMS sends articles' metadata, never their full text.
LIMITS = {"external_id": 200, "title": 1000, "lead": 5000, "social_text": 10_000, "section": 200}
MAX_TAGS = 50
MAX_TAG = 100
MAX_URL = 4096
TEXT_FIELDS = ("title", "lead", "social_text", "section")
URL_FIELDS = ("url", "image_url", "video_url")
FIELDS = {"external_id", *TEXT_FIELDS, *URL_FIELDS, "tags", "published_at", "drafts_platform_id"}
# The materials the full state carries: the panel's list before anything is typed.
RECENT = 30


class Invalid(ValueError):
    """A material payload field is not what the API expects."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.reason = message


@dataclass(frozen=True)
class MaterialInput:
    external_id: str
    values: dict[str, Any]  # only the fields the payload named
    drafts_platform_id: int | None = None


def _url(name: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_URL:
        raise Invalid(name, f"expected an http(s) URL of at most {MAX_URL} characters")
    url: str = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in url:
        raise Invalid(name, f"expected an http(s) URL, got {url[:80]!r}")
    return url


def _time(name: str, value: Any) -> datetime:
    # board/args.py's one reading of times: a zone required, UTC out, a year 1 at +14:00 (or
    # 9999 at -14:00) refused instead of overflowing on its way to the database.
    try:
        return parse_time(value, name, "materials")
    except BadRequest as exc:
        raise Invalid(name, exc.message.partition(": ")[2]) from None


def parse(payload: Any, *, partial: bool = True) -> MaterialInput:
    """Check one payload; ``partial``: url and title may be left out (checked on insert)."""
    if not isinstance(payload, Mapping):
        raise Invalid("body", "expected a JSON object")
    try:
        check_tree(dict(payload), "materials")  # NUL, lone surrogates, nesting: named
    except BadRequest as exc:
        raise Invalid(exc.field or "body", exc.message.partition(": ")[2]) from None
    unknown = sorted(set(payload) - FIELDS)
    if unknown:
        raise Invalid(unknown[0], f"unknown field (expected some of {', '.join(sorted(FIELDS))})")
    external_id = payload.get("external_id")
    if isinstance(external_id, int) and not isinstance(external_id, bool):
        external_id = str(external_id)
    if not isinstance(external_id, str) or not external_id.strip():
        raise Invalid("external_id", "expected a non-empty string (the CMS's id)")
    if len(external_id) > LIMITS["external_id"]:
        raise Invalid("external_id", f"longer than {LIMITS['external_id']} characters")
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name not in payload:
            continue
        value = payload[name]
        if value is None and name != "title":
            values[name] = None
            continue
        if not isinstance(value, str):
            raise Invalid(name, "expected a string" + ("" if name == "title" else " or null"))
        if len(value) > LIMITS[name]:
            raise Invalid(name, f"longer than {LIMITS[name]} characters")
        if name == "title" and not value.strip():
            raise Invalid(name, "must not be empty")
        values[name] = value.strip() or None
    for name in URL_FIELDS:
        if name in payload:
            value = payload[name]
            if value is None and name != "url":
                values[name] = None
            else:
                values[name] = _url(name, value)
    if "tags" in payload:
        tags = payload["tags"]
        if tags is None:
            tags = []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise Invalid("tags", "expected a list of strings")
        if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG for t in tags):
            raise Invalid("tags", f"expected at most {MAX_TAGS} tags of {MAX_TAG} characters")
        values["tags"] = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    if "published_at" in payload:
        raw = payload["published_at"]
        values["published_at"] = None if raw is None else _time("published_at", raw)
    drafts = payload.get("drafts_platform_id")
    if drafts is not None and (
        isinstance(drafts, bool) or not isinstance(drafts, int) or not 1 <= drafts <= INT4_MAX
    ):
        raise Invalid("drafts_platform_id", "expected the id of a drafts column, or null")
    item = MaterialInput(external_id.strip(), values, drafts)
    if not partial:
        require_new(item)
    return item


def require_new(item: MaterialInput) -> None:
    """A new material needs a link and a title; an update may name only what changed."""
    for name in ("url", "title"):
        if not item.values.get(name):
            raise Invalid(name, "required for a new material")


def material_state(row: Any) -> dict[str, Any]:
    """A material as the state and search results show it."""
    m = row
    return {
        "id": m["id"],
        "external_id": m["external_id"],
        "url": m["url"],
        "title": m["title"],
        "lead": m["lead"],
        "social_text": m["social_text"],
        "section": m["section"],
        "tags": list(m["tags"] or []),
        "image_url": m["image_url"],
        "video_url": m["video_url"],
        "published_at": rows.iso(m["published_at"]),
        "feed_id": m["feed_id"],
        "updated_at": rows.iso(m["updated_at"]),
    }


def compact(item: dict[str, Any]) -> dict[str, Any]:
    """Absent means null in the state (CONTRACT §3)."""
    return {k: v for k, v in item.items() if v is not None}


async def recent_state(db: Db) -> dict[str, Any]:
    """The newest materials, keyed by id, for the full state."""
    found = await db.fetch(
        f"SELECT {COLUMNS} FROM materials ORDER BY sort_at DESC, id DESC LIMIT $1", RECENT
    )
    return {str(r["id"]): compact(material_state(r)) for r in found}


@dataclass(frozen=True)
class Upserted:
    id: int
    created: bool
    changed: list[str]  # the fields that changed (all given ones for a new material)
    followed: list[int]  # cards that moved to the material's new link


async def upsert(ctx: Ctx, item: MaterialInput, *, feed_id: int | None = None) -> Upserted:
    """Insert or update by external_id; records the patch and moves linked cards' links."""
    for _ in range(3):
        old = await fetchrow(
            ctx.db, "SELECT * FROM materials WHERE external_id = $1 FOR UPDATE", item.external_id
        )
        if old is not None:
            return await _update(ctx, old, item)
        require_new(item)
        values = {
            **item.values,
            "external_id": item.external_id,
            "feed_id": feed_id,
            "created_at": ctx.now,
            "updated_at": ctx.now,
        }
        # Two CMS calls for one new material may race: the loser reads the winner's row.
        names = ", ".join(values)
        places = ", ".join(f"${i}" for i in range(1, len(values) + 1))
        new_id = await ctx.db.fetchval(
            f"INSERT INTO materials ({names}) VALUES ({places}) ON CONFLICT (external_id) DO NOTHING RETURNING id",
            *values.values(),
        )
        if new_id is not None:
            new = await _row(ctx.db, new_id)
            ctx.patch.change("materials", new_id, None, compact(material_state(new)))
            return Upserted(new_id, True, sorted(item.values), [])
    raise BadRequest(f"material {item.external_id!r} keeps changing; try again")


async def _row(db: Db, material_id: int) -> Row:
    row = await fetchrow(db, "SELECT * FROM materials WHERE id = $1", material_id)
    assert row is not None, "read in the transaction that wrote it"
    return row


async def _update(ctx: Ctx, old: Row, item: MaterialInput) -> Upserted:
    changes = {k: v for k, v in item.values.items() if old[k] != v}
    if not changes:
        return Upserted(old.id, False, [], [])
    sets, params = set_clause({**changes, "updated_at": ctx.now}, 2)
    await ctx.db.execute(f"UPDATE materials SET {sets} WHERE id = $1", old.id, *params)
    new = await _row(ctx.db, old.id)
    ctx.patch.change(
        "materials", old.id, compact(material_state(old)), compact(material_state(new))
    )
    followed: list[int] = []
    if "url" in changes:
        followed = await _follow_url(ctx, old.id, old.url, new.url)
    return Upserted(old.id, False, sorted(changes), followed)


async def _follow_url(ctx: Ctx, material_id: int, old_url: str, new_url: str) -> list[int]:
    """Pending cards still carrying the material's old link take the new one.

    A card whose link an editor changed by hand keeps it: that link is the editor's choice.
    """
    ids = [
        r["id"]
        for r in await ctx.db.fetch(
            "SELECT id FROM snippets WHERE material_id = $1 AND status = 'pending' AND url = $2"
            " ORDER BY id FOR UPDATE",  # one lock order for every writer: no deadlocks
            material_id,
            old_url,
        )
    ]
    if not ids:
        return []
    before = await rows.snippet_rows(ctx.db, ids)
    # The version moves, so an editor saving a stale copy hears that the card changed.
    await ctx.db.execute(
        "UPDATE snippets SET url = $2, version = version + 1, updated_at = $3 WHERE id = ANY($1::int[])",
        ids,
        new_url,
        ctx.now,
    )
    await ctx.snippets_changed(before)
    return ids


async def drop_into_drafts(ctx: Ctx, platform_id: int, material_ids: Sequence[int]) -> list[int]:
    """New cards for these materials on top of a drafts column, the last one topmost."""
    if not material_ids:
        return []
    column = (await rows.lock_platforms(ctx.db, [platform_id]))[platform_id]
    if column.kind != "drafts":
        raise BadRequest(f"column {platform_id} is a {column.kind} column, not a drafts inbox")
    queue = await rows.queue(ctx.db, platform_id)
    top = queue[0].ord if queue else None
    found = {
        r.id: r
        for r in await fetch(
            ctx.db, "SELECT * FROM materials WHERE id = ANY($1::int[])", list(material_ids)
        )
    }
    new_ids = []
    for material_id in material_ids:
        material = found.get(material_id)
        if material is None:
            continue
        top = ordering.between(None, top)
        # No person wrote it: it waits for an editor's approval (board/approval.py).
        new_id = await ctx.db.fetchval(
            "INSERT INTO snippets (platform_id, ord, kind, body, url, material_id, created_at,"
            " updated_at, approval) VALUES ($1, $2, 'post', $3, $4, $5, $6, $6, 'pending')"
            " RETURNING id",
            platform_id,
            top,
            material.social_text or material.title,
            material.url,
            material_id,
            ctx.now,
        )
        await duplicates.check(ctx, new_id)
        new_ids.append(new_id)
    await ctx.snippets_changed({}, new_ids)
    await ctx.reschedule(platform_id)
    return new_ids


async def search_op(call: Call, args: Args) -> dict[str, Any]:
    """``materials.search``: a read, run outside any unit of work (nothing to record)."""
    q = args.str("q", required=False, nullable=True, max_len=500) or ""
    limit = args.int("limit", required=False, minimum=1) or search.DEFAULT_LIMIT
    offset = args.int("offset", required=False, minimum=0) or 0
    section = args.str("section", required=False, nullable=True, max_len=200)
    async with call.read() as db:
        found = await search.search(db, q, limit=limit, offset=offset, section=section)
    return {"items": [compact(material_state(r)) for r in found]}

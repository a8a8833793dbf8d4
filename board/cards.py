"""Commands on cards: create, update, move, delete, restore, and interval markers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from board import approval, attachments, duplicates, expiry, notify, ordering, rows
from board.args import Args
from board.context import Actor, Ctx, Event
from board.db import Database, fetchrow, set_clause
from board.errors import BadRequest, Conflict, NotFound
from board.unit import event_cte

_TOP = object()
_END = object()

# A card's text: longer than any network takes, short enough to keep frames small.
MAX_BODY = 10_000


def _anchor(args: Args) -> Any:
    """Where a new or moved card goes: _TOP, _END, ("after", id) or ("before", id)."""
    if args.has("after_id") and args.has("before_id"):
        raise BadRequest(f"{args.op}: give after_id or before_id, not both", field="before_id")
    if args.has("after_id"):
        after = args.int("after_id", nullable=True)
        return _TOP if after is None else ("after", after)
    if args.has("before_id"):
        before = args.int("before_id", nullable=True)
        return _END if before is None else ("before", before)
    return _END


async def _place(ctx: Ctx, platform_id: int, moving_id: int | None, anchor: Any) -> float:
    """An ord for the slot ``anchor`` in the column's queue, renumbering it when needed."""
    queue = [(r.id, r.ord) for r in await rows.queue(ctx.db, platform_id) if r.id != moving_id]
    kwargs: dict[str, Any] = {"top": anchor is _TOP}
    if isinstance(anchor, tuple):
        kwargs[f"{anchor[0]}_id"] = anchor[1]
    try:
        before, after = ordering.neighbours(queue, **kwargs)
    except KeyError as exc:
        raise NotFound(
            f"card {exc.args[0]} is not in the pending queue of column {platform_id}"
        ) from None
    try:
        return ordering.between(before, after)
    except ordering.NeedsRenumber:
        pass
    new_ords = ordering.renumbered(len(queue))
    await ctx.db.execute(
        "UPDATE snippets AS s SET ord = v.ord"
        " FROM unnest($1::integer[], $2::float8[]) AS v(id, ord) WHERE s.id = v.id",
        [q[0] for q in queue],
        new_ords,
    )
    for (snippet_id, old_ord), new_ord in zip(queue, new_ords, strict=True):
        if old_ord != new_ord:
            ctx.patch.change_fields("snippets", snippet_id, {"ord": old_ord}, {"ord": new_ord})
    renumbered = [(q[0], o) for q, o in zip(queue, new_ords, strict=True)]
    before, after = ordering.neighbours(renumbered, **kwargs)
    return ordering.between(before, after)


async def top_ord(ctx: Ctx, platform_id: int, moving_id: int | None) -> float:
    """An ord above every pending card of the column."""
    return await _place(ctx, platform_id, moving_id, _TOP)


async def _material(ctx: Ctx, material_id: int) -> Any:
    row = await fetchrow(
        ctx.db, "SELECT title, social_text, url FROM materials WHERE id = $1", material_id
    )
    if row is None:
        raise NotFound(f"no material with id {material_id}")
    return row


@dataclass(frozen=True)
class CardText:
    """What a new post says: its text, link, material and media."""

    body: str
    url: str | None
    material_id: int | None
    media: list[Any]


async def card_text(ctx: Ctx, args: Args) -> CardText:
    """A new card's text from ``body``, ``url``, ``material_id`` and ``media_ids``: with a
    material, a missing body and url come from it (its social_text, else its title; its url)."""
    body = args.str("body", required=False, nullable=True, max_len=MAX_BODY)
    url = args.url("url")
    material_id = args.int("material_id", required=False, nullable=True)
    if material_id is not None:
        material = await _material(ctx, material_id)
        if body is None:
            body = material.social_text or material.title
        if url is None and not args.has("url"):
            url = material.url
    attached = await attachments.from_args(ctx.db, args)  # media_ids: uploaded images/videos
    if body is None and attached:
        body = ""
    text = CardText(body or "", url, material_id, attached)
    if body is None or not says_something(text):
        raise BadRequest(f"{args.op}: a card needs a body or a url")
    return text


def says_something(text: CardText) -> bool:
    return bool(text.body.strip() or text.url or text.media)


async def insert_post(
    ctx: Ctx,
    platform_id: int,
    anchor: Any,
    text: CardText,
    *,
    expires_at: datetime | None = None,
    approval_: str = approval.APPROVED,
    meta: dict[str, Any] | None = None,
) -> int:
    """A new pending post at ``anchor`` in a locked column; the caller patches and reschedules."""
    ord_ = await _place(ctx, platform_id, None, anchor)
    placed = {platform_id: (ord_, text)}
    return (await _insert(ctx, placed, expires_at, meta or {}, approval_))[platform_id]


async def insert_on_top(
    ctx: Ctx,
    texts: Mapping[int, CardText],
    *,
    expires_at: datetime | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[int, int]:
    """A new pending post at the top of each locked column's queue (one text per column, the
    same link, material and media): two statements however many columns. Returns each
    column's new card id; the caller patches and reschedules."""
    tops = {
        r["platform_id"]: r["ord"]
        for r in await ctx.db.fetch(
            "SELECT platform_id, min(ord) AS ord FROM snippets"
            " WHERE platform_id = ANY($1::int[]) AND status = 'pending' GROUP BY platform_id",
            list(texts),
        )
    }
    placed = {pid: (ordering.between(None, tops.get(pid)), text) for pid, text in texts.items()}
    return await _insert(ctx, placed, expires_at, meta or {})


async def _insert(
    ctx: Ctx,
    placed: Mapping[int, tuple[float, CardText]],
    expires_at: datetime | None,
    meta: dict[str, Any],
    approval_: str = approval.APPROVED,
) -> dict[int, int]:
    """Insert one post per column at its ord; the link, material and media of the first text."""
    first = next(iter(placed.values()))[1]
    found = await ctx.db.fetch(
        "INSERT INTO snippets (platform_id, ord, kind, body, url, material_id, media, user_id,"
        " created_at, updated_at, expires_at, meta, approval)"
        " SELECT t.platform_id, t.ord, 'post', t.body, $4::text, $5::int, $6::jsonb, $7::int,"
        " $8::timestamptz, $8::timestamptz, $9::timestamptz, $10::jsonb, $11::text"
        " FROM unnest($1::int[], $2::float8[], $3::text[]) AS t(platform_id, ord, body)"
        " RETURNING id, platform_id",
        list(placed),
        [ord_ for ord_, _ in placed.values()],
        [text.body for _, text in placed.values()],
        first.url,
        first.material_id,
        first.media,
        ctx.actor.id or None,
        ctx.now,
        expires_at,
        meta,
        approval_,
    )
    return {r["platform_id"]: r["id"] for r in found}


async def create(ctx: Ctx, args: Args) -> dict[str, Any]:
    return await create_post(ctx, args, approval.of_new_card(ctx.actor))


async def create_post(
    ctx: Ctx, args: Args, approval_: str, meta: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A new post card from ``args`` (as ``snippet.create`` takes them), with this approval
    and meta: what an AI drafts waits, whoever asked for it (drafting/drafter.py)."""
    platform_id = args.int("platform_id")
    ctx.columns.update(await rows.lock_platforms(ctx.db, [platform_id]))
    text = await card_text(ctx, args)
    expires_at = expiry.expires_at(args, ctx.now)
    new_id = await insert_post(
        ctx,
        platform_id,
        _anchor(args),
        text,
        expires_at=expires_at,
        approval_=approval_,
        meta=meta,
    )
    warning = await duplicates.check(ctx, new_id)  # a flag and a warning, never a refusal
    await ctx.snippets_changed({}, [new_id])
    await ctx.reschedule(platform_id)
    return {"id": new_id, **warning}


async def create_marker(ctx: Ctx, args: Args) -> dict[str, Any]:
    platform_id = args.int("platform_id")
    interval_s = args.int("interval_s")
    if interval_s < ctx.config.min_interval_s:
        raise BadRequest(
            f"{args.op}: expected interval_s to be at least {ctx.config.min_interval_s} s, got {interval_s}",
            field="interval_s",
            reason="too_small",
            params={"min": ctx.config.min_interval_s},
        )
    await rows.lock_platforms(ctx.db, [platform_id])
    ord_ = await _place(ctx, platform_id, None, _anchor(args))
    new_id = await ctx.db.fetchval(
        "INSERT INTO snippets (platform_id, ord, kind, interval_s, body, user_id, created_at, updated_at)"
        " VALUES ($1, $2, 'interval', $3, '', $4, $5, $5) RETURNING id",
        platform_id,
        ord_,
        interval_s,
        ctx.actor.id,
        ctx.now,
    )
    await ctx.snippets_changed({}, [new_id])
    await ctx.reschedule(platform_id)
    return {"id": new_id}


async def _locked_card(ctx: Ctx, args: Args, *extra_platforms: int) -> Any:
    """The card named by args.id, its column(s) locked first (always in the same order)."""
    card, locked = await rows.lock_card(ctx.db, args.int("id"), extra_platforms)
    ctx.columns.update(locked)
    return card


def _editable(args: Args, card: Any, allowed: tuple[str, ...] = ("pending",)) -> None:
    if card.status == "sending":
        raise Conflict(
            f"{args.op}: card {card.id} is being published right now", reason="publishing_now"
        )
    if card.status not in allowed:
        raise Conflict(
            f"{args.op}: card {card.id} is {card.status}, not {' or '.join(allowed)}",
            reason="wrong_status",
            params={"status": card.status},
        )


async def _check_version(ctx: Ctx, args: Args, card: Any, required: bool) -> None:
    version = args.int("version", required=required)
    if version is None or version == card.version:
        return
    editor = await ctx.db.fetchval("SELECT email FROM users WHERE id = $1", card.user_id)
    raise Conflict(
        f"{args.op}: card {card.id} was changed by {editor or 'someone'} "
        f"(version {card.version}, you had {version})",
        reason="stale_version",
        params={"by": editor} if editor else None,
        version=card.version,
        user_email=editor,
        body=card.body,
        url=card.url,
    )


async def _edit(ctx: Ctx, card: Any, **values: Any) -> None:
    """Change a card as its editor (the values, a new version, who and when) and record the
    change in the patch; the new row comes back from the same statement."""
    sets, params = set_clause({**values, "updated_at": ctx.now, "user_id": ctx.actor.id}, 2)
    await _write(ctx, card, f"{sets}, version = version + 1", params)


async def _write(ctx: Ctx, card: Any, sets: str, params: list[Any]) -> None:
    """UPDATE the card (``sets`` numbered from $2) and record its change in the patch; the
    new row comes back from the same statement."""
    new = await fetchrow(
        ctx.db,
        f"WITH s AS (UPDATE snippets SET {sets} WHERE id = $1 RETURNING *)"
        " SELECT s.*, u.email AS user_email FROM s LEFT JOIN users u ON u.id = s.user_id",
        card.id,
        *params,
    )
    ctx.snippet_changed(card, new)


# The statuses an editor may edit a card's text in (and delete a card in).
TEXT_EDITABLE = ("pending", "failed", "needs_check", "expired")


def _text_values(args: Args) -> dict[str, Any]:
    """The body and link an update sets, checked."""
    values: dict[str, Any] = {}
    if args.has("body"):
        values["body"] = args.str("body", max_len=MAX_BODY)
    if args.has("url"):
        values["url"] = args.url("url")
    return values


# snippet.update fields that may move etas: the column is locked and rescheduled.
RETIMES = {"interval_s", "expires_at"}


def edits_alone(raw_args: Any) -> int | None:
    """The card a snippet.update edits on its own, or None.

    An update of a card's text, link or media changes no order or time: it locks only its
    card (``update_``), so such edits of different cards commute and one connection's may run
    side by side (ws/endpoint.py). An interval or expiry change may retime the column: it
    locks the column and runs alone."""
    if not isinstance(raw_args, dict) or RETIMES & raw_args.keys():
        return None
    card = raw_args.get("id")
    return card if isinstance(card, int) and not isinstance(card, bool) else None


# The arguments of a snippet.update that ``edit_text`` may run: a card's text and link.
TEXT_EDIT_ARGS = frozenset({"id", "version", "body", "url"})


async def edit_text(
    database: Database, actor: Actor, now: datetime, args: Args
) -> dict[str, Any] | None:
    """snippet.update of a card's text or link as the editor saw it, in one statement: lock
    the card if it is as expected (its version, an editable status, a live column), change
    it, record the event and notify, with the statement's own transaction. None, changing
    nothing, for any other update or a card that is not so: ``update_``, in a unit of work,
    then makes the change or says why it cannot.

    Why beside ``update_``: text edits are the commands editors send most, and the unit of
    work takes five round trips (begin, lock, update, record and notify, commit) where this
    takes one: 0.3 against 1.0 ms at the median here, which kept bench/fanout.py's p99 within
    1.5x of its ceiling. The patch is written here, not diffed from rows: the fields the edit
    sets (unchanged ones included, which a merge patch allows), the new version and when,
    and who edited when that changed. A patch too large for a notification, and any other
    update, take the unit of work. tests/test_text_edit.py holds both paths to the same
    rows, events and state."""
    raw = args.raw
    # Only text and link: no interval or expiry, so the edit moves no time (``edits_alone``).
    if (
        not isinstance(raw, dict)
        or not raw.keys() <= TEXT_EDIT_ARGS
        or approval.is_author(actor)  # an author's edit waits for approval again
    ):
        return None
    values = _text_values(args)  # refused here as there: the text is checked first
    try:
        snippet_id, version = args.int("id"), args.int("version")
    except BadRequest:
        return None  # refused by update_, in its order of checks
    if not values:
        return None
    sets, params = set_clause({**values, "updated_at": now, "user_id": actor.id}, 4)
    params = [snippet_id, version, list(TEXT_EDITABLE), *params]
    work = [
        "locked AS (SELECT s.id, s.user_id FROM snippets s WHERE s.id = $1 AND s.version = $2"
        " AND s.status = ANY($3::text[]) AND EXISTS (SELECT 1 FROM platforms p"
        " WHERE p.id = s.platform_id AND p.deleted_at IS NULL) FOR UPDATE OF s)",
        f"edited AS (UPDATE snippets s SET {sets}, version = s.version + 1 FROM locked"
        " WHERE s.id = locked.id RETURNING s.id)",
    ]
    # Who edited goes in the patch only when it changed, as in a patch diffed from rows.
    fields = {**values, "version": version + 1, "updated_at": rows.iso(now)}
    lean = {"snippets": {str(snippet_id): fields}}
    full = {
        "snippets": {str(snippet_id): {**fields, "user_id": actor.id, "user_email": actor.email}}
    }
    payloads = notify.encode(full, []), notify.encode(lean, [])
    if not notify.fits(payloads[0]):
        return None  # the unit of work stores a large patch in `changes`
    work.append(event_cte(actor, now, Event(args.op, raw), lean, params, source="edited"))
    params.append(actor.id)
    new_editor = f"locked.user_id IS DISTINCT FROM ${len(params)}::integer"
    source = "locked JOIN edited USING (id)"
    sql = notify.notify_either_sql(new_editor, *payloads, work, params, source)
    async with database.connect() as db:
        done = await db.fetch(sql, *params)
    return {"id": snippet_id, "version": version + 1} if done else None


async def update_(ctx: Ctx, args: Args) -> dict[str, Any]:
    values = _text_values(args)
    author = approval.is_author(ctx.actor)
    # An interval or expiry change may retime the column, and so may an author's edit (the
    # card waits again): its queue is locked as for a move.
    if edits_alone(args.raw) is None or author:
        card = await _locked_card(ctx, args)
    else:
        # Editors (and posters) working on other cards of the column do not wait.
        card = await rows.lock_card_alone(ctx.db, args.int("id"))
    _editable(args, card, TEXT_EDITABLE)
    await _check_version(ctx, args, card, required=True)
    if args.has("media_ids"):
        values["media"] = await attachments.from_args(ctx.db, args)
    if card.kind == "interval" and args.has("interval_s"):
        interval_s = args.int("interval_s")
        if interval_s < ctx.config.min_interval_s:
            raise BadRequest(
                f"{args.op}: expected interval_s to be at least {ctx.config.min_interval_s} s",
                field="interval_s",
                reason="too_small",
                params={"min": ctx.config.min_interval_s},
            )
        values["interval_s"] = interval_s
    if args.has("expires_at"):
        if card.kind != "post":
            raise BadRequest(f"{args.op}: expires_at is for post cards, not {card.kind} cards")
        values["expires_at"] = expiry.expires_at(args, ctx.now)
    if not values:
        raise BadRequest(f"{args.op}: nothing to change: give body, url, media_ids or expires_at")
    if author:
        values.update(approval.author_edit(args, card))
    await _edit(ctx, card, **values)
    if RETIMES & values.keys() or values.get("approval", card.approval) != card.approval:
        await ctx.reschedule(card.platform_id)
    new_version = card.version + 1
    return {"id": card.id, "version": new_version}


async def move(ctx: Ctx, args: Args) -> dict[str, Any]:
    target = args.int("platform_id", required=False)
    if args.has("ord") and (args.has("after_id") or args.has("before_id")):
        # Two placements in one command: refused rather than one of them silently ignored.
        raise BadRequest(
            f"{args.op}: give either ord, or after_id / before_id (the server picks the ord"
            " between the neighbours), not both",
            field="ord",
        )
    card = await _locked_card(ctx, args, *([target] if target is not None else []))
    target = card.platform_id if target is None else target
    _editable(args, card)
    await _check_version(ctx, args, card, required=False)
    if args.has("ord"):
        new_ord = args.number("ord")
    else:
        anchor = _anchor(args)
        if isinstance(anchor, tuple) and anchor[1] == card.id:
            raise BadRequest(f"{args.op}: a card cannot be placed next to itself")
        new_ord = await _place(ctx, target, card.id, anchor)
    await _edit(ctx, card, ord=new_ord, platform_id=target)
    if target != card.platform_id:
        warning = await duplicates.check(ctx, card.id)  # may flag the card: read it again
        await ctx.snippets_changed({card.id: card})
    else:
        warning = {}
    await ctx.reschedule(card.platform_id, target)
    return {
        "id": card.id,
        "ord": new_ord,
        "platform_id": target,
        "version": card.version + 1,
        **warning,
    }


async def delete(ctx: Ctx, args: Args) -> dict[str, Any]:
    card = await _locked_card(ctx, args)
    if card.status == "deleted":
        return {"id": card.id}
    _editable(args, card, TEXT_EDITABLE)
    await _edit(ctx, card, status="deleted", deleted_from=card.status, eta=None)
    await ctx.reschedule(card.platform_id)
    return {"id": card.id}


async def restore(ctx: Ctx, args: Args) -> dict[str, Any]:
    card = await _locked_card(ctx, args)
    if card.status != "deleted":
        return {"id": card.id}
    await _edit(ctx, card, status=card.deleted_from or "pending", deleted_from=None)
    await ctx.reschedule(card.platform_id)
    return {"id": card.id}


async def approve(ctx: Ctx, args: Args) -> dict[str, Any]:
    """``snippet.approve`` {id, version?} (board/approval.py): the card takes its slot.

    ``version``, when given, is the one the editor read: if the author changed the card
    since, the approval is refused (``conflict``) rather than approve text nobody has seen."""
    card = await _locked_card(ctx, args)
    if card.status == "deleted":
        raise Conflict(f"{args.op}: card {card.id} is deleted")
    await _check_version(ctx, args, card, required=False)
    if card.approval != approval.APPROVED:
        await _write(ctx, card, "approval = $2", [approval.APPROVED])
        await ctx.reschedule(card.platform_id)
    return {"id": card.id, "approval": approval.APPROVED, "version": card.version}

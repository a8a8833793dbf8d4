"""Commands on columns: create, update, pause, resume, clear, restore, delete."""

from __future__ import annotations

from typing import Any

from board import rhythm, rows, watching
from board.args import Args
from board.context import BoardConfig, Ctx
from board.db import set_clause
from board.errors import BadRequest, Conflict, Forbidden


async def check_settings(
    config: BoardConfig, op: str, kind: str, settings: dict[str, Any], secrets: dict[str, Any]
) -> None:
    """A column's settings and secrets as the op ``op`` takes them (also platform.check's)."""
    utm = settings.get("utm", True)
    if not (isinstance(utm, bool) or isinstance(utm, dict)):
        raise BadRequest(
            f"{op}: expected settings.utm to be false, true or an object like "
            '{"campaign": "night"}'
        )
    if not isinstance(settings.get("track", False), bool):
        raise BadRequest(
            f"{op}: expected settings.track to be true (publish tracked links, counting"
            " clicks) or false"
        )
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in secrets.items()):
        raise BadRequest(f"{op}: expected secrets to map names to strings")
    try:
        # Whether and how often the account is watched (CONTRACT §9); the kind's own check
        # refuses `watch: true` where its network cannot list the account's posts.
        watching.check(settings)
    except ValueError as exc:
        raise BadRequest(f"{op}: {exc}") from None
    try:
        # The rhythm is the board's own (time zone, rules, quiet hours), not an adapter's.
        rhythm.parse(settings, config.min_interval_s)
    except ValueError as exc:
        raise BadRequest(f"{op}: {exc}") from None
    try:
        await config.check_settings(kind, settings, secrets)
    except ValueError as exc:
        raise BadRequest(f"{op}: {exc}") from None


def _interval(ctx: Ctx, args: Args, required: bool) -> int | None:
    value: int | None = args.int("interval_s", required=required)
    if value is not None and value < ctx.config.min_interval_s:
        raise BadRequest(
            f"{args.op}: expected interval_s to be at least {ctx.config.min_interval_s} s, got {value}",
            field="interval_s",
            reason="too_small",
            params={"min": ctx.config.min_interval_s},
        )
    return value


async def create(ctx: Ctx, args: Args) -> dict[str, Any]:
    kind = args.str("kind", max_len=32)
    name = args.str("name", max_len=200, allow_empty=False).strip()
    interval_s = _interval(ctx, args, required=kind != "drafts") or 3600
    settings = args.obj("settings", required=False) or {}
    secrets = args.obj("secrets", required=False) or {}
    await check_settings(ctx.config, args.op, kind, settings, secrets)
    # A column may start paused: fill its queue first, then let it run.
    paused = bool(args.bool("paused", required=False))
    position = args.int("position", required=False)
    if position is None:
        last = await ctx.db.fetchval("SELECT max(position) FROM platforms WHERE deleted_at IS NULL")
        position = (last or 0) + 1
    new_id = await ctx.db.fetchval(
        "INSERT INTO platforms (kind, name, interval_s, settings, position, paused, secrets)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        kind,
        name,
        interval_s,
        settings,
        position,
        paused,
        ctx.config.box.seal(secrets) if secrets else None,
    )
    await ctx.platform_changed(None, new_id)
    return {"id": new_id}


# Fields an editor may change; the rest of a column (its account) is the admin's. Of the
# settings, an editor may change the rhythm's keys (board/rhythm.py): when it posts, not where.
EDITOR_FIELDS = {"interval_s", "position", "id", "version", "settings"}


def _editor_may(old: Any, args: Args) -> bool:
    if set(args.raw) - EDITOR_FIELDS:
        return False
    if not args.has("settings"):
        return True
    given = args.raw.get("settings")
    return isinstance(given, dict) and _without_rhythm(given) == _without_rhythm(old.settings)


def _without_rhythm(settings: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (settings or {}).items() if k not in rhythm.KEYS}


def _without_watch(settings: dict[str, Any] | None) -> dict[str, Any]:
    """The settings that name the account: not when it posts, nor how often it is watched."""
    return {k: v for k, v in _without_rhythm(settings).items() if k not in watching.KEYS}


def _rhythm_changed(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    return any((old or {}).get(key) != new.get(key) for key in rhythm.KEYS)


def _override(
    ctx: Ctx, args: Args, old: Any, settings: dict[str, Any], values: dict[str, Any]
) -> None:
    """Whether the column's interval overrides its rhythm rules now, and until when."""
    if _rhythm_changed(old.settings, settings):
        values["interval_until"] = None  # a new rhythm rules from now
    # A settings save that repeats the stored interval (a column dialog sends every field) leaves
    # the rhythm alone; the interval on its own is the header's "interval now".
    if not args.has("interval_s") or (
        args.has("settings") and values["interval_s"] == old.interval_s
    ):
        return
    until = values.get("interval_until", old.interval_until)
    if values["interval_s"] != rhythm.in_force(settings, old.interval_s, until, ctx.now):
        # With rhythm rules, an interval an editor sets lasts until the next rule begins, as an
        # interval card's would from here; the one in force already changes nothing.
        values["interval_until"] = rhythm.override_until(settings, ctx.now)


async def update_(ctx: Ctx, args: Args) -> dict[str, Any]:
    platform_id = args.int("id")
    old = await rows.platform_row(ctx.db, platform_id, lock=True)
    if ctx.actor.role != "admin" and not _editor_may(old, args):
        raise Forbidden(
            f"{args.op}: only an admin may change a column's name, secrets or settings other "
            f"than {', '.join(rhythm.KEYS)}"
        )
    version = args.int("version", required=False)
    if version is not None and version != old.version:
        raise Conflict(
            f"{args.op}: column {platform_id} is at version {old.version}, not {version}",
            reason="stale_version",
        )
    values: dict[str, Any] = {}
    if args.has("name"):
        values["name"] = args.str("name", max_len=200, allow_empty=False).strip()
    if args.has("interval_s"):
        values["interval_s"] = _interval(ctx, args, required=True)
    if args.has("position"):
        values["position"] = args.int("position")
    settings = dict(old.settings)
    secrets = ctx.config.box.open(old.secrets)
    if args.has("settings"):
        settings = args.obj("settings") or {}
        values["settings"] = settings
    _override(ctx, args, old, settings, values)
    if args.has("secrets"):
        # Secrets merge key by key: the browser never has the old values to send back.
        given = args.obj("secrets") or {}
        secrets = {**secrets, **{k: v for k, v in given.items() if v is not None}}
        secrets = {k: v for k, v in secrets.items() if given.get(k, "") is not None}
        values["secrets"] = ctx.config.box.seal(secrets) if secrets else None
    if "settings" in values or "secrets" in values:
        await check_settings(ctx.config, args.op, old.kind, settings, secrets)
        account = "secrets" in values or _without_rhythm(settings) != _without_rhythm(old.settings)
        if old.status == "auth_rejected" and account:
            # New credentials: give the column another chance (a new rhythm is none).
            values.update(status="ok", status_message=None)
        if _without_watch(settings) != _without_watch(old.settings):
            # Another account (a channel, an instance): the watcher starts afresh there.
            values.update(watch_cursor=None, watch_error=None)
        elif not watching.watched(settings, True) and old.watch_error is not None:
            values["watch_error"] = None  # not watched: nothing to say about watching
    if not values:
        raise BadRequest(
            f"{args.op}: nothing to change: give name, interval_s, settings, secrets or position"
        )
    await _update_column(ctx, platform_id, values)
    await ctx.platform_changed(old, platform_id)
    await ctx.reschedule(platform_id)
    return {"id": platform_id}


async def _update_column(ctx: Ctx, platform_id: int, values: dict[str, Any]) -> None:
    sets, params = set_clause({**values, "updated_at": ctx.now}, 2)
    await ctx.db.execute(
        f"UPDATE platforms SET {sets}, version = version + 1 WHERE id = $1", platform_id, *params
    )


async def _set_paused(ctx: Ctx, args: Args, paused: bool) -> dict[str, Any]:
    platform_id = args.int("id")
    old = await rows.platform_row(ctx.db, platform_id, lock=True)
    if old.paused != paused:
        await _update_column(ctx, platform_id, {"paused": paused})
        await ctx.platform_changed(old, platform_id)
        await ctx.reschedule(platform_id)
    return {"id": platform_id, "paused": paused}


async def pause(ctx: Ctx, args: Args) -> dict[str, Any]:
    return await _set_paused(ctx, args, True)


async def resume(ctx: Ctx, args: Args) -> dict[str, Any]:
    return await _set_paused(ctx, args, False)


async def clear(ctx: Ctx, args: Args) -> dict[str, Any]:
    platform_id = args.int("id")
    await rows.platform_row(ctx.db, platform_id, lock=True)
    cleared = sorted(
        r["id"]
        for r in await ctx.db.fetch(
            "UPDATE snippets SET status = 'deleted', deleted_from = 'pending', eta = NULL,"
            " version = version + 1, updated_at = $2, user_id = $3"
            " WHERE platform_id = $1 AND status = 'pending' RETURNING id",
            platform_id,
            ctx.now,
            ctx.actor.id,
        )
    )
    for snippet_id in cleared:
        ctx.patch.change("snippets", snippet_id, {"id": snippet_id}, None)
    ctx.wake.add(platform_id)
    return {"cleared": cleared}


async def restore(ctx: Ctx, args: Args) -> dict[str, Any]:
    platform_id = args.int("id")
    ids = args.int_list("ids")
    await rows.platform_row(ctx.db, platform_id, lock=True)
    restored = sorted(
        r["id"]
        for r in await ctx.db.fetch(
            "UPDATE snippets SET status = deleted_from, deleted_from = NULL,"
            " version = version + 1, updated_at = $3, user_id = $4"
            " WHERE platform_id = $1 AND id = ANY($2::int[]) AND status = 'deleted' RETURNING id",
            platform_id,
            ids,
            ctx.now,
            ctx.actor.id,
        )
    )
    await ctx.snippets_changed({}, restored)
    await ctx.reschedule(platform_id)
    return {"restored": restored}


async def delete(ctx: Ctx, args: Args) -> dict[str, Any]:
    platform_id = args.int("id")
    await rows.platform_row(ctx.db, platform_id, lock=True)
    if await ctx.db.fetchval(
        "SELECT 1 FROM snippets WHERE platform_id = $1 AND status = 'sending' LIMIT 1", platform_id
    ):
        raise Conflict(
            f"{args.op}: column {platform_id} is publishing a card right now; try again",
            reason="publishing_now",
        )
    await ctx.db.execute("UPDATE platforms SET deleted_at = $2 WHERE id = $1", platform_id, ctx.now)
    gone = [
        r["id"]
        for r in await ctx.db.fetch(
            "SELECT id FROM snippets WHERE platform_id = $1 AND status = ANY($2::text[])",
            platform_id,
            list(rows.VISIBLE),
        )
    ]
    for snippet_id in gone:
        ctx.patch.change("snippets", snippet_id, {"id": snippet_id}, None)
    ctx.patch.change("platforms", platform_id, {"id": platform_id}, None)
    ctx.wake.add(platform_id)
    return {"id": platform_id}

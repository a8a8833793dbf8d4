"""Alert targets: the ``alert.*`` ops (admin) and the state's ``alerts`` (admins only).

A target is a kind (telegram, webhook, email), a name, settings, secrets sealed like a
column's (board/secretbox.py, never sent back), the events it hears, and its health: the
status of its last delivery, the last error and when it last got an alert through.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alerts.words import EVENTS
from board.args import Args
from board.context import Ctx
from board.db import Db, Row, fetch, fetchrow, set_clause
from board.errors import BadRequest, NotFound
from board.rows import iso
from fetching.policy import AddressPolicy, Refused

KINDS = ("telegram", "webhook", "email")
SETTING_KEYS = {
    "telegram": ("chat_id", "api_base", "timeout_s"),
    "webhook": ("url",),
    # SMTP from the target's settings, each falling back to METRONOME_SMTP_* (senders.py).
    "email": ("to", "host", "port", "user", "from", "tls"),
}
SECRET_KEYS = {"telegram": ("bot_token",), "webhook": (), "email": ("password",)}
TLS_MODES = ("starttls", "ssl", "none")
# One address: no spaces, no line breaks (headers), one @ with something either side.
ADDRESS_RE = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+|[^@\s,;<>]+@localhost")
MAX_RECIPIENTS = 20


@dataclass(frozen=True)
class Checks:
    """What checking a target needs from the app: the address policy webhooks go through
    and the SMTP defaults from the environment."""

    policy: AddressPolicy
    smtp_env: Mapping[str, str]


def target_state(row: Row) -> dict[str, Any]:
    """A target as admins see it: never a secret's value, only which secrets it holds."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "name": row["name"],
        "settings": dict(row["settings"] or {}),
        "events": list(row["events"]),
        "status": row["status"],
        "last_error": row["last_error"],
        "last_error_at": iso(row["last_error_at"]),
        "last_ok_at": iso(row["last_ok_at"]),
    }


async def alerts_state(db: Db) -> dict[str, Any]:
    """Every target keyed by id, for an admin's full state."""
    return {
        str(row["id"]): target_state(row)
        for row in await fetch(db, "SELECT * FROM alert_targets ORDER BY id")
    }


async def target_row(db: Db, target_id: int, *, lock: bool = False) -> Row:
    row = await fetchrow(
        db, "SELECT * FROM alert_targets WHERE id = $1" + (" FOR UPDATE" if lock else ""), target_id
    )
    if row is None:
        raise NotFound(f"no alert target with id {target_id}")
    return row


def changed(ctx: Ctx, old: Row | None, new: Row | None) -> None:
    row = new if new is not None else old
    assert row is not None
    ctx.patch.change(
        "alerts",
        row["id"],
        target_state(old) if old is not None else None,
        target_state(new) if new is not None else None,
    )


class TargetOps:
    """alert.create, alert.update, alert.delete: admin only (the op table says so)."""

    def __init__(self, checks: Checks) -> None:
        self.checks = checks

    async def create(self, ctx: Ctx, args: Args) -> dict[str, Any]:
        kind = args.str("kind")
        if kind not in KINDS:
            raise BadRequest(
                f"{args.op}: expected kind to be one of {', '.join(KINDS)}, got {kind!r}"
            )
        name = args.str("name", max_len=200, allow_empty=False).strip()
        settings = args.obj("settings", required=False) or {}
        secrets = _secrets(args, args.obj("secrets", required=False) or {})
        events = _events(args) if args.has("events") else list(EVENTS)
        settings = await self.check(args.op, kind, settings, secrets)
        row = await fetchrow(
            ctx.db,
            "INSERT INTO alert_targets (kind, name, settings, secrets, events, created_at)"
            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
            kind,
            name,
            settings,
            ctx.config.box.seal(secrets) if secrets else None,
            events,
            ctx.now,
        )
        assert row is not None
        changed(ctx, None, row)
        return {"id": row["id"]}

    async def update(self, ctx: Ctx, args: Args) -> dict[str, Any]:
        old = await target_row(ctx.db, args.int("id"), lock=True)
        values: dict[str, Any] = {}
        if args.has("name"):
            values["name"] = args.str("name", max_len=200, allow_empty=False).strip()
        if args.has("events"):
            values["events"] = _events(args)
        settings = dict(old["settings"] or {})
        secrets = ctx.config.box.open(old["secrets"])
        if args.has("settings"):
            settings = args.obj("settings") or {}
        if args.has("secrets"):
            # As platform.update: a value replaces, null removes, a name left out stays.
            given = _secrets(args, args.obj("secrets") or {}, nulls=True)
            secrets = {**secrets, **{k: v for k, v in given.items() if v is not None}}
            secrets = {k: v for k, v in secrets.items() if given.get(k, "") is not None}
            values["secrets"] = ctx.config.box.seal(secrets) if secrets else None
        if args.has("settings") or args.has("secrets"):
            values["settings"] = await self.check(args.op, old["kind"], settings, secrets)
            # New settings deserve a new verdict: the old error was about the old ones.
            values.update(status="new", last_error=None, last_error_at=None)
        if not values:
            raise BadRequest(
                f"{args.op}: nothing to change: give name, settings, secrets or events"
            )
        clause, params = set_clause(values, 2)
        new = await fetchrow(
            ctx.db,
            f"UPDATE alert_targets SET {clause} WHERE id = $1 RETURNING *",
            old["id"],
            *params,
        )
        changed(ctx, old, new)
        return {"id": old["id"]}

    async def delete(self, ctx: Ctx, args: Args) -> dict[str, Any]:
        old = await target_row(ctx.db, args.int("id"), lock=True)
        await ctx.db.execute("DELETE FROM alert_targets WHERE id = $1", old["id"])
        changed(ctx, old, None)
        return {"id": old["id"]}

    async def check(
        self, op: str, kind: str, settings: dict[str, Any], secrets: dict[str, str]
    ) -> dict[str, Any]:
        """The settings as stored, or BadRequest naming the field that is wrong."""
        unknown = sorted(set(settings) - set(SETTING_KEYS[kind]))
        if unknown:
            raise BadRequest(
                f"{op}: settings.{unknown[0]} is not a setting of a {kind} alert; expected"
                f" {', '.join(SETTING_KEYS[kind])}"
            )
        wrong = sorted(set(secrets) - set(SECRET_KEYS[kind]))
        if wrong:
            raise BadRequest(f"{op}: secrets.{wrong[0]} is not a secret of a {kind} alert")
        if kind == "telegram":
            # The telegram column's own checks: chat id, api_base, timeout, the token's shape
            # (aiogram imported off the loop, as the posters import it).
            from platforms import load_class
            from platforms.base import InvalidSettings

            try:
                (await load_class("telegram")).validate(settings, secrets)
            except InvalidSettings as exc:
                where = "secrets" if exc.field in SECRET_KEYS[kind] else "settings"
                raise BadRequest(f"{op}: {where}.{exc}") from None
            return settings
        if kind == "webhook":
            return {"url": self._webhook_url(op, settings.get("url"))}
        return self._email(op, settings)

    def _webhook_url(self, op: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise BadRequest(f"{op}: settings.url: required, the address alerts are POSTed to")
        url = value.strip()
        if len(url) > 2048 or not url.startswith(("http://", "https://")):
            raise BadRequest(f"{op}: settings.url: expected an http(s) URL, got {url[:80]!r}")
        try:
            self.checks.policy.check_url(url)
        except Refused as exc:
            raise BadRequest(f"{op}: settings.url: refused: {exc.message}") from None
        except ValueError as exc:
            raise BadRequest(f"{op}: settings.url: {exc}") from None
        return url

    def _email(self, op: str, settings: dict[str, Any]) -> dict[str, Any]:
        raw = settings.get("to")
        items = raw.replace(";", ",").split(",") if isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(a, str) for a in items):
            raise BadRequest(f"{op}: settings.to: expected e-mail addresses, comma-separated")
        to = [a.strip() for a in items if a.strip()]
        if not to:
            raise BadRequest(f"{op}: settings.to: required, who receives the alerts")
        if len(to) > MAX_RECIPIENTS:
            raise BadRequest(f"{op}: settings.to: at most {MAX_RECIPIENTS} addresses")
        for address in [*to, *([settings["from"]] if settings.get("from") else [])]:
            if not ADDRESS_RE.fullmatch(address):
                raise BadRequest(f"{op}: settings: {address[:80]!r} is not an e-mail address")
        out: dict[str, Any] = {**settings, "to": to}
        for key in ("host", "user", "from"):
            if key in out and not isinstance(out[key], str):
                raise BadRequest(f"{op}: settings.{key}: expected a string")
        if "port" in out:
            port = out["port"]
            if isinstance(port, str) and port.isdigit():
                port = int(port)
            if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
                raise BadRequest(f"{op}: settings.port: expected a port number, got {port!r}")
            out["port"] = port
        if out.get("tls", "starttls") not in TLS_MODES:
            raise BadRequest(f"{op}: settings.tls: expected one of {', '.join(TLS_MODES)}")
        if not (out.get("host") or self.checks.smtp_env.get("METRONOME_SMTP_HOST")):
            raise BadRequest(
                f"{op}: settings.host: no SMTP server: give one here or set METRONOME_SMTP_HOST"
            )
        return out


def _events(args: Args) -> list[str]:
    value = args.raw.get("events")
    if not isinstance(value, list) or not all(isinstance(e, str) for e in value):
        raise BadRequest(f"{args.op}: expected events to be a list of event names")
    unknown = [e for e in value if e not in EVENTS]
    if unknown:
        raise BadRequest(
            f"{args.op}: events: unknown event {unknown[0]!r}; expected some of {', '.join(EVENTS)}"
        )
    return [e for e in EVENTS if e in value]


def _secrets(args: Args, given: dict[str, Any], *, nulls: bool = False) -> dict[str, Any]:
    if not all(isinstance(v, str) or (nulls and v is None) for v in given.values()):
        raise BadRequest(f"{args.op}: expected secrets to map names to strings")
    return {k: v for k, v in given.items() if v != ""} if not nulls else given

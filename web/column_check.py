"""`platform.check`: "Check connection" asks the network who a column's account is.

It runs in no unit of work (board.commands ``own_units``): reading the column is one
statement in a short read transaction, over before the network is asked, so a network that
takes twenty seconds to answer holds no lock and no connection meanwhile. Nothing is stored
and nothing is published.

Args: ``{id}`` checks a column as saved; ``{id, settings?, secrets?}`` checks it with the
dialog's unsaved changes (secrets merge key by key, as platform.update does); ``{kind,
settings, secrets}`` checks a column not added yet. The answer is ``{"ok": true, "account",
"target"?, "url"?, "warning"?}`` or ``{"ok": false, "error": {"type", "field"?, "message"}}``;
the page words both (web/static/js/messages.js).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from board import urls
from board.args import Args
from board.columns import check_settings
from board.commands import Call
from board.db import fetchrow
from board.errors import BadRequest, Forbidden, NotFound
from board.rows import PLATFORM_SELECT
from platforms import load_class
from platforms.base import (
    AuthRejected,
    Column,
    Identity,
    OutcomeUnknown,
    PlatformError,
    RateLimited,
    Rejected,
    Transient,
)

# The whole check, every request of it; beyond this the network "did not answer".
CHECK_TIMEOUT_S = 20.0

# The error's type, for the page's words: refused credentials, a refused setting, a network
# that cannot be reached, one that did not answer, one that asked to slow down.
ERROR_TYPES: tuple[tuple[type[PlatformError], str], ...] = (
    (AuthRejected, "refused"),
    (Rejected, "rejected"),
    (RateLimited, "rate_limited"),
    (Transient, "unreachable"),
    (OutcomeUnknown, "no_answer"),
)


class ColumnCheck:
    """The op's handler; ``http`` is the posters' shared client, ``on_secrets`` the log scrubber's."""

    def __init__(
        self, http: Callable[[], Awaitable[Any]], on_secrets: Callable[[Iterable[str]], None]
    ) -> None:
        self._http = http
        self._on_secrets = on_secrets

    async def __call__(self, call: Call, args: Args) -> dict[str, Any]:
        column = await self.column(call, args)
        cls = await load_class(column.kind)
        self._on_secrets(column.secrets.values())
        adapter = cls(column, await self._http())
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                identity = await adapter.check()
        except TimeoutError:
            return refusal("no_answer", f"no answer within {CHECK_TIMEOUT_S:g} s")
        except PlatformError as exc:
            kind = next((name for type_, name in ERROR_TYPES if isinstance(exc, type_)), "rejected")
            return refusal(kind, exc.message, exc.field)
        finally:
            await adapter.aclose()
        return answer(identity)

    async def column(self, call: Call, args: Args) -> Column:
        """The column to check: as saved, with the dialog's changes, or not saved at all."""
        changes = args.has("kind") or args.has("settings") or args.has("secrets")
        if changes and call.actor.role != "admin":
            raise Forbidden(
                f"{args.op}: only an admin may check settings or secrets that are not saved"
            )
        settings = args.obj("settings", required=False)
        given = args.obj("secrets", required=False) or {}
        platform_id = args.int("id", required=False)
        config = call.commands.config
        if platform_id is None:
            kind, name = args.str("kind", max_len=32), ""
            settings = settings or {}
            secrets = {k: v for k, v in given.items() if v is not None}
        else:
            async with call.read() as db:
                row = await fetchrow(db, PLATFORM_SELECT, platform_id)
            if row is None:
                raise NotFound(f"{args.op}: no column with id {platform_id}")
            kind, name = row.kind, row.name
            settings = dict(row.settings) if settings is None else settings
            secrets = {**config.box.open(row.secrets), **given}
            secrets = {k: v for k, v in secrets.items() if v is not None}
        if not isinstance(kind, str):
            raise BadRequest(f"{args.op}: expected kind to be a string")
        await check_settings(config, args.op, kind, settings, secrets)
        return Column(id=platform_id or 0, kind=kind, name=name, settings=settings, secrets=secrets)


def answer(identity: Identity) -> dict[str, Any]:
    result: dict[str, Any] = {"ok": True, "account": identity.account}
    for key in ("target", "url", "warning"):
        value = getattr(identity, key)
        if key == "url":
            value = urls.safe_url(value)  # the network's answer, shown as a link (board/urls.py)
        if value:
            result[key] = value
    return result


def refusal(kind: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if field:
        error["field"] = field
    return {"ok": False, "error": error}

"""What a token check found, stored with the column: renewed secrets (sealed, as platform.update
stores them), the expiry admins see (``token_expires_at``), or the column stopped.

The keeper that checks (poster/tokens.py) runs these in its own units of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from board import rows
from board.context import Ctx
from board.db import fetchrow
from board.errors import NotFound


async def record(
    ctx: Ctx,
    platform_id: int,
    *,
    expires_at: datetime | None,
    renewed: Mapping[str, str] | None = None,
    renewed_from: str = "",
) -> tuple[Any, bool, bool]:
    """Store a check's outcome; returns the column's row as it now is (None: it is gone),
    whether the outcome was applied (False: renewed secrets that lost a race), and whether the
    row changed.

    Renewed secrets are stored only if the refresh token they were obtained with is still the
    column's: otherwise an admin entered new credentials meanwhile, and those win (the renewal
    raced them and is dropped). Neither change bumps the column's version: an admin's edit in
    flight must not conflict with a renewal every two hours."""
    try:
        column = await rows.platform_row(ctx.db, platform_id, lock=True)
    except NotFound:
        return None, False, False
    values: dict[str, Any] = {}
    if renewed:
        secrets = ctx.config.box.open(column.secrets)
        if secrets.get("refresh_token", "") != renewed_from:
            return column, False, False
        values["secrets"] = ctx.config.box.seal({**secrets, **renewed})
        values["token_expires_at"] = expires_at
    elif column.token_expires_at != expires_at:
        values["token_expires_at"] = expires_at
    if not values:
        return column, True, False
    names = list(values)
    sets = ", ".join(f"{name} = ${n}" for n, name in enumerate(names, 2))
    new = await fetchrow(
        ctx.db,
        f"UPDATE platforms SET {sets} WHERE id = $1 RETURNING *",
        platform_id,
        *values.values(),
    )
    ctx.column_changed(column, new)
    return new, True, True


async def stop(ctx: Ctx, platform_id: int, secrets: bytes | None, message: str) -> bool:
    """Stop a column whose credentials the network refused, as a publish refused would
    (status ``auth_rejected``, which an admin's new credentials clear). Only if its secrets are
    still those checked: new ones entered meanwhile deserve their own check."""
    try:
        column = await rows.platform_row(ctx.db, platform_id, lock=True)
    except NotFound:
        return False
    if column.status == "auth_rejected" or bytes(column.secrets or b"") != bytes(secrets or b""):
        return False
    new = await fetchrow(
        ctx.db,
        "UPDATE platforms SET status = 'auth_rejected', status_message = $2,"
        " version = version + 1 WHERE id = $1 RETURNING *",
        platform_id,
        f"credentials rejected: {message}",
    )
    ctx.column_changed(column, new)
    return True

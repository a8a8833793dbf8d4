"""`platform.secret_names`: which secrets a column holds, by name only (admin).

Secrets are write-only: their values never leave the server. The column dialog still says
"set" or "not set" beside each secret field, so an admin knows whether leaving one empty
keeps a token or leaves the column without one.
"""

from __future__ import annotations

from typing import Any

from board import rows
from board.args import Args
from board.context import Ctx


async def names(ctx: Ctx, args: Args) -> dict[str, Any]:
    row = await rows.platform_row(ctx.db, args.int("id"))
    return {"id": row.id, "names": sorted(ctx.config.box.open(row.secrets))}

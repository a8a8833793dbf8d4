"""`platform.secret_names`: which secrets a column holds, by name only (admin).

Secrets are write-only: their values never leave the server. The column dialog still says
"set" or "not set" beside each secret field, so an admin knows whether leaving one empty
keeps a token or leaves the column without one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from board import rows
from board.args import Args

if TYPE_CHECKING:
    from board.commands import Call


async def names(call: Call, args: Args) -> dict[str, Any]:
    """A read, run outside any unit of work (nothing to record)."""
    async with call.read() as db:
        row = await rows.platform_row(db, args.int("id"))
    return {"id": row.id, "names": sorted(call.commands.config.box.open(row.secrets))}

"""holds and expiry: board-wide holds with an optional end, cards that expire

Revision ID: 0006
Revises: 0005

A hold stops the queues of the columns it lists until it is released (by an editor, or by
itself at ``until``). ``released_at`` is set exactly once: the timer of every instance tries
a conditional UPDATE, and the first one wins. Each column also lists the holds on it
(``platforms.hold_ids``), so whether a column runs is read off its own row: the poster's
hot path gains no query.

A card may carry ``expires_at``: it takes no slot it would reach after that moment, and
becomes ``expired`` (a new status) when the moment passes while it waits.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_OLD_STATUSES = "'pending', 'sending', 'sent', 'failed', 'needs_check', 'deleted'"


def upgrade() -> None:
    op.create_table(
        "holds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("platform_ids", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        # Null with released_at set: the hold ended by itself at `until`.
        sa.Column("released_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
    )
    # The holds in force are few: the state and the timers read only those.
    op.create_index(
        "holds_active", "holds", ["until"], postgresql_where=sa.text("released_at IS NULL")
    )
    op.add_column(
        "platforms",
        sa.Column(
            "hold_ids",
            postgresql.ARRAY(sa.Integer()),
            server_default=sa.text("'{}'::integer[]"),
            nullable=False,
        ),
    )
    op.add_column("snippets", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    # The poster's next expiry per column: an index probe, empty for most columns.
    op.create_index(
        "snippets_expiry",
        "snippets",
        ["platform_id", "expires_at"],
        postgresql_where=sa.text("status = 'pending' AND expires_at IS NOT NULL"),
    )
    op.drop_constraint("snippets_status", "snippets", type_="check")
    op.create_check_constraint(
        "snippets_status", "snippets", f"status in ({_OLD_STATUSES}, 'expired')"
    )


def downgrade() -> None:
    op.execute("UPDATE snippets SET status = 'failed' WHERE status = 'expired'")
    op.drop_constraint("snippets_status", "snippets", type_="check")
    op.create_check_constraint("snippets_status", "snippets", f"status in ({_OLD_STATUSES})")
    op.drop_index("snippets_expiry", table_name="snippets")
    op.drop_column("snippets", "expires_at")
    op.drop_column("platforms", "hold_ids")
    op.drop_index("holds_active", table_name="holds")
    op.drop_table("holds")

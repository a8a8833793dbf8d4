"""authors, approval and a card's story: the author role, snippets.approval, events.snippet_ids

Revision ID: 0011
Revises: 0006

- users_role admits `author` (CONTRACT §12: below editor; creates and edits cards only).
- snippets.approval: `approved` (every card so far, and every card an editor makes) or
  `pending` (an author's card, a feed's draft): a pending card keeps its place in the queue
  but takes no slot and is never published until an editor approves it.
- events.snippet_ids: the cards an event changed (filled by the unit of work from its patch),
  GIN-indexed so a card's story is one index scan however long the events table grows.
  Events recorded before this revision carry none: a card's story starts here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("users_role", "users", type_="check")
    op.create_check_constraint(
        "users_role", "users", "role in ('admin', 'editor', 'author', 'viewer')"
    )
    # A constant default: PostgreSQL adds the column without rewriting the table.
    op.add_column(
        "snippets",
        sa.Column(
            "approval", sa.String(length=16), nullable=False, server_default=sa.text("'approved'")
        ),
    )
    op.create_check_constraint(
        "snippets_approval", "snippets", "approval in ('pending', 'approved')"
    )
    op.add_column(
        "events",
        sa.Column(
            "snippet_ids",
            postgresql.ARRAY(sa.Integer()),
            nullable=False,
            server_default=sa.text("'{}'::integer[]"),
        ),
    )
    op.create_index("events_snippets", "events", ["snippet_ids"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_index("events_snippets", table_name="events")
    op.drop_column("events", "snippet_ids")
    op.drop_constraint("snippets_approval", "snippets", type_="check")
    op.drop_column("snippets", "approval")
    op.execute("UPDATE users SET role = 'viewer' WHERE role = 'author'")
    op.drop_constraint("users_role", "users", type_="check")
    op.create_check_constraint("users_role", "users", "role in ('admin', 'editor', 'viewer')")

"""watchers: posts made outside Metronome (CONTRACT §9): a column's watch cursor, external cards

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Where the column's watcher goes on from (an update offset, a newest id), when it last
    # looked (null: never, so its first look reads the last day) and why its last look failed.
    op.add_column("platforms", sa.Column("watch_cursor", sa.Text(), nullable=True))
    op.add_column("platforms", sa.Column("watched_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("platforms", sa.Column("watch_error", sa.Text(), nullable=True))
    # "external": a post found on the account that Metronome did not publish (null: ours).
    op.add_column("snippets", sa.Column("origin", sa.String(length=16), nullable=True))
    op.create_check_constraint("snippets_origin", "snippets", "origin in ('external')")
    # Our own posts and the external ones, looked up by their network id.
    op.create_index(
        "snippets_remote",
        "snippets",
        ["platform_id", sa.text("(meta->>'remote_id')")],
        postgresql_where=sa.text("meta ? 'remote_id'"),
    )
    # An external post is recorded once, whichever instance or restart sees it again.
    op.create_index(
        "snippets_external",
        "snippets",
        ["platform_id", sa.text("(meta->>'remote_id')")],
        unique=True,
        postgresql_where=sa.text("origin = 'external'"),
    )


def downgrade() -> None:
    op.drop_index("snippets_external", table_name="snippets")
    op.drop_index("snippets_remote", table_name="snippets")
    op.drop_constraint("snippets_origin", "snippets")
    op.drop_column("snippets", "origin")
    op.drop_column("platforms", "watch_error")
    op.drop_column("platforms", "watched_at")
    op.drop_column("platforms", "watch_cursor")

"""clicks: tracked links (a short code per card) and clicks counted per card, hour and referrer

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A card's clicks so far; null: the card has no tracked link.
    op.add_column("snippets", sa.Column("clicks", sa.BigInteger(), nullable=True))
    op.create_table(
        "links",
        sa.Column("code", sa.String(length=16), primary_key=True),
        sa.Column("snippet_id", sa.Integer(), sa.ForeignKey("snippets.id"), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.create_index("links_snippet", "links", ["snippet_id"])
    op.create_table(
        "clicks",
        sa.Column("snippet_id", sa.Integer(), sa.ForeignKey("snippets.id"), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("referrer", sa.String(length=253), server_default=sa.text("''"), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("snippet_id", "hour", "referrer", name="clicks_pkey"),
        sa.CheckConstraint("count > 0", name="clicks_count"),
    )
    op.create_index("clicks_hour", "clicks", ["hour"])
    op.create_table(
        "click_flushes",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.create_index("click_flushes_created", "click_flushes", ["created_at"])


def downgrade() -> None:
    op.drop_table("click_flushes")
    op.drop_table("clicks")
    op.drop_table("links")
    op.drop_column("snippets", "clicks")

"""media: uploaded images and videos stored once, and the media attached to cards

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 14:00:00

A file is stored once (deduplicated by its sha256) on the local disk or on S3; the row says
which backend holds it and under which key. A card lists its media as a JSONB array of
{"id", "kind"}: the kind of a media row never changes (it is sniffed from the bytes, which
never change either), so the state can show a card's media without a join.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("backend", sa.String(length=16), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        # The external URL a material's image or video was downloaded from (null: uploaded).
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind in ('image', 'video')", name="media_kind"),
        sa.CheckConstraint("backend in ('local', 's3')", name="media_backend"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256", name="media_sha256"),
    )
    # Hash: URLs can outgrow a btree entry, and lookups are only by equality.
    op.create_index(
        "media_source_url", "media", ["source_url"], unique=False, postgresql_using="hash"
    )
    op.add_column(
        "snippets",
        sa.Column(
            "media",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("snippets", "media")
    op.drop_index("media_source_url", table_name="media")
    op.drop_table("media")

"""materials: CMS fields, full-text search, RSS/Atom feeds

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# array_to_string is only STABLE (it calls element output functions), so a generated column
# cannot use it; for text[] the result never changes, which makes this wrapper truly immutable.
JOIN_WORDS = """
CREATE FUNCTION metronome_words(text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT array_to_string($1, ' ') $$
"""

# The searchable text, with ё folded to е (editors type both).
_DOC = (
    "translate(coalesce(title, '') || ' ' || coalesce(lead, '') || ' ' || "
    "coalesce(social_text, '') || ' ' || coalesce(section, '') || ' ' || "
    "metronome_words(tags), 'ёЁ', 'еЕ')"
)
# 'russian' stems Cyrillic words with the Russian stemmer and Latin ones with the English
# stemmer, so it alone covers both languages' word forms. 'simple' keeps whole lowercased
# words: a half-typed word ("electi") is a prefix of the word, not of its stem ("elect").
SEARCH_EXPR = f"to_tsvector('russian', {_DOC}) || to_tsvector('simple', {_DOC})"


def upgrade() -> None:
    op.execute(JOIN_WORDS)
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("section", sa.Text(), nullable=True),
        sa.Column("drafts_platform_id", sa.Integer(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'new'"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "next_poll_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("interval_s > 0", name="feeds_interval"),
        sa.CheckConstraint("status in ('new', 'ok', 'failing')", name="feeds_status"),
        sa.ForeignKeyConstraint(["drafts_platform_id"], ["platforms.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )
    op.create_index("feeds_due", "feeds", ["next_poll_at"], unique=False)
    op.add_column("materials", sa.Column("section", sa.Text(), nullable=True))
    op.add_column(
        "materials",
        sa.Column(
            "tags",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
    )
    op.add_column("materials", sa.Column("image_url", sa.Text(), nullable=True))
    op.add_column("materials", sa.Column("video_url", sa.Text(), nullable=True))
    op.add_column("materials", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("materials", sa.Column("feed_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        "materials_feed_id_fkey", "materials", "feeds", ["feed_id"], ["id"], ondelete="SET NULL"
    )
    op.add_column(
        "materials",
        sa.Column(
            "sort_at",
            sa.DateTime(timezone=True),
            sa.Computed("coalesce(published_at, created_at)", persisted=True),
            nullable=False,
        ),
    )
    op.add_column(
        "materials",
        sa.Column("search", postgresql.TSVECTOR(), sa.Computed(SEARCH_EXPR, persisted=True)),
    )
    op.create_index(
        "materials_search", "materials", ["search"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        "materials_recent",
        "materials",
        [sa.text("sort_at DESC"), sa.text("id DESC")],
        unique=False,
    )
    # Hash: URLs can outgrow a btree entry, and lookups are only by equality.
    op.create_index("materials_url", "materials", ["url"], unique=False, postgresql_using="hash")
    # The duplicate-link check looks a column's cards up by URL.
    op.create_index("snippets_url", "snippets", ["url"], unique=False, postgresql_using="hash")


def downgrade() -> None:
    op.drop_index("snippets_url", table_name="snippets")
    op.drop_index("materials_url", table_name="materials")
    op.drop_index("materials_recent", table_name="materials")
    op.drop_index("materials_search", table_name="materials")
    for name in ("search", "sort_at"):
        op.drop_column("materials", name)
    op.drop_constraint("materials_feed_id_fkey", "materials", type_="foreignkey")
    for name in ("feed_id", "published_at", "video_url", "image_url", "tags", "section"):
        op.drop_column("materials", name)
    op.drop_index("feeds_due", table_name="feeds")
    op.drop_table("feeds")
    op.execute("DROP FUNCTION metronome_words(text[])")

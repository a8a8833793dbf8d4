"""materials_search: no GIN pending list

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:30:00

With fastupdate on, new materials wait in the GIN index's pending list until a vacuum,
and every search reads that whole list (up to gin_pending_list_limit, 4 MB): on a table
that grows by a few hundred rows a day autovacuum seldom comes, and search latency creeps
up. Materials arrive one at a time, so inserting straight into the index costs nothing.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER INDEX materials_search SET (fastupdate = off)")
    op.execute("SELECT gin_clean_pending_list('materials_search')")


def downgrade() -> None:
    op.execute("ALTER INDEX materials_search RESET (fastupdate)")

"""token health: when a column's credentials stop working unless a person renews them

Revision ID: 0015
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Checked by the column's keeper (poster/tokens.py) at start and daily; null: never, or
    # the network does not say. Admins see it as the column's `token_expires_at`.
    op.add_column(
        "platforms", sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("platforms", "token_expires_at")

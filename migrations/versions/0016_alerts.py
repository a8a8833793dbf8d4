"""alerts: where trouble is reported (targets) and what was reported when (marks)

Revision ID: 0016
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_targets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("settings", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        # Sealed like column secrets (board/secretbox.py): bot tokens, SMTP passwords.
        sa.Column("secrets", sa.LargeBinary(), nullable=True),
        sa.Column("events", ARRAY(sa.String(length=32)), nullable=False),
        # ok, failing (the last delivery failed), or new (nothing sent yet).
        sa.Column("status", sa.String(length=16), server_default=sa.text("'new'"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    # One row per (event, subject): when it was last reported. Every instance races to claim
    # it with one INSERT … ON CONFLICT; the one whose statement returns a row sends.
    op.create_table(
        "alert_marks",
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        # A condition (a dry queue, an expiring token) still holds: not reported again
        # until it has cleared.
        sa.Column("active", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("event", "subject", name="alert_marks_pkey"),
    )


def downgrade() -> None:
    op.drop_table("alert_marks")
    op.drop_table("alert_targets")

"""rhythm: a column's interval override of its rhythm, a card's slot moved by quiet hours

Revision ID: 0012
Revises: 0011

A column's rhythm lives in its settings (``timezone``, ``rhythm``, ``quiet``: board/rhythm.py).
Two things the schedule walk decides need a place of their own:

- ``platforms.interval_until``: with rhythm rules, the column's ``interval_s`` overrides them
  until this moment (an interval card the poster passed, or an editor's change of the
  interval, lasts until the next rule begins); null: the rules are in force.
- ``snippets.eta_before_quiet``: when a quiet window moved a card's eta to its end, the
  moment the rhythm gave before; kept beside ``eta`` so a patch says exactly what moved.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "platforms", sa.Column("interval_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "snippets", sa.Column("eta_before_quiet", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("snippets", "eta_before_quiet")
    op.drop_column("platforms", "interval_until")

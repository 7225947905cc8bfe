"""Disputes remember the level the trainee asked for, and when the trainee saw the decision.

``requested_level`` is the level the trainee thinks is right (0-3; NULL for disputes opened before this revision,
which named none): the trainer's form offers it when upholding. ``decision_seen_at`` is set when the chat's trainee
opens its report after the dispute was decided (for the "a trainer decided your dispute" notice); disputes decided
before this revision count as not yet seen, so a trainee is told about them once. Plain ``ADD COLUMN`` on both
databases: recreating the table (batch mode) could lose the partial unique index of open disputes.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("disputes", sa.Column("requested_level", sa.Integer(), nullable=True))
    op.add_column("disputes", sa.Column("decision_seen_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("disputes", "decision_seen_at")
    op.drop_column("disputes", "requested_level")

"""Trainer comments remember when their trainee saw them (for the "new comments" notice).

``seen_at`` is set when the chat's trainee opens its report; comments from before this revision count as
not yet seen, so a trainee is told about them once.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("turn_comments") as batch:
        batch.add_column(sa.Column("seen_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("turn_comments") as batch:
        batch.drop_column("seen_at")

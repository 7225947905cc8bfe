"""Rush hour: two or three practice chats at once, grouped.

A ``rushes`` row groups the chats a trainee runs side by side (``practice_sessions.rush_id``); it keeps how long a
customer waits unanswered before writing again (``patience_seconds``, the setting when the rush started, so its report
reads the same later) and when the trainee ended it. Waits are read from the messages' own times.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rushes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=True),
        sa.Column("trainee", sa.String(80), nullable=False),
        sa.Column("difficulty", sa.String(10), nullable=False),
        sa.Column("patience_seconds", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_rushes_user_id", "rushes", ["user_id"])
    with op.batch_alter_table("practice_sessions") as batch:
        batch.add_column(sa.Column("rush_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_sessions_rush", "rushes", ["rush_id"], ["id"], ondelete="RESTRICT")
        batch.create_index("ix_practice_sessions_rush_id", ["rush_id"])


def downgrade() -> None:
    with op.batch_alter_table("practice_sessions") as batch:
        batch.drop_index("ix_practice_sessions_rush_id")
        batch.drop_constraint("fk_sessions_rush", type_="foreignkey")
        batch.drop_column("rush_id")
    op.drop_index("ix_rushes_user_id", "rushes")
    op.drop_table("rushes")

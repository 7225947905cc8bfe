"""Customers who argue with each other, and rush hour.

``messages.speaker`` names which customer spoke in a chat with two customers (a dispute); it stays NULL for chats
with one. ``rushes`` is a rush-hour session: two or three practice chats answered at once, each pointing at it with
``practice_sessions.rush_id``.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("speaker", sa.String(80), nullable=True))
    op.create_table(
        "rushes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=True),
        sa.Column("trainee", sa.String(80), nullable=False),
        sa.Column("difficulty", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
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
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("speaker")

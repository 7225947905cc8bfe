"""Accounts: users with roles and teams; sessions belong to a user.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(40), nullable=False, unique=True),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("team", sa.String(60), nullable=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("practice_sessions") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_sessions_user", "users", ["user_id"], ["id"], ondelete="RESTRICT")
        batch.create_index("ix_practice_sessions_user_id", ["user_id"])


def downgrade() -> None:
    with op.batch_alter_table("practice_sessions") as batch:
        batch.drop_index("ix_practice_sessions_user_id")
        batch.drop_constraint("fk_sessions_user", type_="foreignkey")
        batch.drop_column("user_id")
    op.drop_table("users")

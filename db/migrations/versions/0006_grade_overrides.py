"""Trainer overrides of single criteria, append-only.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grade_overrides",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("grade_id", sa.Integer(), sa.ForeignKey("grades.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("criterion_id", sa.String(40), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=True),
        sa.Column("by_username", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_grade_overrides_grade_id", "grade_overrides", ["grade_id"])


def downgrade() -> None:
    op.drop_index("ix_grade_overrides_grade_id", table_name="grade_overrides")
    op.drop_table("grade_overrides")

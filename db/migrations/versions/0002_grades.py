"""Grades: append-only rows per session.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grades",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("practice_sessions.id", ondelete="RESTRICT"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("rubric_version", sa.String(32), nullable=False),
        sa.Column("grader_version", sa.String(20), nullable=False),
        sa.Column("judge_model", sa.String(120), nullable=True),
        sa.Column("judge_status", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("overall", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("report_json", sa.Text(), nullable=False),
        sa.Column("judge_raw", sa.Text(), nullable=True),
    )
    op.create_index("ix_grades_session_created", "grades", ["session_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_grades_session_created", table_name="grades")
    op.drop_table("grades")

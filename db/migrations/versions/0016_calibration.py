"""Trust in the grader: rubric versions and the shared draft, trainers' judgements per criterion, trainees'
disputes, and the trust an attempt's outcome was decided with.

Overrides stored before this revision become judgements (source ``override``) when the app starts
(``services.calibration``), through the audited path, so agreement figures start from every correction trainers have
already made.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rubric_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False, unique=True),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by_username", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_rubric_versions_content_hash", "rubric_versions", ["content_hash"])
    op.create_table(
        "rubric_drafts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=False),
        sa.Column("by_username", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "criterion_judgements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("practice_sessions.id", ondelete="RESTRICT"),
                  nullable=False),
        sa.Column("grade_id", sa.Integer(), sa.ForeignKey("grades.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("criterion_id", sa.String(40), nullable=False),
        sa.Column("rubric_number", sa.Integer(), nullable=False),
        sa.Column("grader_level", sa.Integer(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("by_username", sa.String(40), nullable=False),
        sa.Column("override_id", sa.Integer(), sa.ForeignKey("grade_overrides.id", ondelete="RESTRICT"),
                  nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_judgements_rubric_criterion", "criterion_judgements",
                    ["rubric_number", "criterion_id", "session_id", "id"])
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("practice_sessions.id", ondelete="RESTRICT"),
                  nullable=False),
        sa.Column("grade_id", sa.Integer(), sa.ForeignKey("grades.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("criterion_id", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("by_username", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(40), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_level", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_disputes_session", "disputes", ["session_id", "id"])
    op.create_index("uq_disputes_open", "disputes", ["session_id", "criterion_id"], unique=True,
                    sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("trust", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("trust")
    op.drop_index("uq_disputes_open", table_name="disputes")
    op.drop_index("ix_disputes_session", table_name="disputes")
    op.drop_table("disputes")
    op.drop_index("ix_judgements_rubric_criterion", table_name="criterion_judgements")
    op.drop_table("criterion_judgements")
    op.drop_table("rubric_drafts")
    op.drop_index("ix_rubric_versions_content_hash", table_name="rubric_versions")
    op.drop_table("rubric_versions")

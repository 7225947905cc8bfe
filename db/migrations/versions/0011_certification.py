"""Certification: campaigns, their scenarios and assignments, attempts, reviews, certificates.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("pass_mark", sa.Integer(), nullable=False),
        sa.Column("criterion_minimums", sa.Text(), nullable=False),
        sa.Column("attempts_allowed", sa.Integer(), nullable=False),
        sa.Column("time_limit_minutes", sa.Integer(), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=False),
        sa.Column("closes_at", sa.DateTime(), nullable=False),
        sa.Column("hide_aids", sa.Boolean(), nullable=False),
        sa.Column("draw_count", sa.Integer(), nullable=True),
        sa.Column("review_margin", sa.Integer(), nullable=False),
        sa.Column("rubric_version", sa.String(32), nullable=True),
        sa.Column("rubric_yaml", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("attempts_allowed >= 1", name="ck_campaigns_attempts"),
        sa.CheckConstraint("pass_mark between 0 and 100", name="ck_campaigns_pass_mark"),
    )
    op.create_table(
        "campaign_scenarios",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("persona_slug", sa.String(40), nullable=False),
        sa.Column("difficulty", sa.String(10), nullable=False),
        sa.Column("persona_version", sa.String(32), nullable=True),
    )
    op.create_index("ix_campaign_scenarios_campaign_id", "campaign_scenarios", ["campaign_id"])
    op.create_table(
        "campaign_assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("team", sa.String(60), nullable=True),
    )
    op.create_index("ix_campaign_assignments_campaign_id", "campaign_assignments", ["campaign_id"])
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(40), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("deadline", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("deterministic_score", sa.Integer(), nullable=True),
        sa.Column("judge_score", sa.Integer(), nullable=True),
        sa.Column("rule", sa.Text(), nullable=True),
        sa.Column("review_reasons", sa.Text(), nullable=True),
        sa.UniqueConstraint("campaign_id", "user_id", "number", name="uq_attempts_campaign_user_number"),
        sa.CheckConstraint("number >= 1", name="ck_attempts_number"),
    )
    op.create_index("ix_attempts_campaign_outcome", "attempts", ["campaign_id", "outcome"])
    op.create_table(
        "attempt_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("attempt_id", sa.Integer(), sa.ForeignKey("attempts.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by_username", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_attempt_reviews_attempt_id", "attempt_reviews", ["attempt_id"])
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(24), nullable=False, unique=True),
        sa.Column("attempt_id", sa.Integer(), sa.ForeignKey("attempts.id", ondelete="RESTRICT"), nullable=False,
                  unique=True),
        sa.Column("holder", sa.String(80), nullable=False),
        sa.Column("campaign", sa.String(120), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("practice_sessions") as batch:
        batch.add_column(sa.Column("attempt_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_sessions_attempt", "attempts", ["attempt_id"], ["id"], ondelete="RESTRICT")
        batch.create_index("ix_practice_sessions_attempt_id", ["attempt_id"])


def downgrade() -> None:
    with op.batch_alter_table("practice_sessions") as batch:
        batch.drop_index("ix_practice_sessions_attempt_id")
        batch.drop_constraint("fk_sessions_attempt", type_="foreignkey")
        batch.drop_column("attempt_id")
    op.drop_table("certificates")
    op.drop_index("ix_attempt_reviews_attempt_id", table_name="attempt_reviews")
    op.drop_table("attempt_reviews")
    op.drop_index("ix_attempts_campaign_outcome", table_name="attempts")
    op.drop_table("attempts")
    op.drop_index("ix_campaign_assignments_campaign_id", table_name="campaign_assignments")
    op.drop_table("campaign_assignments")
    op.drop_index("ix_campaign_scenarios_campaign_id", table_name="campaign_scenarios")
    op.drop_table("campaign_scenarios")
    op.drop_table("campaigns")

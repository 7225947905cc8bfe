"""Trainer comments on turns; transcripts marked as exemplars.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "turn_comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("practice_sessions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=True),
        sa.Column("by_username", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_turn_comments_session_id", "turn_comments", ["session_id"])
    with op.batch_alter_table("practice_sessions") as batch:
        batch.add_column(sa.Column("exemplar_by", sa.String(40), nullable=True))
        batch.add_column(sa.Column("exemplar_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("practice_sessions") as batch:
        batch.drop_column("exemplar_note")
        batch.drop_column("exemplar_by")
    op.drop_index("ix_turn_comments_session_id", table_name="turn_comments")
    op.drop_table("turn_comments")

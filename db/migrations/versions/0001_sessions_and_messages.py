"""Practice sessions and their messages.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "practice_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("trainee", sa.String(80), nullable=False),
        sa.Column("persona_slug", sa.String(40), nullable=False),
        sa.Column("persona_version", sa.String(32), nullable=False),
        sa.Column("difficulty", sa.String(10), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("backend", sa.String(20), nullable=False),
        sa.Column("model", sa.String(120), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("ended_reason", sa.String(20), nullable=True),
        sa.Column("state_json", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_practice_sessions_trainee", "practice_sessions", ["trainee"])
    op.create_index("ix_sessions_trainee_status", "practice_sessions", ["trainee", "status", "started_at"])
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("practice_sessions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("frustration", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("session_id", "seq", name="uq_messages_session_seq"),
    )


def downgrade() -> None:
    op.drop_table("messages")
    op.drop_index("ix_sessions_trainee_status", table_name="practice_sessions")
    op.drop_index("ix_practice_sessions_trainee", table_name="practice_sessions")
    op.drop_table("practice_sessions")

"""Review workspace: flag counts on grades and the indexes the transcript browser filters and sorts on.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("grades") as batch:
        batch.add_column(sa.Column("flags_count", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_sessions_started", "practice_sessions", ["started_at"])
    op.create_index("ix_sessions_persona_started", "practice_sessions", ["persona_slug", "started_at"])
    op.create_index("ix_users_team", "users", ["team"])


def downgrade() -> None:
    op.drop_index("ix_users_team", table_name="users")
    op.drop_index("ix_sessions_persona_started", table_name="practice_sessions")
    op.drop_index("ix_sessions_started", table_name="practice_sessions")
    with op.batch_alter_table("grades") as batch:
        batch.drop_column("flags_count")

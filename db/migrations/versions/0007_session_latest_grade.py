"""Each session carries its newest grade (id, overall, flagged) for fast filtering; backfilled.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("practice_sessions") as batch:
        batch.add_column(sa.Column("latest_grade_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("latest_overall", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("latest_flagged", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_foreign_key("fk_sessions_latest_grade", "grades", ["latest_grade_id"], ["id"])
    op.execute(
        "UPDATE practice_sessions SET latest_grade_id = "
        "(SELECT max(g.id) FROM grades g WHERE g.session_id = practice_sessions.id)"
    )
    op.execute(
        "UPDATE practice_sessions SET "
        "latest_overall = (SELECT g.overall FROM grades g WHERE g.id = practice_sessions.latest_grade_id), "
        "latest_flagged = coalesce((SELECT g.flags_count > 0 OR g.status = 'needs_review' FROM grades g "
        "WHERE g.id = practice_sessions.latest_grade_id), false) "
        "WHERE latest_grade_id IS NOT NULL"
    )
    op.create_index("ix_sessions_latest_overall", "practice_sessions", ["latest_overall", "id"])
    op.create_index("ix_sessions_flagged_started", "practice_sessions", ["latest_flagged", "started_at"])
    op.create_index("ix_sessions_difficulty_started", "practice_sessions", ["difficulty", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_sessions_difficulty_started", table_name="practice_sessions")
    op.drop_index("ix_sessions_flagged_started", table_name="practice_sessions")
    op.drop_index("ix_sessions_latest_overall", table_name="practice_sessions")
    with op.batch_alter_table("practice_sessions") as batch:
        batch.drop_constraint("fk_sessions_latest_grade", type_="foreignkey")
        batch.drop_column("latest_flagged")
        batch.drop_column("latest_overall")
        batch.drop_column("latest_grade_id")

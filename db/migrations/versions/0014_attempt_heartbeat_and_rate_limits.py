"""Certification attempts: the holder's last heartbeat (for the reconnect grace), and rate-limit counters.

``attempts.holder_seen_at`` is when the browser session holding a running attempt last checked in; a new
browser session of the same trainee may take the attempt over (a reload, a dropped connection) until the
holder has been silent for longer than ``ATTEMPT_RECONNECT_GRACE_SECONDS``.

``rate_limits`` counts requests per client and fixed one-minute window (the public Verify page), in the
database so that every app process shares one count.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("holder_seen_at", sa.DateTime(), nullable=True))
    op.create_table(
        "rate_limits",
        sa.Column("bucket", sa.String(120), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "window_start", name="pk_rate_limits"),
    )
    op.create_index("ix_rate_limits_window_start", "rate_limits", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_rate_limits_window_start", table_name="rate_limits")
    op.drop_table("rate_limits")
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("holder_seen_at")

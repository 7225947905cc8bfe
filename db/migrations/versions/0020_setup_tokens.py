"""Setup tokens: outside development, the first admin account is created in the browser only with a one-time token
that the server prints to its log when it starts on a database without accounts (or ``python -m db setup-token``).

Only the token's SHA-256 is stored. ``used_at`` is set on every unused token when one of them creates the first
admin, so the others (printed by other replicas) stop working too.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "setup_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("setup_tokens")

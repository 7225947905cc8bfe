"""Customers who argue with each other: which of them spoke.

``messages.speaker`` names the customer who wrote a message in a chat with two customers (a dispute); it stays NULL
for chats with one.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("speaker", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("speaker")

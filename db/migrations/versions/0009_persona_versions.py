"""Published persona versions and editor drafts (scenario authoring).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "persona_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by_user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=True),
        sa.Column("by_username", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("slug", "version", name="uq_persona_versions_slug_version"),
    )
    op.create_index("ix_persona_versions_slug_hash", "persona_versions", ["slug", "content_hash"])
    op.create_table(
        "persona_drafts",
        sa.Column("slug", sa.String(40), primary_key=True),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("by_username", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("persona_drafts")
    op.drop_index("ix_persona_versions_slug_hash", table_name="persona_versions")
    op.drop_table("persona_versions")

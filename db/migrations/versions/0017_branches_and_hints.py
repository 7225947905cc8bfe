"""Practice aids: branches of a chat and the hints a trainee asked for.

Each customer message now stores the customer's state after it (``messages.state_json``), so a chat can be branched
at any of the trainee's turns: the branch copies the messages before that turn and starts from the state stored
with the customer message just before it. A branch names its ``parent_id`` (the chat it was taken from), its
``root_id`` (the first chat of the family, for listing siblings in one query) and ``branch_seq`` (the position of the
parent's message it replaces). Messages stored before this revision have no state: their chats cannot be branched
before their last turn (the service says so).

``hints`` rows record every hint shown: after which message (one per moment: asking again shows the same hint),
its kind, its text and the workshop passage it names.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("state_json", sa.Text(), nullable=True))
    with op.batch_alter_table("practice_sessions") as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("root_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("branch_seq", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_sessions_parent", "practice_sessions", ["parent_id"], ["id"],
                                 ondelete="RESTRICT")
        batch.create_index("ix_practice_sessions_root_id", ["root_id"])
    op.create_table(
        "hints",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("practice_sessions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("after_seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("phrased_by", sa.String(120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("session_id", "after_seq", name="uq_hints_session_after"),
    )
    op.create_index("ix_hints_session_id", "hints", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_hints_session_id", "hints")
    op.drop_table("hints")
    with op.batch_alter_table("practice_sessions") as batch:
        batch.drop_index("ix_practice_sessions_root_id")
        batch.drop_constraint("fk_sessions_parent", type_="foreignkey")
        batch.drop_column("branch_seq")
        batch.drop_column("root_id")
        batch.drop_column("parent_id")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("state_json")

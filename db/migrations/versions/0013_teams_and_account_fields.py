"""Teams become a managed list; accounts get a full name and can be disabled.

``teams.name_key`` is the name case-folded (and its spaces collapsed), unique, so "Team North" and
"team north" are one team. ``users.team`` keeps holding the team's name. Existing team values (of accounts and
campaign assignments) become teams, case duplicates folded into the spelling most accounts use; each account or
campaign whose team spelling changed gets an audit entry (its newest recorded fingerprint with the new spelling),
as does each new team, so ``verify-audit`` stays intact.

Revision ID: 0013
Revises: 0012
"""

import json
from collections import Counter, defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ACTOR = "migration 0013"


def team_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def upgrade() -> None:
    op.add_column("users", sa.Column("full_name", sa.String(80), nullable=True))
    op.add_column("users", sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()))
    teams = op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("name_key", sa.String(60), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    _fold_existing_teams(op.get_bind(), teams)


def _fold_existing_teams(conn: sa.Connection, teams: sa.Table) -> None:
    from db.audit import GENESIS, entry_hash
    from db.models import AuditEntry, utcnow

    meta = sa.MetaData()
    users = sa.Table("users", meta, autoload_with=conn)
    assignments = sa.Table("campaign_assignments", meta, autoload_with=conn)
    audit_log = sa.Table("audit_log", meta, autoload_with=conn)
    user_teams = conn.execute(sa.select(users.c.id, users.c.team).where(users.c.team.is_not(None))).all()
    assigned = conn.execute(sa.select(assignments.c.id, assignments.c.campaign_id, assignments.c.team)
                            .where(assignments.c.team.is_not(None))).all()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for _, team in user_teams:
        spellings[team_key(team)][" ".join(team.split())] += 1
    for _, _, team in assigned:
        spellings[team_key(team)][" ".join(team.split())] += 0
    # The spelling most accounts use; ties go to the first in sort order, so the result does not depend on ids.
    canonical = {key: sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                 for key, counts in spellings.items() if key}

    chain = {"last": conn.scalar(sa.select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)) or GENESIS}

    def newest_fingerprint(subject_type: str, subject_id: int) -> dict[str, Any] | None:
        payload = conn.scalar(sa.select(audit_log.c.payload).where(audit_log.c.subject_type == subject_type,
                                                                   audit_log.c.subject_id == subject_id)
                              .order_by(audit_log.c.id.desc()).limit(1))
        return json.loads(payload)["fingerprint"] if payload else None

    def record(action: str, subject_type: str, subject_id: int, fingerprint: dict[str, Any]) -> None:
        entry = AuditEntry(created_at=utcnow(), actor=ACTOR, action=action, subject_type=subject_type,
                           subject_id=subject_id, payload=json.dumps({"fingerprint": fingerprint}, sort_keys=True,
                                                                     ensure_ascii=False),
                           prev_hash=chain["last"])
        entry.hash = chain["last"] = entry_hash(entry)
        conn.execute(sa.insert(audit_log).values(
            created_at=entry.created_at, actor=entry.actor, action=entry.action, subject_type=entry.subject_type,
            subject_id=entry.subject_id, payload=entry.payload, prev_hash=entry.prev_hash, hash=entry.hash))

    for key, name in sorted(canonical.items(), key=lambda kv: kv[1]):
        team_id = conn.execute(sa.insert(teams).values(name=name, name_key=key, created_at=utcnow())
                               .returning(teams.c.id)).scalar_one()
        record("team.created", "team", team_id, {"name": name})
    for user_id, team in user_teams:
        new = canonical.get(team_key(team))
        if new == team:
            continue
        conn.execute(sa.update(users).where(users.c.id == user_id).values(team=new))
        fingerprint = newest_fingerprint("user", user_id)
        if fingerprint is not None:
            record("user.team", "user", user_id, {**fingerprint, "team": new})
    changed_campaigns: set[int] = set()
    for assignment_id, campaign_id, team in assigned:
        new = canonical.get(team_key(team))
        if new != team:
            conn.execute(sa.update(assignments).where(assignments.c.id == assignment_id).values(team=new))
            changed_campaigns.add(campaign_id)
    for campaign_id in sorted(changed_campaigns):
        fingerprint = newest_fingerprint("campaign", campaign_id)
        if fingerprint is None:
            continue
        live = conn.execute(sa.select(assignments.c.user_id, assignments.c.team)
                            .where(assignments.c.campaign_id == campaign_id)).all()
        fingerprint["assignments"] = sorted([u or 0, t or ""] for u, t in live)
        record("campaign.team_renamed", "campaign", campaign_id, fingerprint)


def downgrade() -> None:
    op.drop_table("teams")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled")
        batch.drop_column("full_name")

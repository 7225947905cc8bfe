"""Teams as a managed list (admins change it; anyone logged in may read the names, for filters and forms).

A team's name is unique whatever its case ("Team North" and "team north" are one team). Accounts and campaign
assignments hold the team's name, so a rename rewrites them in the same transaction, each with its audit entry;
a team is deleted only while no account and no campaign names it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db import audit
from db import repository as repo
from db.models import Campaign, CampaignAssignment, Team, User
from services.auth import MAX_TEAM, AccountError, Actor, find_team, require_admin, team_key
from services.views import PracticeError


@dataclass(frozen=True)
class TeamView:
    id: int
    name: str
    #: Accounts in the team (disabled ones included).
    members: int
    #: Campaigns assigned to the whole team.
    campaigns: int


def _clean(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise AccountError("name", "Type a team name.")
    if len(cleaned) > MAX_TEAM:
        raise AccountError("name", f"A team name is at most {MAX_TEAM} characters (this one has {len(cleaned)}).")
    if any(not ch.isprintable() for ch in cleaned):
        raise AccountError("name", "A team name cannot contain control characters.")
    return cleaned


class TeamService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def names(self, actor: Actor) -> list[str]:
        """Every team's name, sorted without regard to case (for select boxes and filters)."""
        with self.sessions() as db:
            return sorted(db.scalars(select(Team.name)), key=str.casefold)

    def teams(self, actor: Actor) -> list[TeamView]:
        require_admin(actor, "manage teams")
        with self.sessions() as db:
            members = dict(db.execute(select(User.team, func.count()).where(User.team.is_not(None))
                                      .group_by(User.team)).all())
            assigned = dict(db.execute(select(CampaignAssignment.team, func.count(CampaignAssignment.campaign_id
                                                                                    .distinct()))
                                       .where(CampaignAssignment.team.is_not(None))
                                       .group_by(CampaignAssignment.team)).all())
            rows = sorted(db.scalars(select(Team)), key=lambda t: t.name.casefold())
            return [TeamView(t.id, t.name, members.get(t.name, 0), assigned.get(t.name, 0)) for t in rows]

    def create(self, actor: Actor, name: str) -> TeamView:
        require_admin(actor, "manage teams")
        cleaned = _clean(name)
        with self.sessions() as db:
            def change() -> Team:
                seen = audit.chain_end(db)
                self._refuse_taken(db, cleaned)
                team = Team(name=cleaned, name_key=team_key(cleaned))
                audit.append(db, actor=actor.username, action="team.created", subject_type="team", row=team,
                             after=seen)
                return team

            try:
                team = repo.commit_audited(db, change)
            except IntegrityError:  # created by another admin at the same moment
                raise AccountError("name", f"There is already a team '{cleaned}'.") from None
            return TeamView(team.id, team.name, 0, 0)

    def rename(self, actor: Actor, team_id: int, new_name: str) -> TeamView:
        """Rename a team (a change of case only is allowed); its accounts and campaign assignments follow."""
        require_admin(actor, "manage teams")
        cleaned = _clean(new_name)
        with self.sessions() as db:
            def change() -> TeamView:
                seen = audit.chain_end(db)
                team = self._team(db, team_id)
                old = team.name
                if old == cleaned:
                    raise AccountError("name", f"The team is already called '{cleaned}'.")
                if team_key(cleaned) != team.name_key:
                    self._refuse_taken(db, cleaned)
                team.name, team.name_key = cleaned, team_key(cleaned)
                audit.append(db, actor=actor.username, action="team.renamed", subject_type="team", row=team,
                             extra={"from": old}, after=seen)
                members = db.scalars(select(User).where(User.team == old).order_by(User.id)).all()
                for user in members:
                    user.team = cleaned
                    audit.append(db, actor=actor.username, action="user.team", subject_type="user", row=user)
                campaigns = db.scalars(select(Campaign).where(Campaign.id.in_(
                    select(CampaignAssignment.campaign_id).where(CampaignAssignment.team == old)))
                    .order_by(Campaign.id)).all()
                for campaign in campaigns:
                    for assignment in campaign.assignments:
                        if assignment.team == old:
                            assignment.team = cleaned
                    audit.append(db, actor=actor.username, action="campaign.team_renamed", subject_type="campaign",
                                 row=campaign)
                return TeamView(team.id, team.name, len(members), len(campaigns))

            try:
                return repo.commit_audited(db, change)
            except IntegrityError:
                raise AccountError("name", f"There is already a team '{cleaned}'.") from None

    def delete(self, actor: Actor, team_id: int) -> str:
        """Delete a team no account and no campaign names; returns its name."""
        require_admin(actor, "manage teams")
        with self.sessions() as db:
            def change() -> str:
                seen = audit.chain_end(db)
                team = self._team(db, team_id)
                name = team.name
                members = db.scalar(select(func.count()).select_from(User).where(User.team == name)) or 0
                if members:
                    raise AccountError("delete", f"'{name}' still has {members} account(s): move them to another "
                                                 "team first.")
                campaigns = db.scalars(select(Campaign.name).join(CampaignAssignment)
                                       .where(CampaignAssignment.team == name).distinct()).all()
                if campaigns:
                    raise AccountError("delete", f"'{name}' is assigned to the campaign(s) "
                                                 f"{', '.join(sorted(campaigns))}: it cannot be deleted.")
                audit.append_deletion(db, actor=actor.username, action="team.deleted", subject_type="team", row=team,
                                      after=seen)
                return name

            return repo.commit_audited(db, change)

    @staticmethod
    def _team(db: Session, team_id: int) -> Team:
        team = db.get(Team, team_id)
        if team is None:
            raise PracticeError(f"No team with id {team_id} (another admin may have deleted it).")
        return team

    @staticmethod
    def _refuse_taken(db: Session, name: str) -> None:
        existing = find_team(db, name)
        if existing is not None:
            raise AccountError("name", f"There is already a team '{existing.name}' (names are compared without "
                                       "regard to case).")

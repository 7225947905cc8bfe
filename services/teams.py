"""Teams as a managed list (admins and HR change it; anyone logged in may read the names, for filters and forms).

A team's name is unique whatever its case ("Team North" and "team north" are one team). Accounts and campaign
assignments hold the team's name, so a rename rewrites them in the same transaction, each with its audit entry;
a team is deleted only while no account and no campaign names it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db import audit
from db.models import Team
from db.repositories import UnitOfWork, Work
from services.auth import MAX_TEAM, AccountError, Actor, team_key
from services.permissions import Permission, require
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
        self.work = Work(sessions)

    def names(self, actor: Actor) -> list[str]:
        """Every team's name, sorted without regard to case (for select boxes and filters)."""
        with self.work() as uow:
            return uow.users.team_names()

    def teams(self, actor: Actor) -> list[TeamView]:
        require(actor, Permission.MANAGE_TEAMS)
        with self.work() as uow:
            members = uow.users.member_counts()
            assigned = uow.campaigns.assigned_campaign_counts()
            rows = uow.users.teams()
            return [TeamView(t.id, t.name, members.get(t.name, 0), assigned.get(t.name, 0)) for t in rows]

    def create(self, actor: Actor, name: str) -> TeamView:
        require(actor, Permission.MANAGE_TEAMS)
        cleaned = _clean(name)
        with self.work() as uow:
            def change() -> Team:
                seen = audit.chain_end(uow.db)
                self._refuse_taken(uow, cleaned)
                team = uow.users.add_team(name=cleaned, name_key=team_key(cleaned))
                audit.append(uow.db, actor=actor.username, action="team.created", subject_type="team", row=team,
                             after=seen)
                return team

            try:
                team = uow.commit(change)
            except IntegrityError:  # created by another admin at the same moment
                raise AccountError("name", f"There is already a team '{cleaned}'.") from None
            return TeamView(team.id, team.name, 0, 0)

    def rename(self, actor: Actor, team_id: int, new_name: str) -> TeamView:
        """Rename a team (a change of case only is allowed); its accounts and campaign assignments follow."""
        require(actor, Permission.MANAGE_TEAMS)
        cleaned = _clean(new_name)
        with self.work() as uow:
            def change() -> TeamView:
                seen = audit.chain_end(uow.db)
                team = self._team(uow, team_id)
                old = team.name
                if old == cleaned:
                    raise AccountError("name", f"The team is already called '{cleaned}'.")
                if team_key(cleaned) != team.name_key:
                    self._refuse_taken(uow, cleaned)
                uow.users.rename_team(team, name=cleaned, name_key=team_key(cleaned))
                audit.append(uow.db, actor=actor.username, action="team.renamed", subject_type="team", row=team,
                             extra={"from": old}, after=seen)
                members = uow.users.members(old)
                for user in members:
                    uow.users.set_team(user, team=cleaned)
                    audit.append(uow.db, actor=actor.username, action="user.team", subject_type="user", row=user)
                campaigns = uow.campaigns.campaigns_assigned_to(old)
                for campaign in campaigns:
                    uow.campaigns.rename_assignments(campaign, old=old, new=cleaned)
                    audit.append(uow.db, actor=actor.username, action="campaign.team_renamed",
                                 subject_type="campaign", row=campaign)
                return TeamView(team.id, team.name, len(members), len(campaigns))

            try:
                return uow.commit(change)
            except IntegrityError:
                raise AccountError("name", f"There is already a team '{cleaned}'.") from None

    def delete(self, actor: Actor, team_id: int) -> str:
        """Delete a team no account and no campaign names; returns its name."""
        require(actor, Permission.MANAGE_TEAMS)
        with self.work() as uow:
            def change() -> str:
                seen = audit.chain_end(uow.db)
                team = self._team(uow, team_id)
                name = team.name
                members = uow.users.count_members(name)
                if members:
                    raise AccountError("delete", f"'{name}' still has {members} account(s): move them to another "
                                                 "team first.")
                campaigns = uow.campaigns.campaign_names_assigned_to(name)
                if campaigns:
                    raise AccountError("delete", f"'{name}' is assigned to the campaign(s) "
                                                 f"{', '.join(sorted(campaigns))}: it cannot be deleted.")
                audit.append_deletion(uow.db, actor=actor.username, action="team.deleted", subject_type="team",
                                      row=team, after=seen)
                return name

            return uow.commit(change)

    @staticmethod
    def _team(uow: UnitOfWork, team_id: int) -> Team:
        team = uow.users.team(team_id)
        if team is None:
            raise PracticeError(f"No team with id {team_id} (another admin may have deleted it).")
        return team

    @staticmethod
    def _refuse_taken(uow: UnitOfWork, name: str) -> None:
        existing = uow.users.team_by_key(team_key(name))
        if existing is not None:
            raise AccountError("name", f"There is already a team '{existing.name}' (names are compared without "
                                       "regard to case).")

"""Campaigns (HR and admins): create, open (freezing persona versions and the rubric), close, list."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from db import audit
from db.models import Campaign, CampaignAssignment, CampaignScenario, utcnow
from db.repositories.campaigns import encode_minimums
from grading.rubric import Rubric, parse_rubric, reading_stored, rubric_hash
from personas.loader import version_hash
from services.auth import Actor
from services.certification.base import CertificationBase
from services.certification.views import CampaignSpec, CampaignView
from services.permissions import Permission, may
from services.views import PracticeError


def campaign_rubric(text: str, pass_mark: int) -> Rubric:
    """A campaign's frozen rubric with the campaign's pass mark: each chat graded in the campaign carries that mark
    (and the campaign's rubric version), so an override of a criterion later recomputes the chat's pass against the
    campaign's mark, not the rubric file's. A text frozen before the rubric had bounds is still the campaign's."""
    with reading_stored():
        return parse_rubric(text).model_copy(update={"pass_mark": pass_mark})


class Campaigns(CertificationBase):
    def create_campaign(self, actor: Actor, spec: CampaignSpec | dict[str, Any]) -> CampaignView:
        self._admin(actor)
        try:
            spec = spec if isinstance(spec, CampaignSpec) else CampaignSpec.model_validate(spec)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "campaign"
            raise PracticeError(f"{where}: {first['msg']}") from None
        unknown = sorted({slug for slug, _ in spec.scenarios} - set(self.catalog.personas))
        if unknown:
            raise PracticeError(f"Unknown persona(s): {', '.join(unknown)}.")
        criteria = {c.id for c in self.grading.rubric.current().rubric.criteria}
        bad = sorted(set(spec.criterion_minimums) - criteria)
        if bad:
            raise PracticeError(f"Unknown criteria: {', '.join(bad)} (known: {', '.join(sorted(criteria))}).")
        with self.work() as uow:
            users = uow.users.by_usernames([t.lower() for t in spec.trainees])
            missing = sorted({t.lower() for t in spec.trainees} - set(users))
            if missing:
                raise PracticeError(f"Unknown trainee(s): {', '.join(missing)}.")

            def change() -> Campaign:
                row = Campaign(name=spec.name, status="draft", pass_mark=spec.pass_mark,
                               criterion_minimums=encode_minimums(spec.criterion_minimums),
                               attempts_allowed=spec.attempts_allowed, time_limit_minutes=spec.time_limit_minutes,
                               opens_at=spec.opens_at, closes_at=spec.closes_at, hide_aids=spec.hide_aids,
                               draw_count=spec.draw_count, review_margin=spec.review_margin,
                               created_by=actor.username)
                row.scenarios = [CampaignScenario(position=i, persona_slug=slug, difficulty=difficulty)
                                 for i, (slug, difficulty) in enumerate(spec.scenarios)]
                row.assignments = ([CampaignAssignment(user_id=u.id) for u in users.values()]
                                   + [CampaignAssignment(team=t) for t in sorted(set(spec.teams))])
                audit.append(uow.db, actor=actor.username, action="campaign.created", subject_type="campaign", row=row)
                return row

            try:
                row = uow.commit(change)
            except IntegrityError:
                raise PracticeError(f"A campaign named '{spec.name}' exists already.") from None
            return self._view(uow, row)

    def open_campaign(self, actor: Actor, campaign_id: int) -> CampaignView:
        """Freeze the persona versions and the rubric (the newest published version's text), and let assigned
        trainees start attempts."""
        self._admin(actor)
        rubric_text = self.grading.rubric.current().yaml_text
        with self.work() as uow:
            row = self._campaign(uow, campaign_id)
            if row.status != "draft":
                raise PracticeError(f"Campaign '{row.name}' is {row.status}; only a draft can be opened.")

            def change() -> Campaign:
                for s in row.scenarios:
                    s.persona_version = version_hash(self.catalog.get(s.persona_slug))
                rubric = campaign_rubric(rubric_text, row.pass_mark)
                row.rubric_yaml, row.rubric_version = rubric_text, rubric_hash(rubric)
                row.status, row.opened_at = "open", utcnow()
                audit.append(uow.db, actor=actor.username, action="campaign.opened", subject_type="campaign", row=row)
                return row

            return self._view(uow, uow.commit(change))

    def close_campaign(self, actor: Actor, campaign_id: int) -> CampaignView:
        self._admin(actor)
        with self.work() as uow:
            row = self._campaign(uow, campaign_id)
            if row.status != "open":
                raise PracticeError(f"Campaign '{row.name}' is {row.status}; only an open one can be closed.")

            def change() -> Campaign:
                row.status = "closed"
                audit.append(uow.db, actor=actor.username, action="campaign.closed", subject_type="campaign", row=row)
                return row

            return self._view(uow, uow.commit(change))

    def campaigns(self, actor: Actor) -> list[CampaignView]:
        """HR, admins and trainers: every campaign. Trainees: the open ones assigned to them."""
        with self.work() as uow:
            rows = uow.campaigns.all()
            if may(actor, Permission.SEE_EVERY_CAMPAIGN):
                return [self._view(uow, r) for r in rows]
            user = uow.users.get(actor.id)
            if user is None:
                return []
            now = utcnow()
            return [self._view(uow, r, user.id) for r in rows
                    if r.status == "open" and r.opens_at <= now < r.closes_at and self._assigned(r, user)]

"""HR's campaign report and its CSV (HR and admins: ``MANAGE_CAMPAIGNS``)."""

from __future__ import annotations

from statistics import mean

from db.models import Attempt
from db.repositories.grades import report_of
from grading.rubric import parse_rubric, reading_stored
from services.auth import Actor
from services.certification.review import Review
from services.certification.views import CSV_FIELDS, CampaignReport, CampaignRow, WeakSpot
from services.export import csv_text


class HRReport(Review):
    def report(self, actor: Actor, campaign_id: int) -> CampaignReport:
        self._admin(actor)
        with self.work() as uow:
            campaign = self._campaign(uow, campaign_id)
            view = self._view(uow, campaign)
            assigned = uow.campaigns.assigned_users(campaign)
            attempts = uow.campaigns.attempts_of(campaign_id)
            out = CampaignReport(view, assigned=len(assigned))
            by_user: dict[int, list[Attempt]] = {}
            for a in attempts:
                by_user.setdefault(a.user_id, []).append(a)
            out.started = len(by_user)
            out.completed = sum(1 for tries in by_user.values() if any(a.status != "active" for a in tries))
            out.passed = sum(1 for tries in by_user.values() if any(a.outcome == "passed" for a in tries))
            out.awaiting_review = sum(1 for a in attempts if a.outcome == "review")
            out.decided = out.passed + sum(
                1 for tries in by_user.values()
                if not any(a.outcome == "passed" for a in tries) and any(a.status != "active" for a in tries)
                and not any(a.outcome in ("review", "pending") and a.status != "active" for a in tries))
            codes = uow.campaigns.certificate_codes([a.id for a in attempts])
            levels: dict[str, list[int]] = {}
            for a in attempts:
                for s in a.sessions:
                    grade = uow.grades.latest(s.id)
                    if grade is None:
                        continue
                    for c in report_of(grade).criteria:
                        if c.level is not None:
                            levels.setdefault(c.id, []).append(c.level)
            with reading_stored():  # a text frozen before the rubric had bounds
                frozen = parse_rubric(campaign.rubric_yaml) if campaign.rubric_yaml else None
            titles = {c.id: c.name for c in (frozen or self.grading.rubric.current().rubric).criteria}
            out.weak_spots = sorted((WeakSpot(cid, titles.get(cid, cid), round(mean(v), 2), len(v))
                                     for cid, v in levels.items()), key=lambda w: w.average_level)
            for user in assigned:
                tries = by_user.get(user.id, [])
                best = max((a.score for a in tries if a.score is not None), default=None)
                certified = next((a.id for a in reversed(tries) if a.id in codes), None)
                status = tries[-1].status if tries else "not started"
                left = self._left_at(tries[-1]) if status == "active" else None
                if left is not None:
                    status = f"left at {left:%H:%M} UTC (counts as abandoned)"
                out.rows.append(CampaignRow(
                    trainee=user.username, team=user.team or "", attempts=len(tries), status=status,
                    outcome=next((a.outcome for a in reversed(tries) if a.outcome != "pending"),
                                 "pending" if tries else ""),
                    best_score=best, certificate=codes.get(certified) if certified is not None else None,
                    certificate_attempt=certified))
            return out

    def report_csv(self, actor: Actor, campaign_id: int) -> str:
        """The report's rows as CSV (team names are typed by admins: formulas are neutralised)."""
        report = self.report(actor, campaign_id)
        return csv_text(CSV_FIELDS, (row.csv_row() for row in report.rows), lineterminator="\r\n")

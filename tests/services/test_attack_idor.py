"""Insecure direct object references, swept at the service layer on both databases: trainee ann owns one of
everything that has an id, and trainee bob calls every id-taking service method on her ids. Each method is found by
introspection and must have a rule in :data:`CASES` (or a reasoned entry in :data:`EXCLUDED`), so a new id-taking
method fails this suite until someone decides who may call it on whose ids.

Id-taking methods without an acting user are outside this sweep (no actor, nothing to authorize): the app's own
``auth.actor(user_id)`` (the logged-in user's id from the server-side session), ``grading.grade_if_ended`` (runs as
the system after a customer ends a chat) and ``login_sessions.is_active`` (checks the login session of the running
browser session)."""

from __future__ import annotations

import dataclasses
import inspect
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from db.models import utcnow
from services import AccessDenied, Actor, PracticeError, Services, build_services
from settings import Settings
from tests.conftest import agent_lines, make_people

HOLDER = "tab-1"  # ann's browser session on her attempt: bob is assumed to know (or guess) it
ACTOR_NAMES = frozenset({"actor", "acting", "acting_user", "as_user", "by", "user", "who"})
ID_NAMES = frozenset({"session_id", "chat_id", "rush_id", "attempt_id", "grade_id", "dispute_id", "campaign_id",
                      "user_id", "login_session_id", "branch_id", "team_id", "id", "session", "chat"})
INT = re.compile(r"(int|int \| None|None \| int|Optional\[int\])")
INTS = re.compile(r"(list|Sequence|Iterable|tuple|set|frozenset)\[int(, \.\.\.)?\]")


@dataclass
class World:
    s: Services
    ann: Actor
    bob: Actor
    root: Actor
    hazel: Actor  # HR
    ann_id: int
    chat: int  # ann's graded practice chat, still running (so a refusal is never just "it has ended")
    branch: int  # her "try a different reply" of it
    criterion: str  # a criterion of its grade, which she disputes
    dispute: int
    rush: int
    rush_chat: int
    campaign: int
    attempt: int  # completed and passed, with a certificate
    login: int
    team: int  # ann's team (red)
    secrets: tuple[str, ...]  # texts only ann (and the staff who may read her) may see


# Expected outcomes. DENIED: AccessDenied. REFUSED: any PracticeError (AccessDenied included). EMPTY: allowed for
# any trainee on any id, because the method is scoped to the caller: it must return nothing (falsy) of ann's.
# ALLOWED (HR's sweep only): not refused as forbidden (the state may still say no, e.g. opening an open campaign).
DENIED, REFUSED, EMPTY, ALLOWED = "denied", "refused", "empty", "allowed"
Call = Callable[[World], object]
LINE = "Could you tell me more about what happened?"
WHY = "Because I am bob and I say so."

CASES: dict[str, tuple[str, Call]] = {
    # practice: a chat is read by its trainee and the staff in scope, written by its trainee only
    "practice.end": (DENIED, lambda w: w.s.practice.end(w.bob, w.chat)),
    "practice.end_and_grade": (DENIED, lambda w: w.s.practice.end_and_grade(w.bob, w.chat)),
    "practice.ending_state": (DENIED, lambda w: w.s.practice.ending_state(w.bob, w.chat)),
    "practice.get": (DENIED, lambda w: w.s.practice.get(w.bob, w.chat)),
    "practice.retry": (DENIED, lambda w: w.s.practice.retry(w.bob, w.chat).finish()),
    "practice.send": (DENIED, lambda w: w.s.practice.send(w.bob, w.chat, LINE).finish()),
    # grading
    "grading.grade_session": (DENIED, lambda w: w.s.grading.grade_session(w.bob, w.chat)),
    "grading.latest": (DENIED, lambda w: w.s.grading.latest(w.bob, w.chat)),
    "grading.override": (DENIED, lambda w: w.s.grading.override(w.bob, w.chat, criterion_id=w.criterion, level=0,
                                                                reason=WHY)),
    "grading.report_for": (DENIED, lambda w: w.s.grading.report_for(w.bob, w.chat)),
    # review (trainers' comments and exemplars)
    "review.comment": (DENIED, lambda w: w.s.review.comment(w.bob, w.chat, turn=1, body=WHY)),
    "review.comments": (DENIED, lambda w: w.s.review.comments(w.bob, w.chat)),
    "review.export": (DENIED, lambda w: w.s.review.export(w.bob, [w.chat], "json")),
    # the exemplars among the ids given that the caller may read: ann's exemplar is not among bob's
    "review.exemplar_ids": (EMPTY, lambda w: w.s.review.exemplar_ids(w.bob, [w.chat, w.branch])),
    "review.mark_comments_seen": (DENIED, lambda w: w.s.review.mark_comments_seen(w.bob, w.chat)),
    "review.mark_exemplar": (DENIED, lambda w: w.s.review.mark_exemplar(w.bob, w.chat, exemplar=False)),
    # calibration
    "calibration.confirm": (DENIED, lambda w: w.s.calibration.confirm(w.bob, w.chat, w.criterion)),
    # disputes
    "disputes.decide": (DENIED, lambda w: w.s.disputes.decide(w.bob, w.dispute, uphold=True, reason=WHY, level=3)),
    "disputes.for_session": (DENIED, lambda w: w.s.disputes.for_session(w.bob, w.chat)),
    "disputes.mark_decisions_seen": (DENIED, lambda w: w.s.disputes.mark_decisions_seen(w.bob, w.chat)),
    "disputes.open": (DENIED, lambda w: w.s.disputes.open(w.bob, w.chat, w.criterion, WHY)),
    # branches and hints
    "branches.branch": (DENIED, lambda w: w.s.branches.branch(w.bob, w.chat, 1)),
    "branches.family": (DENIED, lambda w: w.s.branches.family(w.bob, w.chat)),
    "hints.hint": (DENIED, lambda w: w.s.hints.hint(w.bob, w.chat)),
    "hints.used": (DENIED, lambda w: w.s.hints.used(w.bob, w.chat)),
    # rush hour: "No rush hour with id N" (a PracticeError), the same for a missing and a forbidden one
    "rush.end": (REFUSED, lambda w: w.s.rush.end(w.bob, w.rush)),
    "rush.get": (REFUSED, lambda w: w.s.rush.get(w.bob, w.rush)),
    "rush.report": (REFUSED, lambda w: w.s.rush.report(w.bob, w.rush)),
    "rush.send": (REFUSED, lambda w: w.s.rush.send(w.bob, w.rush, w.rush_chat, LINE).finish()),
    "rush.tick": (REFUSED, lambda w: w.s.rush.tick(w.bob, w.rush, now=utcnow() + timedelta(hours=1))),
    # certification
    "certification.abandon": (DENIED, lambda w: w.s.certification.abandon(w.bob, w.attempt, holder=HOLDER)),
    "certification.attempt": (DENIED, lambda w: w.s.certification.attempt(w.bob, w.attempt, holder=HOLDER)),
    "certification.certificate_pdf": (DENIED, lambda w: w.s.certification.certificate_pdf(w.bob, w.attempt)),
    "certification.check_in": (DENIED, lambda w: w.s.certification.check_in(w.bob, w.attempt, holder=HOLDER,
                                                                           take_over=True)),
    "certification.close_campaign": (DENIED, lambda w: w.s.certification.close_campaign(w.bob, w.campaign)),
    "certification.expire_overdue": (DENIED, lambda w: w.s.certification.expire_overdue(w.bob, w.campaign)),
    "certification.heartbeat": (DENIED, lambda w: w.s.certification.heartbeat(w.bob, w.attempt, holder=HOLDER)),
    # the caller's own attempts in a campaign (the query is scoped to the caller): bob has none in ann's campaign
    "certification.my_attempts": (EMPTY, lambda w: w.s.certification.my_attempts(w.bob, w.campaign)),
    "certification.next_scenario": (DENIED, lambda w: w.s.certification.next_scenario(w.bob, w.attempt,
                                                                                     holder=HOLDER)),
    "certification.open_campaign": (DENIED, lambda w: w.s.certification.open_campaign(w.bob, w.campaign)),
    "certification.report": (DENIED, lambda w: w.s.certification.report(w.bob, w.campaign)),
    "certification.report_csv": (DENIED, lambda w: w.s.certification.report_csv(w.bob, w.campaign)),
    "certification.retry": (DENIED, lambda w: w.s.certification.retry(w.bob, w.attempt, holder=HOLDER).finish()),
    "certification.review": (DENIED, lambda w: w.s.certification.review(w.bob, w.attempt, outcome="failed",
                                                                       reason=WHY)),
    "certification.send": (DENIED, lambda w: w.s.certification.send(w.bob, w.attempt, LINE,
                                                                   holder=HOLDER).finish()),
    "certification.start_attempt": (DENIED, lambda w: w.s.certification.start_attempt(w.bob, w.campaign,
                                                                                     holder=HOLDER)),
    # accounts, teams and login sessions: admins only (HR: trainees' accounts and teams), except logging out
    "accounts.reset_password": (DENIED, lambda w: w.s.accounts.reset_password(w.bob, w.ann_id, "password-666")),
    "accounts.set_disabled": (DENIED, lambda w: w.s.accounts.set_disabled(w.bob, w.ann_id, True)),
    "accounts.unlock": (DENIED, lambda w: w.s.accounts.unlock(w.bob, w.ann_id)),
    "accounts.update": (DENIED, lambda w: w.s.accounts.update(w.bob, w.ann_id, full_name="Ann Pwned", role="admin",
                                                              team="blue")),
    "teams.delete": (DENIED, lambda w: w.s.teams.delete(w.bob, w.team)),
    "teams.rename": (DENIED, lambda w: w.s.teams.rename(w.bob, w.team, "Red")),
    "login_sessions.active_count": (DENIED, lambda w: w.s.login_sessions.active_count(w.bob, w.ann_id)),
    # logging out revokes the id only together with the caller's own user id (one query), and says nothing either
    # way, so it neither ends ann's login nor tells bob that the id exists (checked by the snapshot below)
    "login_sessions.end": (EMPTY, lambda w: w.s.login_sessions.end(w.bob, w.login)),
    "login_sessions.revoke_user": (DENIED, lambda w: w.s.login_sessions.revoke_user(w.bob, w.ann_id)),
}

#: What HR (hazel) may do on ann's ids, where it differs from a trainee's :data:`CASES`: her certification results
#: (reading, reviewing, certificates, HR's reports, the campaign) and her trainee account and team. Everything else
#: (her practice chats, grades, comments, disputes, rush hours, login sessions, giving her another role) is refused
#: as it is to bob.
HR: dict[str, str] = {
    **{name: expected for name, (expected, _) in CASES.items()},
    "certification.attempt": ALLOWED, "certification.certificate_pdf": ALLOWED,
    "certification.close_campaign": ALLOWED, "certification.expire_overdue": ALLOWED,
    "certification.open_campaign": ALLOWED, "certification.report": ALLOWED, "certification.report_csv": ALLOWED,
    "certification.review": ALLOWED, "accounts.reset_password": ALLOWED, "accounts.set_disabled": ALLOWED,
    "accounts.unlock": ALLOWED, "teams.delete": ALLOWED, "teams.rename": ALLOWED,
}

#: Id-taking methods with an actor that pages never call: composition hooks taking the caller's unit of work
#: (``uow``), called by another use case after it has authorized the actor (a trainee cannot reach them).
EXCLUDED: dict[str, str] = {
    "practice.start_in": "uow hook: start, rush.start (a rush it has just created) and certification pass ids",
    "practice.end_in": "uow hook: end and certification's next scenario; it checks can_change itself",
    "grading.gradable_in": "uow hook: grade_session and certification's ending of an attempt; checks can_read",
    "grading.override_in": "uow hook (static): override and disputes.decide, after their permission checks",
    "grading.store_in": "uow hook (static; actor is a username): stores a grade gradable_in allowed",
}


def _text(annotation: object) -> str:
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))


def _takes_id(p: inspect.Parameter) -> bool:
    kind = _text(p.annotation)
    if p.name in ID_NAMES and (p.annotation is inspect.Parameter.empty or INT.fullmatch(kind)):
        return True
    return (p.name.endswith("_id") and bool(INT.fullmatch(kind))) or (
        p.name.endswith("_ids") and bool(INTS.fullmatch(kind)))


def id_taking_methods() -> set[str]:
    """Every public method of every service in ``Services`` with an acting user and an integer id parameter."""
    found = set()
    for field in dataclasses.fields(Services):
        service = typing.get_type_hints(Services)[field.name]
        for name, method in inspect.getmembers(service, callable):
            if name.startswith("_") or inspect.isclass(method):
                continue
            params = list(inspect.signature(method).parameters.values())
            if any(p.name in ACTOR_NAMES or "Actor" in _text(p.annotation) for p in params) and any(
                    _takes_id(p) for p in params):
                found.add(f"{field.name}.{name}")
    return found


def test_every_id_taking_method_has_a_rule() -> None:
    found = id_taking_methods()
    assert not set(CASES) & set(EXCLUDED)
    assert sorted(found - set(CASES) - set(EXCLUDED)) == [], "new id-taking methods: add them to CASES"
    assert sorted((set(CASES) | set(EXCLUDED)) - found) == [], "stale entries: these no longer take ids"


def build_world(settings: Settings) -> World:
    s = build_services(settings)
    people = make_people(s)
    ann, bob, root, hazel = people["ann"], people["bob"], people["root"], people["hazel"]
    assert isinstance(ann, Actor) and isinstance(bob, Actor) and isinstance(root, Actor) and ann.id is not None
    assert isinstance(hazel, Actor)
    lines = agent_lines("hostile")
    view = s.practice.start(ann, persona_slug="hostile", seed=1).finish()
    assert view is not None
    view = s.practice.send(ann, view.id, lines[0]).finish()
    assert view is not None and view.active
    chat = view.id
    hint = s.hints.hint(ann, chat)
    grade = s.grading.grade_session(ann, chat)
    criterion = grade.report.criteria[0].id
    dispute = s.disputes.open(ann, chat, criterion, "Ann thinks the grader misread her apology.")
    branch = s.branches.branch(ann, chat, 1)
    s.review.comment(root, chat, turn=1, body="Root's private note to ann about her opening.")
    s.review.mark_exemplar(root, chat, exemplar=True, note="Root's exemplar note.")
    rush = s.rush.start(ann, seed=2)
    rush_chat = s.rush.get(ann, rush).customers[0].chat.id
    s.rush.send(ann, rush, rush_chat, "Ann's own words to her first rush customer, sorry for the wait.").finish()
    spec: dict[str, Any] = {"name": "Q4 certification", "scenarios": [("hostile", "normal")], "pass_mark": 70,
                            "attempts_allowed": 1, "time_limit_minutes": 30, "opens_at": utcnow() - timedelta(hours=1),
                            "closes_at": utcnow() + timedelta(days=7), "trainees": ["ann"], "teams": [],
                            "review_margin": 0}
    campaign = s.certification.create_campaign(root, spec).id
    s.certification.open_campaign(root, campaign)
    attempt = s.certification.start_attempt(ann, campaign, holder=HOLDER)
    for line in lines:
        if not s.practice.get(ann, attempt.session_id or 0).active:
            break
        s.certification.send(ann, attempt.id, line, holder=HOLDER).finish()
    done = s.certification.next_scenario(ann, attempt.id, holder=HOLDER)
    assert (done.status, done.outcome) == ("completed", "passed") and done.certificate, done.rule
    login = s.login_sessions.open(ann).login_session_id
    team = next(t.id for t in s.teams.teams(root) if t.name == "red")
    texts = [m.content for c in (chat, branch, *done.session_ids) for m in s.practice.get(root, c).messages]
    texts += [m.content for c in s.rush.get(root, rush).customers for m in c.chat.messages]
    texts += [e.quote for c in grade.report.criteria for e in c.evidence] + [e.note for c in grade.report.criteria
                                                                              for e in c.evidence]
    texts += [hint.text, dispute.reason, done.certificate, "Root's private note", "Root's exemplar note"]
    return World(s, ann, bob, root, hazel, ann.id, chat, branch, criterion, dispute.id, rush, rush_chat, campaign,
                 attempt.id, login, team, tuple(sorted({t for t in texts if len(t.strip()) >= 8})))


def leaks(w: World, text: str) -> list[str]:
    """Ann's texts (and her name) found in ``text``."""
    found = [t[:40] for t in w.secrets if t in text]
    return found + (["the username 'ann'"] if re.search(r"\bann\b", text, re.IGNORECASE) else [])


def snapshot(w: World) -> dict[str, object]:
    """Everything of ann's the sweep could change, read by the admin (and the system)."""
    s, root = w.s, w.root
    grade = s.grading.latest(root, w.chat)
    assert grade is not None
    attempt = s.certification.attempt(root, w.attempt)
    account = next(a for a in s.accounts.accounts(root) if a.id == w.ann_id)
    return {
        "chat": [(m.seq, m.role, m.content) for m in s.practice.get(root, w.chat).messages],
        "chat active": s.practice.get(root, w.chat).active,
        "branch": [(m.seq, m.content) for m in s.practice.get(root, w.branch).messages],
        "family": [b.session_id for b in s.branches.family(root, w.chat)],
        "grade": (grade.id, grade.report.overall, [(c.id, c.level) for c in grade.report.criteria]),
        "hints": [(h.turn, h.text) for h in s.hints.used(root, w.chat)],
        "disputes": [(d.id, d.status, d.decided_level) for d in s.disputes.for_session(root, w.chat)],
        "comments": s.review.comments(root, w.chat),
        "exemplars": s.review.exemplar_ids(root, [w.chat]),
        "rush": [(c.chat.id, len(c.chat.messages), c.chat.active) for c in s.rush.get(root, w.rush).customers],
        "rush ended": s.rush.get(root, w.rush).ended_at,
        "attempt": (attempt.status, attempt.outcome, attempt.score, attempt.session_ids, attempt.certificate,
                    attempt.reviews, attempt.number),
        "campaign": [(c.id, c.status) for c in s.certification.campaigns(root)],
        "certificate": s.certification.verify_certificate(attempt.certificate or "").valid,
        "account": (account.role, account.team, account.full_name, account.disabled, account.locked_until),
        "password": s.auth.login("ann", "password-1").id,
        "login": (s.login_sessions.is_active(w.login), s.login_sessions.active_count(root, w.ann_id)),
        "teams": [(t.id, t.name, t.members) for t in s.teams.teams(root)],
    }


def sweep(w: World, expectations: dict[str, str]) -> list[str]:
    """Every case called as ``w.bob`` (the caller under test): what went otherwise than ``expectations`` says, and
    what of ann's changed. ALLOWED cases run last, after the check that nothing else changed."""
    before = snapshot(w)
    problems: list[str] = []
    for name, (_, call) in sorted(CASES.items()):
        expected = expectations[name]
        if expected == ALLOWED:
            continue
        try:
            result = call(w)
        except PracticeError as exc:  # AccessDenied is a PracticeError
            if expected == EMPTY or (expected == DENIED and not isinstance(exc, AccessDenied)):
                problems.append(f"{name}: expected {expected}, got {type(exc).__name__}: {exc}")
            if leaked := leaks(w, str(exc)):
                problems.append(f"{name}: the refusal reveals {leaked}: {exc}")
            continue
        except Exception as exc:  # a crash is no refusal (and may say too much)
            problems.append(f"{name}: expected {expected}, crashed with {type(exc).__name__}: {exc}")
            continue
        if expected != EMPTY:
            problems.append(f"{name}: expected {expected}, but bob was allowed: {str(result)[:300]}")
        elif result:
            problems.append(f"{name}: bob got something of ann's: {str(result)[:300]}")
    after = snapshot(w)
    problems += [f"ann's {key} changed: {before[key]!r} -> {after[key]!r}" for key in before
                 if before[key] != after[key]]
    for name, (_, call) in sorted(CASES.items()):
        if expectations[name] != ALLOWED:
            continue
        try:
            call(w)
        except AccessDenied as exc:
            problems.append(f"{name}: expected allowed, got AccessDenied: {exc}")
        except PracticeError:  # allowed, but the state says no (the campaign is open already, the team is used)
            pass
    return problems


def test_bob_reaches_nothing_of_anns(settings: Settings) -> None:
    w = build_world(settings)
    for readable in (w.s.practice.get(w.root, w.chat), w.s.grading.latest(w.root, w.chat),
                     w.s.disputes.for_session(w.root, w.chat), w.s.rush.report(w.root, w.rush)):
        assert leaks(w, str(readable)), readable  # the detector sees what bob must not
    problems = sweep(w, {name: expected for name, (expected, _) in CASES.items()})
    assert problems == [], "\n".join(problems)


def test_hr_reaches_anns_certification_and_account_only(settings: Settings) -> None:
    """HR (hazel) on every id of ann's: her certification results and her trainee account are HR's; her practice
    chats, grades, disputes, rush hours and login sessions are not, and she cannot be given another role."""
    assert set(HR) == set(CASES)
    w = build_world(settings)
    problems = sweep(dataclasses.replace(w, bob=w.hazel), HR)  # the cases call as ``w.bob``
    assert problems == [], "\n".join(problems)
    assert w.s.certification.attempt(w.hazel, w.attempt).reviews[0].by == "hazel"  # the allowed review ran


def test_a_trainee_cannot_join_a_chat_to_anothers_attempt() -> None:
    """The sweep found it: ``practice.start`` took an ``attempt_id`` from anyone, so bob could add a chat to ann's
    running attempt (her next message was refused, and she could not move on). Only the certification service
    starts an attempt's chat now, through ``start_in`` in its own transaction."""
    import inspect

    from services import PracticeService

    assert "attempt_id" not in inspect.signature(PracticeService.start).parameters

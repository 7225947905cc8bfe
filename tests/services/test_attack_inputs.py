"""Every form's typed input, oversized and malformed, sent straight to the service the form calls.

The browser's ``max_chars`` is no defence: whoever speaks Streamlit's websocket protocol sends any value. So each
service must refuse on its own with a short, plain :class:`PracticeError` and store nothing, or accept a value
within its documented limits; never another exception, never a hang. The table ``CASES`` maps each form field
(page, form, field) to the call the page makes with it, as the actor who may make it."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import pytest
from argon2 import PasswordHasher
from sqlalchemy import String, func, select

import db.models_access
import db.models_calibration
import db.models_practice  # noqa: F401  (their tables join the metadata scanned below)
from db.models import Base, utcnow
from personas.loader import PersonaCheck
from services import Actor, FirstRunService, PracticeError, ReviewFilters, Services, build_services
from services.rubric_editor import RubricCheck, Sample
from settings import Settings
from tests.conftest import ROOT, make_people

SECONDS = 10
LINE = "I'm so sorry about the missed deliveries. Can I have your order number?"
CLIENT = "203.0.113.9"
#: The longest text any form may store (the rubric's YAML, 200,000 characters); a stored megabyte is a defect.
LONGEST_STORED = 200_000
#: Tables written on purpose when a call is refused: rate-limit counters (and, for logins, the audit of the try).
COUNTERS = {"rate_limits"}
BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in itertools.pairwise("abcdefghij"))
ATTACKS: dict[str, Any] = {
    "1,000,000 characters": "x" * 1_000_000,
    "NUL and control characters": "ok\x00nul \x01\x07\x08\x0b\x1b[31mred\x1b[0m \x7f\u202eevil\u202c\ufeff end",
    "10,000 lines": "line\n" * 10_000,
    "4,000 control characters": "\x07\x1b\x0b\u202e" * 1000,
    "3,999 blank lines": "a" + "\n" * 3999,
    "billion-laughs aliases": BOMB,
    "lists nested 10,000 deep": "[" * 10_000 + "]" * 10_000,
    "python object tag": '!!python/object/apply:os.system ["echo pwned > pwned"]\n',
    "broken JSON": '{"slug": "x", "name": [1, 2,, }',
    "int-looking string": "70",
    "5,000-digit string": "9" * 5000,
    "overflowing float string": "1e400",
    "largest int64": 2**63 - 1,
    "smallest int64": -(2**63),
    "largest safe browser integer": 2**53 - 1,
}
TEXT = ("1,000,000 characters", "NUL and control characters", "10,000 lines")
YAML = (*TEXT, "billion-laughs aliases", "lists nested 10,000 deep", "python object tag", "broken JSON")
NUMBER_STRINGS = ("int-looking string", "5,000-digit string", "overflowing float string")
INTS = ("largest int64", "smallest int64", "largest safe browser integer")


class World:
    """One database with the role-matrix cast; what a case needs (a chat, a grade, an attempt) is made once."""

    def __init__(self, settings: Settings, people: bool) -> None:
        self.settings = settings
        self.s: Services = build_services(settings)
        self.p = cast(dict[str, Actor], make_people(self.s) if people else {})
        self.n = itertools.count(1)

    def start(self) -> int:
        view = self.s.practice.start(self.p["ann"], persona_slug="hostile", seed=1).finish()
        assert view is not None
        return view.id

    @cached_property
    def chat(self) -> int:
        return self.start()

    @cached_property
    def branch(self) -> int:
        """Ann's "try a different reply" of her first turn: a new chat waiting for her different reply."""
        chat = self.start()
        self.s.practice.send(self.p["ann"], chat, LINE).finish()
        return self.s.branches.branch(self.p["ann"], chat, 1)

    @cached_property
    def graded(self) -> tuple[int, str]:
        chat = self.start()
        self.s.practice.send(self.p["ann"], chat, LINE).finish()
        stored = self.s.practice.end_and_grade(self.p["ann"], chat)
        assert stored is not None
        return chat, stored.report.criteria[0].id

    @cached_property
    def dispute(self) -> int:
        return self.s.disputes.open(self.p["ann"], *self.graded, "The level is wrong: I did apologise.").id

    @cached_property
    def rush(self) -> tuple[int, int]:
        rush_id = self.s.rush.start(self.p["ann"], ["hostile", "discount-demander"], difficulty="easy")
        return rush_id, self.s.rush.get(self.p["ann"], rush_id).customers[0].chat.id

    def spec(self, **changes: Any) -> dict[str, Any]:
        spec = {"name": f"Campaign {next(self.n)}", "scenarios": [("hostile", "normal")], "attempts_allowed": 2,
                "opens_at": utcnow() - timedelta(hours=1), "closes_at": utcnow() + timedelta(days=7),
                "trainees": ["ann"]}
        return spec | changes

    @cached_property
    def campaign(self) -> int:
        view = self.s.certification.create_campaign(self.p["root"], self.spec())
        self.s.certification.open_campaign(self.p["root"], view.id)
        return view.id

    @cached_property
    def attempt(self) -> int:
        """Ann's running attempt, held by her tab "tab-1", the customer's opening line shown."""
        return self.s.certification.start_attempt(self.p["ann"], self.campaign, holder="tab-1").id

    @cached_property
    def ended_attempt(self) -> int:
        cert, ann = self.s.certification, self.p["ann"]
        attempt = cert.start_attempt(ann, self.campaign, holder="tab-1").id
        cert.send(ann, attempt, LINE, holder="tab-1").finish()
        cert.abandon(ann, attempt, holder="tab-1")
        return attempt

    @cached_property
    def red(self) -> int:
        return next(t.id for t in self.s.teams.teams(self.p["root"]) if t.name == "red")

    def persona(self) -> str:
        """The hostile persona's text with a new title: a change that publishes as a new version."""
        text = self.s.scenarios.version_yaml(self.p["tina"], "hostile")
        return re.sub(r"(?m)^title:.*$", f'title: "Hostile, take {next(self.n)}"', text, count=1)

    def rubric(self) -> str:
        return re.sub(r"(?m)^pass_mark:.*$", f"pass_mark: {60 + next(self.n)}", self.s.rubrics.version_yaml(
            self.p["tina"]), count=1)

    @cached_property
    def level(self) -> str:
        """The form's key of the first criterion's level 0 meaning."""
        rubric = self.s.rubrics.check(self.p["tina"], self.rubric()).rubric
        assert rubric is not None
        return f"{rubric.criteria[0].id}.level.0"


def _first_admin(w: World, **given: str | None) -> Actor:
    args: dict[str, Any] = {"username": "first", "password": "password-1", "token": None, "client": "127.0.0.1"} | given
    return w.s.first_run.create_first_admin(**args)


def _production_first_admin(w: World, token: str) -> Actor:
    """The first admin outside development: the setup token is checked (a valid username and password)."""
    first_run = FirstRunService(w.s.auth.sessions, w.settings.model_copy(update={"environment": "production"}))
    return first_run.create_first_admin(username="first", password="password-1", token=token, client=CLIENT)


def _checked(check: PersonaCheck | RubricCheck) -> object:
    """What the editor's check found: a text that is not a persona (a rubric) is refused as publishing refuses it."""
    found = check.persona if isinstance(check, PersonaCheck) else check.rubric
    if found is None:
        raise PracticeError("; ".join(str(e) for e in check.errors[:3]))
    return found


def _send_then_hint(w: World, value: str) -> object:
    w.s.practice.send(w.p["ann"], w.chat, value).finish()
    return w.s.hints.hint(w.p["ann"], w.chat)


@dataclass(frozen=True)
class Case:
    """``call`` is what the page does with the typed ``value``; ``probe`` what it would change, beyond row counts.

    ``limit``: the longest value the service documents accepting (None: it bounds what it stores itself)."""

    call: Callable[[World, Any], object]
    inputs: tuple[str, ...] = TEXT
    limit: int | None = None
    setup: Callable[[World], object] = lambda w: None
    probe: Callable[[World], object] = lambda w: None
    people: bool = True
    audited: bool = False


def _accounts(w: World) -> object:
    return [(a.username, a.full_name, a.role, a.team) for a in w.s.accounts.accounts(w.p["root"])]


def _teams(w: World) -> object:
    return w.s.teams.names(w.p["root"])


CASES: dict[str, Case] = {
    # ui/login.py
    "login form: username": Case(lambda w, v: w.s.auth.login(v, "password-1", client=CLIENT), audited=True),
    "login form: password": Case(lambda w, v: w.s.auth.login("ann", v, client=CLIENT), audited=True),
    "first admin form: username": Case(lambda w, v: _first_admin(w, username=v), people=False, audited=True),
    "first admin form: password": Case(lambda w, v: _first_admin(w, password=v), people=False, audited=True),
    "first admin form: setup token": Case(_production_first_admin, people=False, audited=True),
    # ui/accounts.py (Settings page, an admin)
    "new account form: username": Case(lambda w, v: w.s.auth.create_user(
        w.p["root"], username=v, role="trainee", password="password-9"), limit=40, probe=_accounts),
    "new account form: full name": Case(lambda w, v: w.s.auth.create_user(
        w.p["root"], username="newbie", role="trainee", password="password-9", full_name=v), limit=80),
    "new account form: password": Case(lambda w, v: w.s.auth.create_user(
        w.p["root"], username="newbie", role="trainee", password=v), limit=256),
    "change account form: full name": Case(lambda w, v: w.s.accounts.update(
        w.p["root"], w.p["ann"].id or 0, full_name=v, role="trainee", team="red"), limit=80, probe=_accounts),
    "reset password form: password": Case(lambda w, v: w.s.accounts.reset_password(
        w.p["root"], w.p["ann"].id or 0, v), limit=256),
    "add team form: name": Case(lambda w, v: w.s.teams.create(w.p["root"], v), limit=60, probe=_teams),
    "rename team form: name": Case(lambda w, v: w.s.teams.rename(w.p["root"], w.red, v), limit=60,
                                   setup=lambda w: w.red, probe=_teams),
    # pages/chat.py, pages/rush.py, pages/certification.py (ann's chat boxes)
    "chat box: reply": Case(lambda w, v: w.s.practice.send(w.p["ann"], w.chat, v).finish(), limit=4000,
                            setup=lambda w: w.chat),
    "chat box: different reply in a branch": Case(lambda w, v: w.s.practice.send(
        w.p["ann"], w.branch, v).finish(), limit=4000, setup=lambda w: w.branch),
    "chat hint button: after a hostile reply": Case(_send_then_hint, limit=4000, setup=lambda w: w.chat, inputs=(
        *TEXT, "4,000 control characters", "3,999 blank lines")),
    "rush hour box: reply": Case(lambda w, v: w.s.rush.send(w.p["ann"], *w.rush, v).finish(), limit=4000,
                                 setup=lambda w: w.rush),
    "certification box: reply": Case(lambda w, v: w.s.certification.send(
        w.p["ann"], w.attempt, v, holder="tab-1").finish(), limit=4000, setup=lambda w: w.attempt),
    # pages/report.py
    "report dispute form: reason": Case(lambda w, v: w.s.disputes.open(w.p["ann"], *w.graded, v), limit=2000,
                                        setup=lambda w: w.graded),
    "report override form: reason": Case(lambda w, v: w.s.grading.override(
        w.p["tina"], w.graded[0], criterion_id=w.graded[1], level=1, reason=v), limit=2000,
        setup=lambda w: w.graded),
    "report comment form: comment": Case(lambda w, v: w.s.review.comment(w.p["tina"], w.graded[0], turn=1, body=v),
                                         limit=4000, setup=lambda w: w.graded),
    # pages/cert_review.py
    "dispute decision form: reason": Case(lambda w, v: w.s.disputes.decide(
        w.p["tina"], w.dispute, uphold=False, reason=v), limit=2000, setup=lambda w: w.dispute),
    "attempt review form: reason": Case(lambda w, v: w.s.certification.review(
        w.p["tina"], w.ended_attempt, outcome="failed", reason=v), setup=lambda w: w.ended_attempt),
    # pages/scenarios.py (tina, a trainer)
    "scenario YAML form: check": Case(lambda w, v: _checked(w.s.scenarios.check(w.p["tina"], v)), YAML, 100_000),
    "scenario YAML form: save draft": Case(lambda w, v: w.s.scenarios.save_draft(w.p["tina"], "hostile", v), YAML,
                                           100_000, probe=lambda w: w.s.scenarios.draft(w.p["tina"], "hostile")),
    "scenario publish button: YAML": Case(lambda w, v: w.s.scenarios.publish(w.p["tina"], v, note="x"), YAML,
                                          100_000, probe=lambda w: w.s.scenarios.versions(w.p["tina"], "hostile")),
    "scenario publish: what changed": Case(lambda w, v: w.s.scenarios.publish(w.p["tina"], w.persona(), note=v)),
    "scenario form: summary": Case(lambda w, v: w.s.scenarios.save_draft(w.p["tina"], "hostile", w.s.scenarios
                                   .apply_form(w.p["tina"], w.persona(), {"summary": v}))),
    "scenario form: walk away after (number)": Case(lambda w, v: w.s.scenarios.save_draft(
        w.p["tina"], "hostile", w.s.scenarios.apply_form(w.p["tina"], w.persona(), {"walk_away_after": v})),
        NUMBER_STRINGS),
    "scenario form tab: on the YAML view's text": Case(lambda w, v: (w.s.scenarios.form_values(v), w.s.scenarios
                                                       .apply_form(w.p["tina"], v, {"summary": "Calm."})), YAML),
    "scenario test chat: agent reply": Case(lambda w, v: w.s.scenarios.test_chat(
        w.p["tina"], w.persona(), difficulty="normal", agent_messages=[v]), limit=4000),
    # pages/rubric.py (tina drafts and tests; root publishes)
    "rubric YAML form: check": Case(lambda w, v: _checked(w.s.rubrics.check(w.p["tina"], v)), YAML, 200_000),
    "rubric YAML form: save draft": Case(lambda w, v: w.s.rubrics.save_draft(w.p["tina"], v), YAML, 200_000,
                                         probe=lambda w: w.s.rubrics.draft(w.p["tina"])),
    "rubric publish button: YAML": Case(lambda w, v: w.s.rubrics.publish(w.p["root"], v), YAML, 200_000,
                                        probe=lambda w: w.s.rubrics.versions(w.p["tina"])),
    "rubric test form: draft YAML": Case(lambda w, v: w.s.rubrics.test_draft(w.p["tina"], v, Sample()), YAML,
                                         200_000),
    "rubric test form: last N chats (number)": Case(lambda w, v: w.s.rubrics.test_draft(
        w.p["tina"], w.rubric(), Sample(last=v)), INTS),
    "rubric form tab: on the YAML view's text": Case(lambda w, v: (w.s.rubrics.form_values(v), w.s.rubrics
                                                     .apply_form(w.p["tina"], v, {"pass_mark": 70})), YAML),
    "rubric publish: what changed": Case(lambda w, v: w.s.rubrics.publish(w.p["root"], w.rubric(), note=v)),
    "rubric form: level meaning": Case(lambda w, v: w.s.rubrics.save_draft(w.p["tina"], w.s.rubrics.apply_form(
        w.p["tina"], w.rubric(), {w.level: v})), setup=lambda w: w.level),
    "rubric form: pass mark (number)": Case(lambda w, v: w.s.rubrics.save_draft(w.p["tina"], w.s.rubrics.apply_form(
        w.p["tina"], w.rubric(), {"pass_mark": v})), NUMBER_STRINGS),
    # pages/campaigns.py (root), pages/verify.py (anyone), pages/review.py (tina)
    "campaign form: name": Case(lambda w, v: w.s.certification.create_campaign(w.p["root"], w.spec(name=v)),
                                limit=120),
    "campaign form: numbers as strings": Case(lambda w, v: w.s.certification.create_campaign(w.p["root"], w.spec(
        pass_mark=v, time_limit_minutes=v)), NUMBER_STRINGS),
    "verify form: certificate code": Case(lambda w, v: w.s.certification.check_certificate(v, client=CLIENT),
                                          people=False),
    "review page number": Case(lambda w, v: w.s.review.browse(w.p["tina"], ReviewFilters(), page=v), INTS),
}


def row_counts(w: World, audited: bool) -> dict[str, int]:
    skip = COUNTERS | ({"audit_log"} if audited else set())
    with w.s.auth.sessions() as db:
        return {t.name: db.scalar(select(func.count()).select_from(t)) or 0
                for t in Base.metadata.sorted_tables if t.name not in skip}


def longest_stored(w: World) -> tuple[int, str]:
    """The longest text value in any column of any table, and where it is."""
    best = (0, "")
    with w.s.auth.sessions() as db:
        for table in Base.metadata.sorted_tables:
            for column in (c for c in table.columns if isinstance(c.type, String)):
                found = db.scalar(select(func.max(func.length(column)))) or 0
                best = max(best, (found, f"{table.name}.{column.name}"))
    return best


def refusal_problems(message: str, value: object) -> list[str]:
    out = []
    if len(message) >= 500:
        out.append(f"the message is {len(message):,} characters long")
    out += [f"the message mentions {m!r}" for m in ("traceback", "sqlalchemy", "psycopg", "sqlite3", 'file "')
            if m in message.lower()]
    if isinstance(value, str) and any(message[i:i + 201] in value for i in range(len(message) - 200)):
        out.append("the message echoes more than 200 characters of the input")
    return out


def pwned_files(tmp_path: Path) -> set[Path]:
    return {p for p in (tmp_path / "pwned", ROOT / "pwned", Path("/tmp/pwned"), Path.home() / "pwned") if p.exists()}


def attack(w: World, case: Case, label: str, tmp_path: Path) -> list[str]:
    """Send one attack; what went wrong, if anything."""
    value = ATTACKS[label]
    counts, probed, pwned = row_counts(w, case.audited), case.probe(w), pwned_files(tmp_path)
    started = time.monotonic()
    refusal: PracticeError | None = None
    try:
        case.call(w, value)
    except PracticeError as exc:
        refusal = exc
    except Exception as exc:  # what this test is for: no service may fail any other way
        return [f"raised {type(exc).__name__} (not a PracticeError): {str(exc)[:300]!r}"]
    finally:
        elapsed = time.monotonic() - started
    problems = [f"took {elapsed:.1f} s (the bound is {SECONDS} s)"] if elapsed >= SECONDS else []
    if pwned_files(tmp_path) - pwned:
        problems.append("a file named 'pwned' was created: the YAML tag ran a command")
    if refusal is not None:
        problems += refusal_problems(str(refusal), value)
        if row_counts(w, case.audited) != counts or case.probe(w) != probed:
            problems.append(f"refused ({str(refusal)[:120]!r}) but something was stored")
    elif case.limit is not None and isinstance(value, str) and len(value) > case.limit:
        problems.append(f"accepted a {len(value):,}-character value; the documented limit is {case.limit:,}")
    longest, where = longest_stored(w)
    if longest > LONGEST_STORED:
        problems.append(f"{where} now holds a {longest:,}-character value")
    return problems


@pytest.mark.parametrize("name", list(CASES))
def test_attack_inputs_are_refused_plainly(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          name: str) -> None:
    monkeypatch.chdir(tmp_path)  # a command smuggled in through YAML would leave its file here
    monkeypatch.setattr("services.auth._hasher", PasswordHasher(time_cost=1, memory_cost=1024))  # speed only
    case = CASES[name]
    w = World(settings, case.people)
    case.setup(w)
    failures = [f"{name} <- {label}: {problem}" for label in case.inputs
                for problem in attack(w, case, label, tmp_path)]
    assert not failures, "\n".join(failures)


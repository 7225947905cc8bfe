"""Certification on both databases: campaigns, the attempt race, outcomes, reviews, certificates, audit."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from db.models import utcnow
from services import AccessDenied, Actor, PracticeError, Services, build_services
from services.certification import CertificationService
from settings import Settings
from tests.conftest import agent_lines, make_people, run_sql
from tests.db.test_cli import db_cli

SYSTEM = Actor.system()


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    services = build_services(settings)
    return {"services": services, "people": make_people(services), "url": settings.database_url}


def campaign(services: Services, **changes: Any) -> int:
    spec: dict[str, Any] = {"name": "Q4 certification", "scenarios": [("hostile", "normal")], "pass_mark": 70,
                            "attempts_allowed": 1, "time_limit_minutes": 30, "opens_at": utcnow() - timedelta(hours=1),
                            "closes_at": utcnow() + timedelta(days=7), "trainees": ["ann"], "teams": []}
    spec.update(changes)
    view = services.certification.create_campaign(SYSTEM, spec)
    services.certification.open_campaign(SYSTEM, view.id)
    return view.id


def take(services: Services, actor: Actor, campaign_id: int, lines: list[str], holder: str = "tab-1") -> int:
    attempt = services.certification.start_attempt(actor, campaign_id, holder=holder)
    while True:
        for line in lines:
            current = services.certification.attempt(actor, attempt.id, holder=holder)
            if not current.active:
                return attempt.id
            session = services.practice.get(actor, current.session_id or 0)
            if not session.active:
                break
            services.certification.send(actor, attempt.id, line, holder=holder).finish()
        view = services.certification.next_scenario(actor, attempt.id, holder=holder)
        if not view.active:
            return attempt.id


def test_only_admins_create_campaigns_and_bad_specs_are_named(world: dict[str, Any]) -> None:
    services, people = world["services"], world["people"]
    for who in ("ann", "tina"):
        with pytest.raises(AccessDenied):
            services.certification.create_campaign(people[who], {})
    cases = [({"scenarios": [("nobody", "normal")]}, "Unknown persona(s): nobody"),
             ({"scenarios": [("hostile", "brutal")]}, "unknown difficulty 'brutal'"),
             ({"trainees": ["zed"]}, "Unknown trainee(s): zed"),
             ({"closes_at": utcnow() - timedelta(days=1)}, "closes_at must be after opens_at"),
             ({"criterion_minimums": {"charm": 2}}, "Unknown criteria: charm"),
             ({"attempts_allowed": 0}, "attempts_allowed: Input should be greater than or equal to 1")]
    for change, message in cases:
        with pytest.raises(PracticeError, match=message.replace("(", r"\(").replace(")", r"\)")):
            campaign(services, **change)


def test_opening_freezes_persona_and_rubric_versions(world: dict[str, Any]) -> None:
    services, ann = world["services"], world["people"]["ann"]
    campaign_id = campaign(services)
    frozen = services.certification.campaigns(SYSTEM)[0]
    assert frozen.status == "open" and frozen.rubric_version and frozen.scenarios[0][2]
    text_v2 = services.scenarios.version_yaml(SYSTEM, "hostile").replace("name: Derek Malone", "name: Derek II")
    services.scenarios.publish(SYSTEM, text_v2)  # a later edit: a new version
    attempt = services.certification.start_attempt(ann, campaign_id, holder="tab-1")
    session = services.practice.get(ann, attempt.session_id or 0)
    assert session.persona_name == "Derek II"  # the catalog's newest name is shown ...
    with services.practice.sessions() as db:
        pinned = db.execute(text("select persona_version, mode from practice_sessions")).one()
    assert pinned == (frozen.scenarios[0][2], "certification")  # ... but the chat runs on the frozen version


def test_two_tabs_starting_at_the_same_moment_get_one_attempt(world: dict[str, Any],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Both tabs count 0 attempts used, then both insert attempt 1: the unique key lets exactly one through."""
    services, ann = world["services"], world["people"]["ann"]
    campaign_id = campaign(services)
    barrier = threading.Barrier(2, timeout=20)
    monkeypatch.setattr(CertificationService, "_race_window", staticmethod(lambda: barrier.wait()))
    results: dict[str, object] = {}

    def tab(name: str) -> None:
        try:
            results[name] = services.certification.start_attempt(ann, campaign_id, holder=name)
        except PracticeError as exc:
            results[name] = exc

    threads = [threading.Thread(target=tab, args=(f"tab-{i}",)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [r for r in results.values() if isinstance(r, PracticeError)]
    assert len(refused) == 1 and "at the same moment" in str(refused[0])
    with services.practice.sessions() as db:
        assert db.execute(text("select count(*), max(number) from attempts")).one() == (1, 1)


def test_a_good_attempt_passes_and_its_certificate_verifies(world: dict[str, Any]) -> None:
    services, ann, url = world["services"], world["people"]["ann"], world["url"]
    campaign_id = campaign(services, review_margin=0)
    attempt_id = take(services, ann, campaign_id, agent_lines("hostile"))
    result = services.certification.attempt(ann, attempt_id)
    assert (result.status, result.outcome) == ("completed", "passed"), result.rule
    assert result.score is not None and result.score >= 70 and result.deterministic_score == result.score
    assert result.judge_score is None and "No judge configured" in (result.rule or "")
    assert result.certificate is not None and result.certificate.startswith("CERT-")
    check = db_cli("verify-certificate", result.certificate, "--database-url", url)
    assert check.returncode == 0 and f"ann passed 'Q4 certification' with {result.score}" in check.stdout
    fake = db_cli("verify-certificate", "CERT-0000-0000-0000", "--database-url", url)
    assert fake.returncode == 1 and "No certificate has this code" in fake.stderr
    with pytest.raises(PracticeError, match="used all 1 attempt"):
        services.certification.start_attempt(ann, campaign_id, holder="tab-9")
    assert db_cli("verify-audit", "--database-url", url).returncode == 0
    run_sql(url, "update attempts set score = 100")
    tampered = db_cli("verify-audit", "--database-url", url)
    assert tampered.returncode == 1 and "attempt 1 was changed outside the app: score is 100" in tampered.stderr


def test_borderline_results_wait_for_a_reviewer(world: dict[str, Any]) -> None:
    services, people = world["services"], world["people"]
    campaign_id = campaign(services, review_margin=30)
    attempt_id = take(services, people["ann"], campaign_id, agent_lines("hostile")[:3])
    pending = services.certification.attempt(people["ann"], attempt_id)
    assert pending.outcome == "review" and pending.certificate is None
    assert any(r.startswith("borderline") for r in pending.review_reasons)
    queue = services.certification.review_queue(people["tina"])  # tina trains ann's team
    assert [a.id for a in queue] == [attempt_id]
    assert services.certification.review_queue(people["root"])[0].id == attempt_id
    with pytest.raises(AccessDenied):
        services.certification.review_queue(people["bob"])
    with pytest.raises(PracticeError, match="Give a reason"):
        services.certification.review(people["tina"], attempt_id, outcome="passed", reason="ok")
    done = services.certification.review(people["tina"], attempt_id, outcome="passed",
                                         reason="Listened well; the missing apology was in turn 2.")
    assert done.outcome == "passed" and done.certificate is not None
    assert [(r.by, r.outcome) for r in done.reviews] == [("tina", "passed")]
    assert services.certification.review_queue(people["tina"]) == []
    assert services.certification.verify_certificate(done.certificate).valid


def test_leaving_abandons_and_time_running_out_expires(world: dict[str, Any]) -> None:
    services, ann = world["services"], world["people"]["ann"]
    campaign_id = campaign(services, attempts_allowed=3, name="Three tries")
    first = services.certification.start_attempt(ann, campaign_id, holder="tab-1")
    services.certification.send(ann, first.id, "I'm so sorry. What is your order number?", holder="tab-1").finish()
    run_sql(world["url"], "update attempts set holder_seen_at = :t where id = :i",  # away past the reconnect grace
            {"t": utcnow() - timedelta(minutes=10), "i": first.id})
    with pytest.raises(PracticeError, match="counts as abandoned"):
        services.certification.send(ann, first.id, "Hello?", holder="tab-2")  # a reload is a new browser session
    left = services.certification.attempt(ann, first.id)
    assert (left.status, left.outcome) == ("abandoned", "failed")
    second = services.certification.start_attempt(ann, campaign_id, holder="tab-2")
    assert second.number == 2
    run_sql(world["url"], "update attempts set deadline = :t where id = :i",
            {"t": utcnow() - timedelta(seconds=1), "i": second.id})
    with pytest.raises(PracticeError, match="Time is up"):
        services.certification.send(ann, second.id, "Sorry for the wait.", holder="tab-2")
    assert services.certification.attempt(ann, second.id).status == "expired"
    with pytest.raises(AccessDenied):
        services.certification.send(world["people"]["bob"], second.id, "hi", holder="tab-2")


def test_an_attempt_left_open_ends_at_its_deadline_without_the_trainee(world: dict[str, Any]) -> None:
    """The trainee closes the window and never comes back: once its time is up the staff pages' explicit
    ``expire_overdue()`` ends the attempt (graded on what was done) instead of counting it as running for ever;
    reading HR's report alone changes nothing."""
    services, people = world["services"], world["people"]
    campaign_id = campaign(services, trainees=["ann", "bob"])
    left = services.certification.start_attempt(people["ann"], campaign_id, holder="tab-1")
    services.certification.send(people["ann"], left.id, "I'm so sorry. What is your order number?",
                                holder="tab-1").finish()
    running = services.certification.start_attempt(people["bob"], campaign_id, holder="tab-9")
    before = services.certification.report(people["root"], campaign_id)
    assert (before.started, before.completed) == (2, 0)  # within the time limit nothing is ended
    run_sql(world["url"], "update attempts set deadline = :t where id = :i",
            {"t": utcnow() - timedelta(seconds=1), "i": left.id})
    unchanged = services.certification.report(people["root"], campaign_id)  # reading changes nothing ...
    assert (unchanged.started, unchanged.completed) == (2, 0)
    assert services.certification.attempt(people["root"], left.id).active
    with pytest.raises(AccessDenied):
        services.certification.expire_overdue(people["ann"], campaign_id)
    assert services.certification.expire_overdue(people["root"], campaign_id) == 1  # ... the pages' explicit call
    after = services.certification.report(people["root"], campaign_id)
    assert (after.started, after.completed) == (2, 1)
    ended = services.certification.attempt(people["root"], left.id)
    assert (ended.status, ended.outcome) == ("expired", "failed") and ended.score is not None
    assert services.certification.attempt(people["root"], running.id).active
    assert services.grading.latest(people["root"], ended.session_ids[0]) is not None  # its chat was graded
    assert services.certification.expire_overdue(people["tina"]) == 0  # a second viewer does not end it twice
    engine = create_engine(world["url"])
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from audit_log where action = 'attempt.expired'")).scalar() == 1
    engine.dispose()


def test_hr_report_counts_and_exports(world: dict[str, Any]) -> None:
    services, people = world["services"], world["people"]
    campaign_id = campaign(services, trainees=["ann", "bob"], review_margin=0)
    take(services, people["ann"], campaign_id, agent_lines("hostile"))
    report = services.certification.report(people["root"], campaign_id)
    assert (report.assigned, report.started, report.completed, report.passed) == (2, 1, 1, 1)
    assert report.pass_rate == 1.0 and report.weak_spots
    csv_text = services.certification.report_csv(people["root"], campaign_id)
    assert csv_text.splitlines()[0] == "trainee,team,attempts,status,outcome,best_score,certificate"
    assert csv_text.splitlines()[2].startswith("bob,blue,0,not started")
    with pytest.raises(AccessDenied):
        services.certification.report(people["tina"], campaign_id)


def test_the_pdf_certificate_names_the_pass_and_renders(world: dict[str, Any], tmp_path: Any) -> None:
    import io

    import pypdfium2
    from pypdf import PdfReader

    services, people = world["services"], world["people"]
    campaign_id = campaign(services, review_margin=0, name="Ünïcode Q4 certification")
    attempt_id = take(services, people["ann"], campaign_id, agent_lines("hostile"))
    name, pdf = services.certification.certificate_pdf(people["ann"], attempt_id)
    code = services.certification.attempt(people["ann"], attempt_id).certificate
    assert code and name == f"certificate-{code}.pdf" and pdf.startswith(b"%PDF")
    words = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "ann" in words and "Ünïcode Q4 certification" in words and code in words
    page = pypdfium2.PdfDocument(pdf)[0].render(scale=1).to_pil()
    page.save(tmp_path / "certificate.png")
    assert page.size[0] > page.size[1]  # landscape
    grey = page.convert("L")
    assert grey.getextrema()[0] < 100 and len(grey.histogram()) == 256  # dark text and borders
    assert sum(1 for count in grey.histogram() if count) > 10  # many shades: not a blank page
    with pytest.raises(AccessDenied):
        services.certification.certificate_pdf(people["bob"], attempt_id)


def test_no_feedback_and_no_side_door_during_an_attempt(world: dict[str, Any]) -> None:
    services, ann = world["services"], world["people"]["ann"]
    attempt = services.certification.start_attempt(ann, campaign(services), holder="tab-1")
    chat = attempt.session_id or 0
    with pytest.raises(PracticeError, match="continue it on the Certification page"):
        services.practice.send(ann, chat, "Let me restart this from the practice page.")
    with pytest.raises(PracticeError, match="its result comes when the attempt ends"):
        services.grading.grade_session(ann, chat)
    with pytest.raises(PracticeError, match="its result comes when the attempt ends"):
        services.grading.latest(ann, chat)
    services.certification.send(ann, attempt.id, "I'm sorry. What's your order number?", holder="tab-1").finish()
    services.certification.abandon(ann, attempt.id, holder="tab-1")
    assert services.grading.latest(ann, chat) is not None  # graded once the attempt ended


def test_an_override_of_a_certification_chat_uses_the_campaigns_pass_mark(world: dict[str, Any]) -> None:
    """The rubric file's pass mark is 70; this campaign asks for 100. A strong chat fails the campaign's mark, and a
    trainer's override of one criterion recomputes its pass against 100, not against the file's 70."""
    services, people = world["services"], world["people"]
    campaign_id = campaign(services, pass_mark=100, review_margin=0)
    attempt_id = take(services, people["ann"], campaign_id, agent_lines("hostile"))
    result = services.certification.attempt(people["ann"], attempt_id)
    assert result.outcome == "failed" and result.score is not None and 70 <= result.score < 100
    session_id = result.session_ids[0]
    graded = services.grading.latest(people["tina"], session_id)
    assert graded is not None and (graded.report.pass_mark, graded.report.passed) == (100, False)
    frozen = services.certification.campaigns(SYSTEM)[0].rubric_version
    assert graded.report.rubric_version == frozen
    criterion = graded.report.criteria[0]
    corrected = services.grading.override(people["tina"], session_id, criterion_id=criterion.id,
                                          level=max(0, (criterion.level or 0) - 1), reason="Apology came late.")
    assert corrected.report.pass_mark == 100 and corrected.report.overall >= 70
    assert not corrected.report.passed

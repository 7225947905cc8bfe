"""Certification on both databases (issue 11): the reconnect grace (a reload resumes, two tabs never both drive
an attempt, silence past the grace abandons), reads that never write, HR's certificates and pass rate, and the
public Verify page's rate limit shared through the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from db.models import utcnow
from services import AccessDenied, Actor, PracticeError, build_services
from services.certification import RateLimited
from settings import Settings
from tests.conftest import agent_lines, make_people, run_sql
from tests.services.test_certification import campaign, take

SYSTEM = Actor.system()


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    services = build_services(settings)
    return {"services": services, "people": make_people(services), "url": settings.database_url}


def _scalar(url: str, sql: str, params: dict[str, object] | None = None) -> Any:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql), params or {}).scalar()
    engine.dispose()
    return value


def _silent_for(url: str, attempt_id: int, seconds: int) -> None:
    """The holder last checked in ``seconds`` ago (a closed window, a lost connection)."""
    run_sql(url, "update attempts set holder_seen_at = :t where id = :i",
            {"t": utcnow() - timedelta(seconds=seconds), "i": attempt_id})


def test_a_new_browser_session_within_the_grace_resumes_and_the_old_one_cannot_drive_it(
        world: dict[str, Any]) -> None:
    services, ann, url = world["services"], world["people"]["ann"], world["url"]
    cert = services.certification
    started = cert.start_attempt(ann, campaign(services), holder="tab-1")
    cert.send(ann, started.id, "I'm so sorry. What is your order number?", holder="tab-1").finish()
    _silent_for(url, started.id, 30)  # a reload 30 s ago, well inside the default 120 s grace
    running = cert.running_attempt(ann)
    assert running is not None and running.id == started.id
    peek = cert.attempt(ann, started.id, holder="tab-2")  # a read takes nothing over
    assert peek.active and peek.held_here is False
    resumed = cert.check_in(ann, started.id, holder="tab-2", take_over=True)
    assert resumed.kind == "resumed" and resumed.view.held_here and "reconnected" in (resumed.notice or "")
    assert resumed.view.deadline == started.deadline  # the clock kept running: no extra time
    assert not cert.heartbeat(ann, started.id, holder="tab-1")  # the old tab learns it moved ...
    assert cert.check_in(ann, started.id, holder="tab-1").kind == "elsewhere"  # ... and why
    with pytest.raises(PracticeError, match="continues in another window"):
        cert.send(ann, started.id, "Hello?", holder="tab-1")
    turn = cert.send(ann, started.id, "I understand. I'll sort this out today.", holder="tab-2")
    turn.finish()
    assert turn.error is None
    view = cert.attempt(ann, started.id)
    assert view.active and view.outcome == "pending"
    assert _scalar(url, "select count(*) from audit_log where action = 'attempt.resumed'") == 1
    assert _scalar(url, "select count(*) from messages where content = 'Hello?'") == 0  # nothing was sent


def test_the_holders_heartbeat_keeps_the_attempt_and_silence_past_the_grace_abandons_it(
        world: dict[str, Any]) -> None:
    services, ann, url = world["services"], world["people"]["ann"], world["url"]
    cert = services.certification
    campaign_id = campaign(services, attempts_allowed=2)
    started = cert.start_attempt(ann, campaign_id, holder="tab-1")
    cert.send(ann, started.id, "I'm so sorry. What is your order number?", holder="tab-1").finish()
    _silent_for(url, started.id, 100)
    assert cert.heartbeat(ann, started.id, holder="tab-1")  # the running page checks in ...
    assert _scalar(url, "select count(*) from attempts where id = :i and holder_seen_at > :t",
                   {"i": started.id, "t": utcnow() - timedelta(seconds=5)}) == 1  # ... and that is recorded
    _silent_for(url, started.id, 121)  # then the window closes for longer than the grace
    assert cert.attempt(ann, started.id).active  # reading it ends nothing
    back = cert.check_in(ann, started.id, holder="tab-2", take_over=True)
    assert back.kind == "abandoned" and back.changed and "counts as abandoned" in (back.notice or "")
    assert (back.view.status, back.view.outcome) == ("abandoned", "failed")
    assert cert.running_attempt(ann) is None
    assert services.grading.latest(ann, back.view.session_ids[0]) is not None  # graded on what was done
    assert cert.check_in(ann, started.id, holder="tab-2").kind == "ended"
    assert not cert.heartbeat(ann, started.id, holder="tab-2")
    with pytest.raises(AccessDenied):
        cert.heartbeat(world["people"]["bob"], started.id, holder="tab-2")
    second = cert.start_attempt(ann, campaign_id, holder="tab-2")
    assert second.number == 2 and second.active


def test_a_send_from_a_window_left_past_the_grace_abandons_and_time_running_out_expires(
        world: dict[str, Any]) -> None:
    services, ann, url = world["services"], world["people"]["ann"], world["url"]
    cert = services.certification
    campaign_id = campaign(services, attempts_allowed=3, name="Three tries")
    first = cert.start_attempt(ann, campaign_id, holder="tab-1")
    _silent_for(url, first.id, 500)
    with pytest.raises(PracticeError, match="counts as abandoned"):
        cert.send(ann, first.id, "Hello?", holder="tab-2")
    assert cert.attempt(ann, first.id).status == "abandoned"
    second = cert.start_attempt(ann, campaign_id, holder="tab-2")
    run_sql(url, "update attempts set deadline = :t where id = :i",
            {"t": utcnow() - timedelta(seconds=1), "i": second.id})
    ended = cert.check_in(ann, second.id, holder="tab-2")
    assert ended.kind == "expired" and ended.view.status == "expired"


def test_hr_sees_a_trainee_who_left_and_the_deadline_ends_it_as_abandoned(world: dict[str, Any]) -> None:
    """Nobody comes back: HR's list says the trainee left (not "active"), and at the deadline the attempt is
    abandoned (left early) rather than expired (attended until the time ran out)."""
    services, people, url = world["services"], world["people"], world["url"]
    cert = services.certification
    campaign_id = campaign(services, trainees=["ann", "bob"])
    left = cert.start_attempt(people["ann"], campaign_id, holder="tab-1")
    cert.send(people["ann"], left.id, "I'm so sorry. What is your order number?", holder="tab-1").finish()
    attended = cert.start_attempt(people["bob"], campaign_id, holder="tab-9")
    _silent_for(url, left.id, 600)
    rows = {r.trainee: r for r in cert.report(people["root"], campaign_id).rows}
    assert rows["ann"].status.startswith("left at ") and "counts as abandoned" in rows["ann"].status
    assert rows["bob"].status == "active"
    assert cert.expire_overdue(people["root"], campaign_id) == 0  # nothing ends before the deadline
    assert cert.attempt(people["root"], left.id).active
    run_sql(url, "update attempts set deadline = :t", {"t": utcnow() - timedelta(seconds=1)})
    _silent_for(url, attended.id, 30)  # bob was there until just before the time ran out
    cert.expire_overdue(people["root"], campaign_id)  # what HR's page calls before it reads the report
    assert cert.attempt(people["root"], left.id).status == "abandoned"
    assert cert.attempt(people["root"], attended.id).status == "expired"


def test_starting_again_within_the_grace_resumes_instead_of_abandoning(world: dict[str, Any]) -> None:
    services, ann = world["services"], world["people"]["ann"]
    cert = services.certification
    campaign_id = campaign(services, attempts_allowed=2)
    first = cert.start_attempt(ann, campaign_id, holder="tab-1")
    again = cert.start_attempt(ann, campaign_id, holder="tab-2")  # another tab, seconds later
    assert again.id == first.id and again.number == 1 and again.active and again.held_here
    assert cert.attempt(ann, first.id, holder="tab-1").held_here is False


def test_a_zero_grace_restores_the_strict_rule(settings: Settings) -> None:
    services = build_services(settings.model_copy(update={"attempt_reconnect_grace_seconds": 0}))
    ann = make_people(services)["ann"]
    cert = services.certification
    started = cert.start_attempt(ann, campaign(services), holder="tab-1")
    _silent_for(settings.database_url, started.id, 1)
    assert cert.check_in(ann, started.id, holder="tab-2", take_over=True).kind == "abandoned"


def test_hr_sees_each_certificate_and_a_pending_pass_rate(world: dict[str, Any]) -> None:
    services, people = world["services"], world["people"]
    cert = services.certification
    campaign_id = campaign(services, trainees=["ann", "bob"], review_margin=30)
    take(services, people["ann"], campaign_id, agent_lines("hostile")[:3])
    waiting = cert.report(people["root"], campaign_id)
    assert (waiting.completed, waiting.awaiting_review, waiting.passed) == (1, 1, 0)
    assert waiting.pass_rate is None and waiting.pass_rate_label == "pending"  # not 0%
    [ann_row] = [r for r in waiting.rows if r.trainee == "ann"]
    assert ann_row.outcome == "review" and ann_row.certificate is None
    attempt_id = cert.review_queue(people["root"])[0].id
    decided = cert.review(people["tina"], attempt_id, outcome="passed", reason="Listened well and owned it.")
    report = cert.report(people["root"], campaign_id)
    assert report.pass_rate == 1.0 and report.pass_rate_label == "100%"
    assert report.weak_spots and all(w.title != w.criterion and " " in w.title for w in report.weak_spots)
    [ann_row] = [r for r in report.rows if r.trainee == "ann"]
    assert ann_row.certificate == decided.certificate and ann_row.certificate_attempt == attempt_id
    lines = cert.report_csv(people["root"], campaign_id).splitlines()
    assert lines[0] == "trainee,team,attempts,status,outcome,best_score,certificate"
    assert lines[1].endswith(f",passed,{decided.score},{decided.certificate}")
    assert lines[2].startswith("bob,blue,0,not started") and lines[2].endswith(",,")  # no "None"
    name, pdf = cert.certificate_pdf(people["root"], attempt_id)  # HR downloads it
    assert name == f"certificate-{decided.certificate}.pdf" and pdf.startswith(b"%PDF")


def test_the_pdf_tells_the_reader_where_to_check_it_not_a_command_line(settings: Settings) -> None:
    import io

    from pypdf import PdfReader

    services = build_services(settings.model_copy(update={"public_url": "https://practice.example.com/"}))
    people = make_people(services)
    attempt_id = take(services, people["ann"], campaign(services, review_margin=0), agent_lines("hostile"))
    _, pdf = services.certification.certificate_pdf(people["ann"], attempt_id)
    code = services.certification.attempt(people["ann"], attempt_id).certificate
    words = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "python" not in words and "verify-certificate" not in words
    assert f"https://practice.example.com/verify?code={code}" in words


def test_certificate_checks_are_rate_limited_per_client_across_processes(world: dict[str, Any],
                                                                        settings: Settings) -> None:
    limited = settings.model_copy(update={"verify_checks_per_minute": 3})
    one, other = build_services(limited), build_services(limited)  # two app processes on one database
    for service in (one, other, one):
        assert not service.certification.check_certificate("CERT-0000-0000-0000", client="203.0.113.7").valid
    with pytest.raises(RateLimited, match=r"at most 3 per minute. Try again in \d+ seconds"):
        other.certification.check_certificate("CERT-0000-0000-0000", client="203.0.113.7")
    assert not one.certification.check_certificate("CERT-0000-0000-0000", client="198.51.100.2").valid
    run_sql(world["url"], "update rate_limits set window_start = :t", {"t": utcnow() - timedelta(minutes=2)})
    assert not one.certification.check_certificate("CERT-0000-0000-0000", client="203.0.113.7").valid


def test_the_grace_and_the_rate_limit_need_one_connection(tmp_path: Any, database_url: str) -> None:
    """Check-ins (resume, heartbeat, abandon with its grading) and the rate limit never nest connections."""
    single = build_services(Settings(data_dir=tmp_path / "data", database_url=database_url, db_pool_size=1,
                                     db_pool_overflow=0, db_pool_timeout=2))
    ann = make_people(single)["ann"]
    cert = single.certification
    started = cert.start_attempt(ann, campaign(single, attempts_allowed=2), holder="tab-1")
    cert.send(ann, started.id, "I'm so sorry. What is your order number?", holder="tab-1").finish()
    assert cert.running_attempt(ann) is not None and cert.heartbeat(ann, started.id, holder="tab-1")
    assert cert.check_in(ann, started.id, holder="tab-2", take_over=True).kind == "resumed"
    _silent_for(database_url, started.id, 600)
    assert cert.check_in(ann, started.id, holder="tab-3", take_over=True).kind == "abandoned"
    assert not cert.check_certificate("CERT-0000-0000-0000", client="203.0.113.7").valid

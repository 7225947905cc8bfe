"""Certification pages through AppTest: the result says why nobody needed to look, in criterion names; the campaign
form explains its fields; an HR account's navigation (HR and certification walk)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, agent_lines
from tests.pages.test_chat_apptest import logged_in

#: Criterion ids of the rubric that no criterion's name contains as a word: shown, they can only be ids.
IDS = re.compile(r"\b(no_canned|acknowledge|paraphrase|diagnose|common_ground|bad_news|closing)\b")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A fresh database: trainee ann (id 1), trainer tina (2), admin root (3), and an open campaign for ann that
    the hostile lines pass (no review margin)."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    from db.models import utcnow
    from services import Actor, build_services
    from settings import Settings, get_settings
    from ui.context import app_services

    get_settings.cache_clear()
    app_services.clear()
    services = build_services(Settings())
    system = Actor.system()
    people = {name: services.auth.create_user(system, username=name, role=role, password=f"{name}-secret")
              for name, role in (("ann", "trainee"), ("tina", "trainer"), ("root", "admin"))}

    def campaign(**changes: Any) -> int:
        spec: dict[str, Any] = {"name": "Q4 certification", "scenarios": [("hostile", "normal")], "pass_mark": 70,
                                "opens_at": utcnow() - timedelta(hours=1), "closes_at": utcnow() + timedelta(days=7),
                                "trainees": ["ann"], "review_margin": 0, **changes}
        created = services.certification.create_campaign(system, spec)
        services.certification.open_campaign(system, created.id)
        return created.id

    def take(campaign_id: int) -> int:
        ann = people["ann"]
        attempt = services.certification.start_attempt(ann, campaign_id, holder="t")
        for line in agent_lines("hostile"):
            if not services.practice.get(ann, attempt.session_id or 0).active:
                break
            services.certification.send(ann, attempt.id, line, holder="t").finish()
        return services.certification.next_scenario(ann, attempt.id, holder="t").id

    return {"services": services, "people": people, "campaign": campaign, "take": take}


def _shown(app: AppTest) -> str:
    """Every text the page shows (captions, alerts, markdown), one per line, without Markdown's escapes."""
    return "\n".join(str(e.value) for kind in ("caption", "markdown", "info", "success", "warning", "error")
                     for e in getattr(app, kind)).replace("\\", "")


def test_a_result_decided_at_once_says_why_no_person_looked_in_criterion_names(world: dict[str, Any]) -> None:
    attempt_id = world["take"](world["campaign"]())
    view = world["services"].certification.attempt(world["people"]["root"], attempt_id)
    assert view.outcome == "passed" and view.review_reasons == () and view.untrusted  # nothing judged: untrusted
    app = logged_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30), 1)
    app.session_state["chat_ui"].attempt_id = attempt_id
    app.switch_page("pages/certification.py").run()
    assert not app.exception
    shown = _shown(app)
    assert "Passed" in shown
    assert "a person checks a result they could change" not in shown  # it said so, and nobody ever looked
    assert "no criterion the grader is not yet trusted on could move the result across the pass mark" in shown
    assert "Listening and acknowledging" in shown and "A sincere apology" in shown
    assert IDS.findall(shown) == [], shown


def test_the_review_queue_names_the_criteria_that_could_move_a_result(world: dict[str, Any]) -> None:
    services, people = world["services"], world["people"]
    probe = services.certification.attempt(people["root"], world["take"](world["campaign"](name="Probe")))
    assert probe.score is not None
    services.auth.create_user(_system(), username="bob", role="trainee", password="bob-secret")
    edge = world["campaign"](name="Edge", pass_mark=probe.score, trainees=["bob"])
    bob = services.auth.login("bob", "bob-secret")
    attempt = services.certification.start_attempt(bob, edge, holder="b")
    for line in agent_lines("hostile"):
        if not services.practice.get(bob, attempt.session_id or 0).active:
            break
        services.certification.send(bob, attempt.id, line, holder="b").finish()
    done = services.certification.next_scenario(bob, attempt.id, holder="b")
    assert done.outcome == "review"
    reviewer = logged_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30), people["tina"].id or 0)
    reviewer.switch_page("pages/cert_review.py").run()
    assert not reviewer.exception
    reasons = [c.value for c in reviewer.caption if c.value.startswith("Why it is here")]
    assert reasons and any("untrusted criterion" in r for r in reasons)
    assert IDS.findall("\n".join(reasons).replace("\\", "")) == [], reasons
    assert any("A sincere apology" in r or "Listening and acknowledging" in r for r in reasons), reasons


def _system() -> Any:
    from services import Actor

    return Actor.system()


@pytest.fixture
def hr_app(world: dict[str, Any]) -> AppTest:
    """The app logged in as HR account hazel (id 4), with trainee bob in team red."""
    services = world["services"]
    services.auth.create_user(_system(), username="hazel", role="hr", password="hazel-secret")
    services.auth.create_user(_system(), username="bob", role="trainee", password="bob-secret", team="red")
    return logged_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30), 4)


def test_hr_manages_trainee_accounts_on_their_own_page(hr_app: AppTest) -> None:
    app = hr_app
    app.switch_page("pages/accounts.py").run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert app.title[0].value == "Accounts and teams"
    assert set(app.dataframe[0].value["username"]) == {"ann", "bob"}  # trainees only: no trainer, admin or HR
    [role] = [s for s in app.selectbox if s.label == "Role" and s.key == "accounts.create.role"]
    assert list(role.options) == ["trainee"]
    assert not [t for t in app.table]  # none of the Settings page's configuration
    app.switch_page("pages/cert_review.py").run()  # HR reviews results; disputes about levels are trainers'
    assert not app.exception and [e.value for e in app.error] == []
    assert [i.value for i in app.info] == ["Nothing is waiting for review."]
    app.switch_page("pages/admin_settings.py").run()  # forced anyway: the service refuses the configuration
    assert [e.value.replace("\\", "") for e in app.error] == ["Only an admin can see or test the settings."]


def test_without_a_public_address_production_says_why_there_is_no_certificate_pdf(
        world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from settings import get_settings
    from ui.context import app_services

    attempt_id = world["take"](world["campaign"]())
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SESSION_SECRET", "k" * 40)
    get_settings.cache_clear()
    app_services.clear()
    trainee = logged_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30), 1)
    trainee.session_state["chat_ui"].attempt_id = attempt_id
    trainee.switch_page("pages/certification.py").run()
    assert not trainee.exception
    assert "Passed" in _shown(trainee)
    assert not [b for b in trainee.get("download_button")]  # no button that could only fail
    assert any("PUBLIC_URL" in w.value.replace("\\", "") for w in trainee.warning), _shown(trainee)
    hr = logged_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30), world["people"]["root"].id or 0)
    hr.switch_page("pages/campaigns.py").run()
    assert not hr.exception
    assert any("PUBLIC_URL" in w.value.replace("\\", "") for w in hr.warning), _shown(hr)
    assert not [b for b in hr.get("download_button") if "certificate" in str(b.proto.label)]


def test_the_campaign_form_explains_minimums_and_the_borderline_margin(world: dict[str, Any]) -> None:
    hr = logged_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30), world["people"]["root"].id or 0)
    hr.switch_page("pages/campaigns.py").run()
    assert not hr.exception
    [minimums] = [m for m in hr.multiselect if m.label == "Criteria with a minimum level"]
    [margin] = [s for s in hr.slider if s.label.startswith("Borderline margin")]
    [level] = [n for n in hr.number_input if n.label.startswith("Minimum average level")]
    for widget, says in ((minimums, "average"), (margin, "review"), (level, "average")):
        help_text = widget.help or ""
        assert says in help_text and "e.g." in help_text.lower(), (widget.label, help_text)  # what it does, an example

"""The chat page through Streamlit's AppTest (no browser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def logged_in(app: AppTest, user_id: int) -> AppTest:
    from ui.context import ChatUI

    app.session_state["chat_ui"] = ChatUI(user_id=user_id)
    return app


def practise_once(app: AppTest, line: str) -> AppTest:
    """Start a chat with the default customer, send ``line``, end it (which opens the report)."""
    app.run()
    [start] = [b for b in app.button if b.label == "Start new chat"]
    start.click().run()
    app.chat_input[0].set_value(line).run()
    [end] = [b for b in app.button if b.label == "Yes, end the chat and grade it"]  # in "End chat" (asks first)
    return end.click().run()


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app, logged in as a trainee 'ann' (id 1) on a fresh database."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    from services import Actor, build_services
    from settings import Settings, get_settings
    from ui.context import app_services

    get_settings.cache_clear()
    app_services.clear()
    build_services(Settings()).auth.create_user(Actor.system(), username="ann", role="trainee", password="ann-secret")
    return logged_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30), 1)


def test_start_chat_send_and_see_the_meter_move(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert app.selectbox[0].value.slug == "hostile"
    [start] = [b for b in app.button if b.label == "Start new chat"]
    start.click().run()
    assert not app.exception
    assert len(app.chat_message) == 1
    meter_before = app.metric[0].value
    app.chat_input[0].set_value("Calm down, it's our policy.").run()
    assert not app.exception
    assert len(app.chat_message) == 3
    assert app.chat_message[1].markdown[0].value.startswith("Calm down")
    assert float(app.metric[0].value) > float(meter_before)
    assert app.query_params["session"] == "1"


def test_html_is_shown_as_text(app: AppTest) -> None:
    app.run()
    [start] = [b for b in app.button if b.label == "Start new chat"]
    start.click().run()
    app.chat_input[0].set_value("<b>bold</b> **stars**").run()
    shown = app.chat_message[1].markdown[0]
    assert shown.value == r"\<b\>bold\</b\> \*\*stars\*\*"
    assert not shown.allow_html


def test_end_chat_and_resume_from_link(app: AppTest, tmp_path: Path) -> None:
    app.run()
    [start] = [b for b in app.button if b.label == "Start new chat"]
    start.click().run()
    app.chat_input[0].set_value("I'm so sorry. What's your order number?").run()
    reloaded = logged_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30), 1)
    reloaded.query_params["session"] = "1"
    reloaded.run()
    assert not reloaded.exception
    assert len(reloaded.chat_message) == 3
    [end] = [b for b in reloaded.button if b.label == "Yes, end the chat and grade it"]
    end.click().run()
    assert not reloaded.exception
    assert reloaded.title[0].value == "Your report"
    assert reloaded.metric[0].label == "Overall" and reloaded.metric[0].value.endswith("/ 100")
    assert len(reloaded.chat_input) == 0
    assert "Try this customer again" in [b.label for b in reloaded.button]
    cited = [e.label for e in reloaded.expander]
    assert any(label.startswith("Sincere") or label.startswith("A sincere apology") for label in cited)


def test_broken_persona_files_are_listed_and_the_rest_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "personas"
    folder.mkdir()
    (folder / "hostile.yaml").write_text((ROOT / "personas" / "hostile.yaml").read_text())
    (folder / "typo.yaml").write_text("slug: typo\nnmae: Oops\n")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PERSONAS_DIR", str(folder))
    from services import Actor, build_services
    from settings import Settings, get_settings
    from ui.context import app_services

    get_settings.cache_clear()
    app_services.clear()
    build_services(Settings()).auth.create_user(Actor.system(), username="ann", role="trainee", password="ann-secret")
    app = logged_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30), 1).run()
    assert not app.exception
    assert app.selectbox[0].value.slug == "hostile"
    assert [b.key for b in app.button if (b.key or "").startswith("start-")] == ["start-hostile"]
    assert app.expander[0].label == "1 persona file(s) skipped"
    assert "typo.yaml: nmae: Extra inputs are not permitted" in app.expander[0].text[0].value
    get_settings.cache_clear()
    app_services.clear()


def test_history_lists_graded_chats_and_retries_in_one_click(app: AppTest) -> None:
    practise_once(app, "Calm down, it's our policy.")
    app.switch_page("pages/history.py").run()
    assert not app.exception
    assert app.title[0].value == "My progress"
    assert app.metric[0].label == "Latest score"
    table = app.dataframe[0].value
    assert list(table["chat"]) == [1] and list(table["ended"]) == ["you ended it"]
    [retry] = [b for b in app.button if b.label == "Retry"]
    retry.click().run()
    assert not app.exception
    assert app.query_params["session"] == "2"
    assert len(app.chat_message) == 1  # a fresh chat with the same customer, opened



def test_first_run_creates_the_admin_then_login_and_lockout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    from settings import get_settings
    from ui.context import app_services

    get_settings.cache_clear()
    app_services.clear()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert app.subheader[0].value == "Create the first admin account"
    app.text_input[0].set_value("Root")
    app.text_input[1].set_value("admin-password")
    app.text_input[2].set_value("admin-password")
    app.button[0].click().run()
    assert not app.exception
    assert "Logged in as **root** (admin)" in [c.value for c in app.sidebar.caption]
    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert fresh.subheader[0].value == "Log in"
    for attempt in range(5):
        fresh.text_input[0].set_value("root")
        fresh.text_input[1].set_value(f"wrong-{attempt}")
        fresh.button[0].click().run()
        assert fresh.error[0].value.replace("\\", "").startswith("Wrong username or password.")
    wrong = fresh.error[0].value
    fresh.text_input[0].set_value("root")
    fresh.text_input[1].set_value("admin-password")
    fresh.button[0].click().run()
    assert fresh.error[0].value == wrong  # locked now, in the words a wrong password gets
    assert not [c for c in fresh.sidebar.caption if "Logged in as" in c.value]


def test_review_page_for_a_trainer(app: AppTest) -> None:
    from services import Actor, build_services
    from settings import Settings

    services = build_services(Settings())
    tina = services.auth.create_user(Actor.system(), username="tina", role="trainer", password="tina-secret")
    app.run()
    [start] = [b for b in app.button if b.label == "Start new chat"]
    start.click().run()  # ann practises once
    trainer = logged_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30), tina.id or 0)
    trainer.switch_page("pages/review.py").run()
    assert not trainer.exception
    assert trainer.title[0].value == "Review transcripts"
    assert trainer.caption[0].value.startswith("1 transcripts match")
    assert list(trainer.dataframe[0].value["trainee"]) == ["ann"]
    app.switch_page("pages/review.py").run()  # not in a trainee's navigation; forced anyway, the service refuses
    assert [e.value.replace("\\", "") for e in app.error] == ["Only trainers and admins can review transcripts."]
    assert len(app.dataframe) == 0


def test_analytics_page_shows_charts_with_downloadable_data(app: AppTest) -> None:
    practise_once(app, "I'm so sorry. What's your order number?")
    app.switch_page("pages/analytics.py").run()
    assert not app.exception
    assert app.subheader[0].value == "Trainee: ann"
    downloads = [e for e in app.get("download_button")]
    assert len(downloads) == 3  # trend, criterion profile, sessions per week


def test_scenario_authoring_page(app: AppTest) -> None:
    """A trainer edits a field in the form, sees the field's error, fixes it, test-chats and publishes."""
    from services import Actor, build_services
    from settings import Settings

    services = build_services(Settings())
    tina = services.auth.create_user(Actor.system(), username="tina", role="trainer", password="tina-secret")
    trainer = logged_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30), tina.id or 0)
    trainer.switch_page("pages/scenarios.py").run()
    assert not trainer.exception
    assert trainer.success[0].value.startswith("Valid")
    [hard] = [n for n in trainer.number_input if n.label == "difficulty › hard › sensitivity"]
    hard.set_value(9.0)
    [apply] = [b for b in trainer.button if b.label == "Apply and save draft"]
    apply.click().run()
    assert not trainer.exception
    assert "1 problem(s)" in trainer.error[0].value and "difficulty.hard.sensitivity" in trainer.error[0].value
    assert any("less than or equal to 3" in e.value for e in trainer.error[1:])  # under the field itself
    assert services.scenarios.draft(Actor.system(), trainer.sidebar.selectbox[0].value) is not None
    [hard] = [n for n in trainer.number_input if n.label == "difficulty › hard › sensitivity"]
    hard.set_value(2.0)
    [name] = [t for t in trainer.text_input if t.label == "name"]
    name.set_value("Derek <b>Malone</b>")
    [apply] = [b for b in trainer.button if b.label == "Apply and save draft"]
    apply.click().run()
    assert trainer.success[0].value.startswith("Valid")
    [say] = [t for t in trainer.text_input if t.label == "Your reply as the agent"]
    say.set_value("Calm down, sir.")
    [send] = [b for b in trainer.button if b.label == "Send"]
    send.click().run()
    assert len(trainer.chat_message) == 3 and "calm_down" in trainer.chat_message[1].caption[0].value
    [publish] = [b for b in trainer.button if b.label == "Publish as version 2"]
    publish.click().run()
    assert not trainer.exception
    assert trainer.success[0].value.startswith("Published hostile version 2")
    assert services.practice.catalog.get("hostile").name == "Derek <b>Malone</b>"
    app.switch_page("pages/scenarios.py").run()  # a trainee forcing the page is refused by the service
    assert [e.value.replace("\\", "") for e in app.error] == ["Only trainers and admins can author scenarios."]


def test_hr_creates_and_opens_a_campaign_and_a_trainer_reviews(app: AppTest) -> None:
    from services import Actor, build_services
    from settings import Settings
    from tests.conftest import agent_lines

    services = build_services(Settings())
    system = Actor.system()
    root = services.auth.create_user(system, username="root", role="admin", password="root-secret")
    tina = services.auth.create_user(system, username="tina", role="trainer", password="tina-secret")
    hr = logged_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30), root.id or 0)
    hr.switch_page("pages/campaigns.py").run()
    assert not hr.exception
    [name] = [t for t in hr.text_input if t.label == "Name"]
    name.set_value("Spring <b>certification</b>")
    [scenarios] = [m for m in hr.multiselect if m.label.startswith("Scenarios")]
    scenarios.set_value(["hostile · normal"])
    [trainees] = [m for m in hr.multiselect if m.label == "Trainees"]
    trainees.set_value(["ann"])
    [margin] = [s for s in hr.slider if s.label.startswith("Borderline")]
    margin.set_value(30)
    [create] = [b for b in hr.button if b.label == "Create as draft"]
    create.click().run()
    assert not hr.exception, hr.exception
    assert list(hr.dataframe[0].value["status"]) == ["draft"]
    assert any("as a draft" in s.value for s in hr.success), "creating a campaign says what it did"
    assert any("Hostile" in c.value and "hostile (" not in c.value for c in hr.caption)  # titles, not slugs
    [open_it] = [b for b in hr.button if b.label.startswith("Open the campaign")]
    open_it.click().run()
    assert list(hr.dataframe[0].value["status"]) == ["open"]
    assert [m.value for m in hr.metric][:2] == ["1", "0"]  # assigned, started

    ann = Actor(1, "ann", "trainee")
    campaign_id = services.certification.campaigns(system)[0].id
    attempt = services.certification.start_attempt(ann, campaign_id, holder="t")
    for line in agent_lines("hostile")[:2]:
        services.certification.send(ann, attempt.id, line, holder="t").finish()
    services.certification.next_scenario(ann, attempt.id, holder="t")
    assert services.certification.attempt(ann, attempt.id).outcome == "review"
    app.session_state["chat_ui"].attempt_id = attempt.id
    app.switch_page("pages/certification.py").run()  # the trainee waits for the reviewer: no score yet
    assert not app.exception
    assert app.info[0].value.startswith("**Awaiting a reviewer's confirmation**") and len(app.metric) == 0

    trainer = logged_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30), tina.id or 0)
    trainer.switch_page("pages/cert_review.py").run()
    assert not trainer.exception
    assert "borderline" in trainer.caption[0].value
    trainer.radio[0].set_value("failed")
    trainer.text_area[0].set_value("Never offered the priority slot: not ready yet.")
    [record] = [b for b in trainer.button if b.label == "Record the decision"]
    record.click().run()
    assert services.certification.attempt(ann, attempt.id).outcome == "review"  # asks first
    [confirm] = [b for b in trainer.button if b.label == "Yes, record it"]
    confirm.click().run()
    assert trainer.success[0].value == r"Recorded: ann's attempt 1 of Spring \<b\>certification\</b\> is not passed."
    assert trainer.info[0].value == "Nothing is waiting for review."
    result = services.certification.attempt(ann, attempt.id)
    assert result.outcome == "failed" and result.reviews[0].by == "tina"
    app.switch_page("pages/campaigns.py").run()  # a trainee forcing the HR page is refused by the service
    assert [e.value.replace("\\", "") for e in app.error] == ["Only HR and admins can list accounts."]


def test_the_trainers_view_shows_hostile_text_as_text(app: AppTest) -> None:
    from services import Actor, build_services
    from settings import Settings

    tina = build_services(Settings()).auth.create_user(Actor.system(), username="tina", role="trainer",
                                                       password="tina-secret")
    practise_once(app, "<script>alert(1)</script> **stars** \u202eevil")
    trainer = logged_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30), tina.id or 0)
    trainer.query_params["session"] = "1"
    trainer.switch_page("pages/report.py").run()
    assert not trainer.exception
    shown = [m for msg in trainer.chat_message for m in msg.markdown if "alert" in m.value]
    assert shown and shown[0].value == r"\<script\>alert\(1\)\</script\> \*\*stars\*\* " + "\u202eevil"
    assert not shown[0].allow_html

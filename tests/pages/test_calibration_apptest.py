"""The Calibration and Rubric pages and the dispute form, through Streamlit's AppTest: what trainers and
trainees see and can do."""

from __future__ import annotations

from typing import Any

import pytest

from tests.pages.test_report_apptest import _as, _report, _text

POLITE = "I'm so sorry we missed both deliveries. Let me check what happened with your order right now."
RUDE = "Calm down, sir. I'm sorry about that."


@pytest.fixture
def chats(world: dict[str, Any]) -> list[int]:
    """Four graded chats of ann's: two polite, two with "calm down" (``world``: tests/pages/conftest.py)."""
    ids = [world["practise"]("hostile", [line]) for line in (POLITE, POLITE, RUDE, RUDE)]
    for chat_id in ids:
        world["services"].grading.report_for(world["ann"], chat_id)
    return ids


def test_calibration_shows_the_kappa_per_criterion_and_the_worst_disagreement(world: dict[str, Any],
                                                                            chats: list[int]) -> None:
    services, tina = world["services"], world["tina"]
    services.calibration.confirm(tina, chats[0], "no_canned")
    services.grading.override(tina, chats[1], criterion_id="no_canned", level=2, reason="one stock phrase")
    services.calibration.confirm(tina, chats[2], "no_canned")
    services.grading.override(tina, chats[3], criterion_id="no_canned", level=0, reason="only stock phrases")
    app = _as(tina.id)
    app.switch_page("pages/calibration.py").run()
    assert not app.exception
    table = app.dataframe[0].value
    row = table[table["id"] == "no_canned"].iloc[0]
    assert (row["chats judged"], row["kappa (quadratic)"], row["exact agreement"], row["trusted"]) == (
        4, "0.800", "50%", "no")
    links = [link.proto.label.replace("\\", "") for link in app.get("page_link")]
    assert any(f"Chat #{chats[3]}" in label and "grader 1/3" in label for label in links)


def test_a_trainee_disputes_from_the_report_and_sees_the_outcome(world: dict[str, Any], chats: list[int]) -> None:
    services, ann, tina = world["services"], world["ann"], world["tina"]
    app = _report(ann.id, chats[2])
    next(b for b in app.button if b.key == "dispute-open-no_canned").click().run()  # "Dispute this grade"
    app.selectbox(key="ask-no_canned").set_value(2)
    app.text_area(key="why-no_canned").input("I said it kindly, once.")
    next(b for b in app.button if b.label == "Send the dispute to a trainer" and "no_canned" in str(b.form_id)) \
        .click().run()
    assert not app.exception
    assert "waiting for a trainer" in _text(app)
    dispute = services.disputes.queue(tina)[0]
    services.disputes.decide(tina, dispute.id, uphold=False, reason="'Calm down' escalates.")
    assert "Rejected by tina: 'Calm down' escalates." in _text(_report(ann.id, chats[2]))


def test_the_rubric_page_shows_the_published_version_and_field_level_problems(world: dict[str, Any]) -> None:
    tina = world["tina"]
    app = _as(tina.id)
    app.switch_page("pages/rubric.py").run()
    assert not app.exception
    assert "Published: version 1 (from grading/rubric.yaml" in _text(app)
    yaml_box = app.text_area(key="ry-0")
    yaml_box.input(yaml_box.value.replace("pass_mark: 70", "pass_mark: 170"))
    next(b for b in app.button if b.label == "Check and save draft").click().run()
    assert not app.exception
    assert "`pass_mark`" in _text(app) and "less than or equal to 100" in _text(app)

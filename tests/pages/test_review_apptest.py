"""The trainers' review workspace through Streamlit's AppTest: disputes in their own tab of the Review page with
the decide form, the sidebar notices (trainers: open disputes; the trainee: a decision), the report's dispute form
behind a button below the evidence, filters kept across pages, a score column that fits, an override's mark on
its criterion, and a kappa of one judgement shown as a dash."""

from __future__ import annotations

import json
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.test_report_apptest import _as, _report, _text

POLITE = "I'm so sorry we missed both deliveries. Let me check what happened with your order right now."
REASON = "It was too short to count as an apology."
#: "100 (overridden)" is about 103 px wide in the table's 14 px font (measured in Chromium), plus 8 px padding
#: each side.
SCORE_WIDTH = 120


@pytest.fixture
def chat(world: dict[str, Any]) -> int:
    """A graded chat of ann's in which "A sincere apology" is 3/3 (``world``: tests/pages/conftest.py)."""
    chat_id: int = world["practise"]("hostile", [POLITE])
    stored = world["services"].grading.report_for(world["ann"], chat_id)
    assert stored.report.criterion("apology").level == 3
    return chat_id


def _page(user_id: int, name: str, **query: str) -> AppTest:
    app = _as(user_id)
    for key, value in query.items():
        app.query_params[key] = value
    app.switch_page(f"pages/{name}.py").run()
    assert not app.exception, app.exception
    return app


def _disputes(user_id: int) -> AppTest:
    return _page(user_id, "review", show="Disputes")


def test_disputes_have_their_own_tab_on_the_review_page_with_the_asked_level_offered(world: dict[str, Any],
                                                                                    chat: int) -> None:
    services, ann, tina = world["services"], world["ann"], world["tina"]
    dispute = services.disputes.open(ann, chat, "apology", REASON, level=0)
    app = _disputes(tina.id)
    assert [t.label for t in app.tabs] == ["Transcripts", "Disputes"]
    text = _text(app)
    assert f"Chat #{chat}" in text and "A sincere apology" in text and REASON in text
    assert "ann" in text and "asks for 0/3" in text and "now 3/3" in text
    assert app.selectbox(key=f"l-{dispute.id}").value == 0  # the level the trainee asked for, not 3
    app.radio(key=f"d-{dispute.id}").set_value("Uphold (change the level)")
    app.text_area(key=f"w-{dispute.id}").input("Fair: it was one short word.")
    next(b for b in app.button if b.label == "Decide the dispute").click().run()
    assert not app.exception
    assert any(f"Dispute #{dispute.id} upheld" in s.value.replace("\\", "") for s in app.success)
    assert "No open disputes" in _text(app)
    stored = services.grading.latest(tina, chat)
    assert stored is not None and stored.report.criterion("apology").level == 0


def test_trainers_are_told_of_open_disputes_in_the_sidebar(world: dict[str, Any], chat: int) -> None:
    services, ann, tina = world["services"], world["ann"], world["tina"]
    home = _as(tina.id).run()
    assert not home.exception and not [i for i in home.sidebar.info if "dispute" in i.value]
    services.disputes.open(ann, chat, "apology", REASON, level=0)
    home = _as(tina.id).run()
    assert [i.value for i in home.sidebar.info if "dispute" in i.value] == ["1 open dispute waits for a trainer"]
    # Its button opens the Review page's Disputes tab (followed in tests/browser/test_review_disputes.py: AppTest
    # does not rerun app.py's sidebar after a click).
    assert "Decide disputes" in [b.label for b in home.sidebar.button]
    mine = _as(ann.id).run()
    assert not [i for i in mine.sidebar.info if "open dispute" in i.value]


def test_the_trainee_is_told_when_a_dispute_is_decided_until_they_open_the_report(world: dict[str, Any],
                                                                                 chat: int) -> None:
    services, ann, tina = world["services"], world["ann"], world["tina"]
    dispute = services.disputes.open(ann, chat, "apology", REASON, level=0)
    services.disputes.decide(tina, dispute.id, uphold=True, level=0, reason="Fair: it was one short word.")
    notice = f"A trainer decided your dispute on chat #{chat} (Derek Malone): A sincere apology upheld (now 0/3)."
    home = _as(ann.id).run()
    assert not home.exception
    assert [i.value.replace("\\", "") for i in home.sidebar.info if "dispute" in i.value] == [notice]
    assert "Open the report" in [b.label for b in home.sidebar.button]
    _report(tina.id, chat)  # the trainer looking does not clear it
    report = _report(ann.id, chat)
    assert notice in _text(report) and "Upheld by tina" in _text(report)
    again = _as(ann.id).run()
    assert not again.exception and not [i for i in again.sidebar.info if "dispute" in i.value]


def _expander(app: AppTest, name: str) -> Any:
    return next(e for e in app.expander if e.label.replace("\\", "").startswith(name))


def test_the_dispute_form_opens_from_a_button_below_the_evidence(world: dict[str, Any], chat: int) -> None:
    services, ann, tina = world["services"], world["ann"], world["tina"]
    app = _report(ann.id, chat)
    apology = _expander(app, "A sincere apology")
    assert not [t for t in app.text_area if t.key == "why-apology"]  # no open text box under every criterion
    kinds = [type(e).__name__ for e in apology.children.values()]
    evidence = max(i for i, e in enumerate(apology.children.values())
                   if type(e).__name__ == "Markdown" and "Turn 1" in e.value)
    button = next(i for i, e in enumerate(apology.children.values())
                  if type(e).__name__ == "Button" and e.label == "Dispute this grade")
    assert button > evidence, kinds
    next(b for b in apology.button if b.label == "Dispute this grade").click().run()
    assert not app.exception
    apology = _expander(app, "A sincere apology")
    assert apology.proto.expanded  # still open on the form
    app.selectbox(key="ask-apology").set_value(0)
    app.text_area(key="why-apology").input(REASON)
    next(b for b in app.button if b.label == "Send the dispute to a trainer").click().run()
    assert not app.exception
    assert "waiting for a trainer" in _text(app)
    assert "Your dispute was sent to a trainer" in _text(app)  # said once, where the form was
    assert not [b for b in app.button if b.label == "Send the dispute to a trainer"]
    [queued] = services.disputes.queue(tina)
    assert (queued.criterion_id, queued.requested_level, queued.reason) == ("apology", 0, REASON)


def test_review_filters_are_kept_when_the_trainer_comes_back(world: dict[str, Any], chat: int) -> None:
    app = _page(world["tina"].id, "review")
    next(s for s in app.selectbox if s.label == "Trainee").set_value("ann")
    next(s for s in app.selectbox if s.label == "Rows per page").set_value(25)
    next(c for c in app.checkbox if c.label == "Flagged or needs review only").check()
    next(b for b in app.button if b.label == "Apply filters").click().run()
    assert any("0 transcripts match" in c.value for c in app.caption)
    app.switch_page("pages/calibration.py").run()
    app.switch_page("pages/review.py").run()
    assert not app.exception
    assert next(s for s in app.selectbox if s.label == "Trainee").value == "ann"
    assert next(s for s in app.selectbox if s.label == "Rows per page").value == 25
    assert next(c for c in app.checkbox if c.label == "Flagged or needs review only").value
    assert any("0 transcripts match" in c.value for c in app.caption)


def test_the_score_column_fits_an_overridden_score(world: dict[str, Any], chat: int) -> None:
    services, tina = world["services"], world["tina"]
    services.grading.override(tina, chat, criterion_id="apology", level=0, reason="Not sincere.")
    app = _page(tina.id, "review")
    assert any(v.endswith("(overridden)") for v in app.dataframe[0].value["score"])
    width = json.loads(app.dataframe[0].proto.columns).get("score", {}).get("width")
    assert width in ("medium", "large") or (isinstance(width, int) and width >= SCORE_WIDTH), width


def test_an_overridden_criterion_shows_the_overrides_mark_not_the_graders_tick(world: dict[str, Any],
                                                                              chat: int) -> None:
    services, tina = world["services"], world["tina"]
    graded = _expander(_report(tina.id, chat), "A sincere apology")
    assert any(m.value.startswith(":material/check:") for m in graded.markdown)
    services.grading.override(tina, chat, criterion_id="apology", level=0, reason="Not sincere.")
    for who in (tina, world["ann"]):
        overridden = _expander(_report(who.id, chat), "A sincere apology")
        lines = [m.value for m in overridden.markdown if "Turn 1" in m.value]
        assert lines and not any(":material/check:" in line or ":material/close:" in line for line in lines), lines
        assert all(line.startswith(":material/edit:") for line in lines), lines


def test_calibration_shows_a_dash_for_the_kappa_of_one_judgement(world: dict[str, Any], chat: int) -> None:
    services, tina = world["services"], world["tina"]
    services.grading.override(tina, chat, criterion_id="apology", level=0, reason="Not sincere.")
    app = _page(tina.id, "calibration")
    table = app.dataframe[0].value
    row = table[table["id"] == "apology"].iloc[0]
    assert (row["chats judged"], row["kappa (quadratic)"]) == (1, "—")

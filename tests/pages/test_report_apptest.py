"""The report page through Streamlit's AppTest: coaching that fits the chat, turn numbers, who is reading."""

from __future__ import annotations

import re
from typing import Any

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def _as(user_id: int) -> AppTest:
    from ui.context import ChatUI

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    app.session_state["chat_ui"] = ChatUI(user_id=user_id)
    return app


def _report(user_id: int, session_id: int) -> AppTest:
    app = _as(user_id)
    app.query_params["session"] = str(session_id)
    app.switch_page("pages/report.py").run()
    assert not app.exception
    return app


def _text(app: AppTest) -> str:
    """Everything the page wrote as Markdown, captions, notices and warnings (unescaped)."""
    parts = [m.value for m in app.markdown] + [c.value for c in app.caption]
    parts += [e.value for e in [*app.warning, *app.info, *app.success, *app.error]]
    for message in app.chat_message:
        parts += [m.value for m in message.markdown] + [c.value for c in message.caption]
        parts += [i.value for i in message.info]
    return "\n".join(parts).replace("\\", "")


def test_coaching_fits_the_customer_not_the_washing_machine(world: dict[str, Any]) -> None:
    chat = world["practise"]("provocateur", ["Calm down. It's policy, there is nothing I can do."])
    text = _text(_report(world["ann"].id, chat))
    assert "Improve these first" in text and "A better way to say it" in text
    assert not re.search(r"deliver(y|ies)|washing|depot", text, re.IGNORECASE), text
    assert re.search(r"fee|spa|nights", text)


def test_turn_numbers_count_the_trainees_messages_like_the_chat_page(world: dict[str, Any]) -> None:
    chat = world["practise"]("discount-demander", ["Calm down.", "It's policy, nothing I can do."])
    app = _report(world["ann"].id, chat)
    text = _text(app)
    # Two messages from the trainee: turn 1 and turn 2, nothing beyond (the whole transcript has five messages);
    # the frustration chart's caption calls the customer's opening turn 0.
    numbers = {int(n) for n in re.findall(r"\b[Tt]urn (\d+)", text)}
    assert {1, 2} <= numbers <= {0, 1, 2}, sorted(numbers)
    agent_captions = [c.value for m in app.chat_message if m.name == "user" for c in m.caption]
    assert [c.split(" ·")[0] for c in agent_captions] == ["Turn 1", "Turn 2"]


def test_workshop_references_read_as_plain_citations(world: dict[str, Any]) -> None:
    chat = world["practise"]("provocateur", ["Don't be stupid, you idiot."])
    text = _text(_report(world["ann"].id, chat))
    assert "critical:" in text
    assert "Workshop: Managing your own emotions" in text
    assert not re.search(r"\b00\d\b", text), text


def test_a_trainer_reads_about_the_trainee_and_gets_no_try_again(world: dict[str, Any]) -> None:
    chat = world["practise"]("hostile", ["Calm down, it's policy."])
    trainer = _report(world["tina"].id, chat)
    text = _text(trainer)
    assert "the trainee said" in text and "you said" not in text
    labels = [b.label for b in trainer.button]
    assert "Try this customer again" not in labels and "My progress" not in labels
    trainee = _report(world["ann"].id, chat)
    assert "you said" in _text(trainee)
    assert "Try this customer again" in [b.label for b in trainee.button]


def test_the_trainee_is_told_of_new_trainer_comments_until_seen(world: dict[str, Any]) -> None:
    services, ann, tina = world["services"], world["ann"], world["tina"]
    chat = world["practise"]("hostile", ["I'm so sorry.", "Calm down."])
    services.review.comment(tina, chat, turn=2, body="Good apology.")
    services.review.comment(tina, chat, turn=4, body="Never say calm down.")
    notice = f"2 new comments from your trainer on chat #{chat}"

    home = _as(ann.id)
    home.run()  # the practice chat page, through app.py: its sidebar carries the notice on every page
    assert not home.exception
    assert [i.value.replace("\\", "") for i in home.sidebar.info] == [notice + " (Derek Malone)"]
    assert [b.label for b in home.sidebar.button if b.label == "Open the report"] == ["Open the report"]

    _report(tina.id, chat)  # the trainer looking does not clear it
    assert notice in _as(ann.id).run().sidebar.info[0].value.replace("\\", "")
    report = _report(ann.id, chat)
    assert notice in _text(report)

    again = _as(ann.id).run()
    assert not again.exception and not [i for i in again.sidebar.info if "new comment" in i.value]

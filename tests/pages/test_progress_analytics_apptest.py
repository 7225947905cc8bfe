"""My progress, Analytics and Review through Streamlit's AppTest: the score of record (a trainer's override) is
what every table and chart shows, marked as such; no raw "None"; practice and certification apart; dropdown
filters listing what the viewer may see; titles instead of internal ids."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, agent_lines


@dataclass(frozen=True)
class World:
    """Ids of what :func:`seed_world` stored, and the decided score of ann's overridden chat."""

    overridden: int
    plain: int
    certification: int
    active: int
    decided: int
    machine: int
    ids: dict[str, int]


def add_teams(services: Any, *names: str) -> None:
    """The managed teams the accounts below belong to (stored directly: team management is tested elsewhere)."""
    from db.models import Team
    from db.repositories import UserRepository
    from services.auth import team_key

    with services.grading.sessions() as db:
        for name in names:
            if UserRepository(db).team_by_key(team_key(name)) is None:
                db.add(Team(name=name, name_key=team_key(name)))
        db.commit()


def seed_world(settings: Any, *, override: bool = True) -> World:
    """ann (team "Red") and cal (team "Red", no chats) are trainees, bob (team "Blue") too; tina is a trainer
    of "Red". ann has: a graded practice chat overridden by tina (unless ``override`` is false), a second graded
    practice chat, a graded chat in certification mode, and an unfinished practice chat (no grade)."""
    from db.repositories import Work
    from services import Actor, build_services

    services = build_services(settings)
    system = Actor.system()
    add_teams(services, "Red", "Blue")
    make = services.auth.create_user
    ann = make(system, username="ann", role="trainee", password="ann-secret-1", team="Red")
    cal = make(system, username="cal", role="trainee", password="cal-secret-1", team="Red")
    bob = make(system, username="bob", role="trainee", password="bob-secret-1", team="Blue")
    tina = make(system, username="tina", role="trainer", password="tina-secret-1", team="Red")

    def practise(who: Any, persona: str, script: str, *, end: bool = True) -> int:
        view = services.practice.start(who, persona_slug=persona, seed=1).finish()
        assert view is not None
        for line in agent_lines(script)[: None if end else 2]:
            if not view.active:
                break
            view = services.practice.send(who, view.id, line).finish()
            assert view is not None
        if end:
            if view.active:
                services.practice.end(who, view.id)
            services.grading.report_for(who, view.id)
        return view.id

    overridden = practise(ann, "hostile", "hostile")
    machine = services.grading.latest(ann, overridden)
    assert machine is not None
    decided = services.grading.override(tina, overridden, criterion_id="apology", level=0,
                                        reason="The apology was for a different order.") if override else machine
    plain = practise(ann, "discount-demander", "rude")
    with Work(services.grading.sessions)() as uow:
        cert = uow.sessions.create(trainee="ann", user_id=ann.id, persona_slug="provocateur", persona_version="x",
                                   difficulty="normal", seed=1, backend="scripted", model=None, state="{}",
                                   mode="certification")
        for n, line in enumerate(agent_lines("provocateur")[:3]):
            uow.sessions.add_message(session_id=cert.id, role="customer", content=f"Customer line {n}.",
                                     frustration=5)
            uow.sessions.add_message(session_id=cert.id, role="agent", content=line, frustration=5)
        uow.sessions.save_state(session_id=cert.id, state="{}", ended_reason="agent_ended")
        uow.commit()
    services.grading.grade_session(system, cert.id)
    active = practise(ann, "hostile", "hostile", end=False)
    return World(overridden, plain, cert.id, active, int(decided.report.overall), int(machine.report.overall),
                 {"ann": ann.id or 0, "cal": cal.id or 0, "bob": bob.id or 0, "tina": tina.id or 0})


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRAINER_SCOPE", "team")
    from settings import Settings, get_settings
    from ui.context import app_services

    get_settings.cache_clear()
    app_services.clear()
    return seed_world(Settings())


def page(name: str, user_id: int) -> AppTest:
    from ui.context import ChatUI

    app = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=60)
    app.session_state["chat_ui"] = ChatUI(user_id=user_id)
    app.run()
    assert not app.exception, app.exception
    return app


def cells(app: AppTest) -> list[str]:
    """Every cell of every table on the page, as text."""
    return [str(v) for frame in app.dataframe for column in frame.value.columns for v in frame.value[column]]


@dataclass(frozen=True)
class Chart:
    spec: dict[str, Any]
    data: list[pd.DataFrame]

    @property
    def text(self) -> str:
        return json.dumps(self.spec) + "".join(frame.to_csv() for frame in self.data)

    @property
    def layers(self) -> list[dict[str, Any]]:
        return list(self.spec.get("layer", [self.spec]))


def charts(app: AppTest) -> list[Chart]:
    """Every Vega-Lite chart on the page: its spec and the data it plots."""
    import pyarrow as pa

    return [Chart(json.loads(c.proto.spec),
                  [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in c.proto.datasets])
            for c in app.get("vega_lite_chart")]


def test_my_progress_shows_the_decided_score_practice_only_and_no_raw_none(world: World) -> None:
    app = page("history", world.ids["ann"])
    chats = app.dataframe[0].value
    listed = [int(c) for c in chats["chat"]]
    assert world.certification not in listed, "a certification chat is mixed into the practice list"
    assert [int(c) for f in app.dataframe[1:] for c in f.value["chat"]] == [world.certification]
    assert set(listed) == {world.overridden, world.plain, world.active}
    shown = dict(zip(listed, (str(s) for s in chats["score"]), strict=True))
    assert shown[world.overridden] == f"{world.decided} (overridden)"
    assert "None" not in cells(app) and "nan" not in cells(app)
    assert shown[world.active] == "—"
    [trend] = [c for c in charts(app) if "score" in c.text]
    plotted = {str(v) for frame in trend.data for v in frame.get("chat", [])}
    assert f"#{world.overridden}" in plotted and f"#{world.certification}" not in plotted
    assert any("certification" in m.value.lower() for m in [*app.markdown, *app.caption])


def test_analytics_for_a_trainer_defaults_to_a_trainee_in_scope_with_titles(world: World) -> None:
    app = page("analytics", world.ids["tina"])
    [who] = [s for s in app.selectbox if s.label == "Trainee"]
    assert who.value == "ann" and set(who.options) == {"ann", "cal"}  # her team's trainees, not tina herself
    [team] = [s for s in app.selectbox if s.label == "Team"]
    assert team.value == "Red" and team.options == ["Red"]
    shown = charts(app)
    encoded = [(layer["encoding"], c) for c in shown for layer in c.layers]
    labels = {str(v) for enc, c in encoded for axis in ("x", "y") for frame in c.data
              if enc.get(axis, {}).get("field") in frame.columns for v in frame[enc[axis]["field"]]}
    assert "Listening and acknowledging" in labels and "Hostile: the missed-delivery shouter" in labels
    assert "common_ground" not in labels and "discount-demander" not in labels and "hostile" not in labels
    [(trend, data)] = [(enc, c) for enc, c in encoded if enc.get("y", {}).get("field") == "score"]
    assert trend["x"]["type"] != "temporal" and trend["x"]["field"] != "date", "the trend is plotted by date"
    assert any(t.get("field") == "date" for t in trend["tooltip"])
    [points] = data.data
    assert list(points[trend["x"]["field"]]) == [1, 2]  # one point per graded practice chat, in order
    assert points["score"].iloc[0] == world.decided


def test_review_filters_are_dropdowns_and_rows_show_the_decision(world: World) -> None:
    app = page("review", world.ids["tina"])
    [trainee] = [s for s in app.selectbox if s.label.startswith("Trainee")]
    [team] = [s for s in app.selectbox if s.label.startswith("Team")]
    assert [o for o in trainee.options if o != "any"] == ["ann", "cal"]
    assert [o for o in team.options if o != "any"] == ["Red"]
    assert f"{world.decided} (overridden)" in cells(app)
    assert "None" not in cells(app) and "nan" not in cells(app)
    trainee.set_value("cal")
    [apply] = [b for b in app.button if b.label == "Apply filters"]
    apply.click().run()
    assert any("0 transcripts match" in c.value for c in app.caption)

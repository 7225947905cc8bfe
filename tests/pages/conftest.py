"""Shared by the page tests: a fresh database with people in it (modules may define their own ``world``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A fresh database with trainee ann (id 1), trainer tina (id 2), and a way to practise as ann."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    from services import Actor, build_services
    from settings import Settings, get_settings
    from ui.context import app_services

    get_settings.cache_clear()
    app_services.clear()
    services = build_services(Settings())
    ann = services.auth.create_user(Actor.system(), username="ann", role="trainee", password="ann-secret")
    tina = services.auth.create_user(Actor.system(), username="tina", role="trainer", password="tina-secret")

    def practise(persona: str, lines: list[str]) -> int:
        view = services.practice.start(ann, persona_slug=persona, difficulty="normal", seed=1).finish()
        assert view is not None
        for line in lines:
            view = services.practice.send(ann, view.id, line).finish()
            assert view is not None
        if view.active:
            services.practice.end(ann, view.id)
        return view.id

    return {"services": services, "ann": ann, "tina": tina, "practise": practise}

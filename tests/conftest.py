"""Shared fixtures: every test gets its own data directory and SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from personas import PersonaCatalog, load_personas
from services import PracticeService, build_practice_service
from settings import Settings

ROOT = Path(__file__).resolve().parents[1]
AGENTS = Path(__file__).parent / "data" / "agents"
FLAGSHIP = ("hostile", "discount-demander", "provocateur", "language-barrier")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    for name in ("DATABASE_URL", "LLM_BACKEND", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture(scope="session")
def catalog() -> PersonaCatalog:
    return load_personas(ROOT / "personas")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def service(settings: Settings) -> PracticeService:
    return build_practice_service(settings)


def agent_lines(name: str) -> list[str]:
    return [line for line in (AGENTS / f"{name}.txt").read_text().splitlines() if line.strip()]

"""Alembic, configured in code: ``upgrade(url)`` brings any database to head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from db.engine import cached_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Apply every pending migration to the database at ``url``."""
    config = alembic_config(url)
    with cached_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

"""The process's services survive Streamlit's clear-cache message: any browser can send it, logged in or not."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st


def test_clearing_streamlits_caches_does_not_rebuild_the_services(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    from settings import get_settings
    from ui.context import app_services

    get_settings.cache_clear()
    app_services.clear()
    first = app_services()
    st.cache_resource.clear()  # what the clear-cache message does (AppSession._handle_clear_cache_request)
    st.cache_data.clear()
    assert app_services() is first
    app_services.clear()  # tests that change the settings can still start again
    assert app_services() is not first

"""Settings' account picker through AppTest: it stays on the account being changed (issue 11 walk)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.pages.test_chat_apptest import logged_in


@pytest.fixture
def settings_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    from services import Actor, build_services
    from settings import Settings, get_settings
    from ui.context import app_services

    get_settings.cache_clear()
    app_services.clear()
    services = build_services(Settings())
    services.auth.create_user(Actor.system(), username="root", role="admin", password="root-secret")
    services.auth.create_user(Actor.system(), username="bob", role="trainee", password="bob-secret")
    app = logged_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30), 1)
    app.switch_page("pages/admin_settings.py")
    return app


def _picker(app: AppTest) -> object:
    [picker] = [s for s in app.selectbox if s.label == "Account to change"]
    return picker


def test_the_account_picker_stays_on_the_account_after_disabling_and_enabling(settings_page: AppTest) -> None:
    app = settings_page.run()
    assert not app.exception
    bob_id = 2
    _picker(app).set_value(bob_id).run()  # type: ignore[attr-defined]
    for label in ("Disable bob…", "Yes, disable bob", "Enable bob…", "Yes, enable bob"):
        [button] = [b for b in app.button if b.label == label]
        button.click().run()
        assert not app.exception
        assert _picker(app).value == bob_id, f"after '{label}' the picker moved to another account"  # type: ignore[attr-defined]

from __future__ import annotations

from services.admin import AdminService
from services.auth import Actor
from settings import Settings
from tests.fakes.openai_server import FakeOpenAIServer, Fault

ADMIN = Actor(1, "root", "admin")


def test_configuration_hides_secrets(settings: Settings) -> None:
    config = AdminService(settings.model_copy(update={
        "openai_api_key": "sk-secret", "database_url": "postgresql+psycopg://u:hunter2@db/practice"})).configuration(ADMIN)
    text = " ".join(config.values())
    assert "sk-secret" not in text and "hunter2" not in text
    assert config["API key"] == "set" and config["Customer backend"] == "scripted"


def test_connection_test_reports_success_latency_and_failure(settings: Settings) -> None:
    with FakeOpenAIServer() as server:
        admin = AdminService(settings.model_copy(update={
            "llm_backend": "openai", "openai_base_url": server.base_url, "max_retries": 0}))
        server.enqueue("OK")
        ok = admin.test_connection(ADMIN, "customer")
        assert ok.ok and "gpt-4o-mini answered 'OK'" in ok.detail and ok.latency_ms is not None
        server.enqueue(Fault(401, '{"error": {"message": "bad key"}}'))
        failed = admin.test_connection(ADMIN, "customer")
        assert not failed.ok and "HTTP 401" in failed.detail
        assert admin.test_connection(ADMIN, "judge").detail.startswith("no model is used")

"""A certificate tells its reader where to check it: production issues no certificate PDF until PUBLIC_URL is set
(and says so at start-up); development prints the local address."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from services import Services, build_services
from services.views import PracticeError
from settings import Settings, production_warnings
from tests.conftest import agent_lines, make_people
from tests.services.test_certification import campaign, take


def _passed(services: Services) -> tuple[Any, int]:
    people = make_people(services)
    attempt_id = take(services, people["ann"], campaign(services, review_margin=0), agent_lines("hostile"))
    assert services.certification.attempt(people["ann"], attempt_id).certificate
    return people, attempt_id


def test_production_without_a_public_address_issues_no_certificate_pdf(settings: Settings) -> None:
    production = settings.model_copy(update={"environment": "production", "public_url": None})
    services = build_services(production)
    people, attempt_id = _passed(services)
    refusal = services.certification.pdf_refusal()
    assert refusal is not None and "PUBLIC_URL" in refusal
    for who in ("ann", "hazel", "root"):  # the trainee, HR and an admin all read why
        with pytest.raises(PracticeError, match="PUBLIC_URL"):
            services.certification.certificate_pdf(people[who], attempt_id)
    code = services.certification.attempt(people["ann"], attempt_id).certificate
    assert services.certification.verify_certificate(code or "").valid  # the pass and its code stand
    configured = build_services(production.model_copy(update={"public_url": "https://practice.example.com"}))
    assert configured.certification.pdf_refusal() is None
    _, pdf = configured.certification.certificate_pdf(people["ann"], attempt_id)
    assert f"https://practice.example.com/verify?code={code}" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_development_prints_the_local_address(settings: Settings) -> None:
    services = build_services(settings)  # development, PUBLIC_URL unset
    people, attempt_id = _passed(services)
    assert services.certification.pdf_refusal() is None
    _, pdf = services.certification.certificate_pdf(people["ann"], attempt_id)
    words = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    code = services.certification.attempt(people["ann"], attempt_id).certificate
    assert f"http://localhost:8501/verify?code={code}" in words, words
    assert "Verify certificate page of the practice app" not in words
    # the page passes the port the app actually runs on (seen in a walk: an app on 8650 printed 8501)
    _, pdf = services.certification.certificate_pdf(people["ann"], attempt_id, local_url="http://localhost:8650")
    assert f"http://localhost:8650/verify?code={code}" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_production_warns_at_start_up_until_public_url_is_set() -> None:
    good = {"environment": "production", "session_secret": "k" * 40}
    warned = production_warnings(Settings(**good), sso=False)  # type: ignore[arg-type]
    assert any("PUBLIC_URL" in w and "certificate" in w for w in warned), warned
    configured = Settings(**good, public_url="https://practice.example.com")  # type: ignore[arg-type]
    assert production_warnings(configured, sso=False) == []
    assert production_warnings(Settings(), sso=False) == []  # development: the local address is printed


def test_the_server_says_so_when_it_starts(tmp_path: Path) -> None:
    from tests.browser.helpers import serve_process

    with serve_process(tmp_path, env={"ENVIRONMENT": "production", "SESSION_SECRET": "k" * 40}) as (_, proc):
        pass  # started (and stopped): its log holds what it said at start-up
    assert proc.stdout is not None
    said = proc.stdout.read().decode()
    assert "Warning: PUBLIC_URL is not set: no certificate PDF is issued until it is" in said, said[-2000:]

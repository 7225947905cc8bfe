"""Single sign-on: an identity the provider vouched for becomes an account with the configured role."""

from __future__ import annotations

import pytest

from db.models import User
from services import AccessDenied, PracticeError, build_services
from settings import Settings


@pytest.fixture
def sso(settings: Settings) -> Settings:
    return settings.model_copy(update={"sso_admins": ["hr@corp.example"], "sso_trainers": ["Trainers"],
                                       "sso_domains": ["corp.example"], "sso_team_claim": "department"})


def test_roles_follow_the_configuration_at_every_sign_on(sso: Settings) -> None:
    auth = build_services(sso).auth
    hr = auth.sso_login({"email": "HR@corp.example", "email_verified": True})
    assert (hr.username, hr.role) == ("hr@corp.example", "admin")
    tina = auth.sso_login({"email": "tina@corp.example", "groups": ["staff", "trainers"], "department": "red"})
    assert (tina.role, tina.team) == ("trainer", "red")
    ann = auth.sso_login({"email": "ann@corp.example", "groups": "staff", "department": "red"})
    assert ann.role == "trainee"
    again = auth.sso_login({"email": "tina@corp.example", "groups": ["staff"], "department": "blue"})
    assert (again.id, again.role, again.team) == (tina.id, "trainee", "blue")  # removed from the group
    services = build_services(sso)
    assert services.auth.actor(tina.id or 0) == again


def test_refusals(sso: Settings) -> None:
    auth = build_services(sso).auth
    with pytest.raises(AccessDenied, match=r"other\.example cannot sign on"):
        auth.sso_login({"email": "eve@other.example"})
    with pytest.raises(PracticeError, match="not verified"):
        auth.sso_login({"email": "eve@corp.example", "email_verified": False})
    with pytest.raises(PracticeError, match="did not send an e-mail"):
        auth.sso_login({"sub": "12345"})


def test_sso_accounts_have_no_password_and_local_names_are_not_taken_over(sso: Settings) -> None:
    auth = build_services(sso).auth
    auth.sso_login({"email": "ann@corp.example"})
    with pytest.raises(PracticeError, match="Wrong username or password"):
        auth.login("ann@corp.example", "!sso")
    long = "a.very.long.name.for.someone@corp.example.with.subdomain"  # over 40 characters
    with pytest.raises(AccessDenied):  # domain not allowed
        auth.sso_login({"email": long})
    open_auth = build_services(sso.model_copy(update={"sso_domains": []})).auth
    actor = open_auth.sso_login({"email": long})
    assert len(actor.username) == 40 and actor.username.startswith("a.very.long")
    assert open_auth.sso_login({"email": long}).id == actor.id
    with open_auth.sessions() as db:  # an account made by other means (not the sign-on) under that name
        db.add(User(username="kim@corp.example", role="admin", password_hash="$argon2id$x"))
        db.commit()
    with pytest.raises(AccessDenied, match="is a local account"):
        open_auth.sso_login({"email": "kim@corp.example"})


def test_sign_ons_and_refusals_are_audit_events(sso: Settings) -> None:
    import json

    from sqlalchemy import select

    from db import audit
    from db.models import AuditEntry

    auth = build_services(sso).auth
    auth.sso_login({"email": "hr@corp.example"}, client="192.0.2.7")
    with pytest.raises(AccessDenied):
        auth.sso_login({"email": "eve@other.example"}, client="203.0.113.5")
    with auth.sessions() as db:
        events = db.execute(select(AuditEntry.action, AuditEntry.actor, AuditEntry.payload)
                            .where(AuditEntry.subject_type == "login").order_by(AuditEntry.id)).all()
        assert audit.verify(db)[1] is None
    assert [(a, actor) for a, actor, _ in events] == [("login.succeeded", "hr@corp.example"),
                                                      ("login.failed", "anonymous")]
    refused = json.loads(events[1][2])
    assert refused["method"] == "sso" and refused["client"] == "203.0.113.5" and "other.example" in refused["reason"]
    assert "eve@other.example" not in events[1][2]  # an address that is no account: only its hash

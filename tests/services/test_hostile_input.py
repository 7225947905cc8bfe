"""Whatever a trainee pastes is stored byte for byte on both databases and read back unchanged (or refused with a
clear message, nothing stored)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import Message
from services import Actor, PracticeError, Services, SessionView, build_services
from settings import Settings

HOSTILE = [
    "Control characters: bell\x07 backspace\x08 escape\x1b[31mred\x1b[0m vertical\x0btab form\x0cfeed",
    "Emoji and joiners: 😡👩‍👩‍👧‍👦🏳️‍🌈 and a lone combining mark: e\u0301",
    "Right-to-left: \u202eevil\u202c and Arabic مرحبا بك and Hebrew שלום",
    "<script>alert('x')</script><b>bold</b><img src=x onerror=alert(1)>",
    "'; DROP TABLE messages; -- and \" OR 1=1 --",
    "**markdown** _italics_ [link](javascript:alert(1)) `code` # heading",
    "Trailing spaces and tabs\t\t  ",
    "Windows\r\nline\rendings\n\n\nand blank lines",
    "Zero-width\u200bspace and BOM\ufeff and surrogate-free astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
]


def test_hostile_text_is_stored_byte_for_byte(settings: Settings) -> None:
    services = build_services(settings)
    ann = services.auth.create_user(Actor.system(), username="ann", role="trainee", password="password-1")
    shown = []
    for text in HOSTILE:  # one chat each: the customer would walk away from this much nonsense
        view = services.practice.start(ann, persona_slug="provocateur", seed=3).finish()
        assert view is not None
        after = services.practice.send(ann, view.id, text).finish()
        assert after is not None
        shown += [m.content for m in after.messages if m.role == "agent"]
    with services.practice.sessions() as db:
        stored = db.scalars(select(Message.content).where(Message.role == "agent").order_by(Message.id)).all()
    assert stored == HOSTILE
    assert shown == HOSTILE


def open_chat(settings: Settings) -> tuple[Services, Actor, SessionView]:
    """Trainee ann with a chat the hostile customer has opened."""
    services = build_services(settings)
    ann = services.auth.create_user(Actor.system(), username="ann", role="trainee", password="password-1")
    view = services.practice.start(ann, persona_slug="hostile", seed=3).finish()
    assert view is not None
    return services, ann, view


@pytest.mark.parametrize(("text", "message"), [
    ("", "Type a message"),
    (" \t\n ", "Type a message"),
    ("nul\x00byte", "NUL character"),
    ("x" * 4001, "the limit is 4,000"),
])
def test_refused_messages_store_nothing(settings: Settings, text: str, message: str) -> None:
    services, ann, view = open_chat(settings)
    with pytest.raises(PracticeError, match=message):
        services.practice.send(ann, view.id, text)
    assert len(services.practice.get(ann, view.id).messages) == 1  # only the customer's opening line


def test_a_locked_database_gives_a_plain_message_and_loses_nothing(settings: Settings) -> None:
    """Another writer holds SQLite's lock past the busy timeout: the send is refused in words, and once the lock
    is gone the same message goes through exactly once."""
    import sqlite3

    from services import DatabaseUnavailable

    if not settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite's writer lock; PostgreSQL locks rows, not the database")
    services, ann, view = open_chat(settings)
    blocker = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # a writer that does not let go
    try:
        with pytest.raises(DatabaseUnavailable, match="The database is busy") as refused:
            services.practice.send(ann, view.id, "I'm so sorry about the wait.")
        assert "sqlite3" not in str(refused.value) and "locked" not in str(refused.value)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    after = services.practice.send(ann, view.id, "I'm so sorry about the wait.").finish()
    assert after is not None and [m.role for m in after.messages] == ["customer", "agent", "customer"]


def test_a_row_locked_too_long_on_postgresql_gives_a_plain_message(settings: Settings) -> None:
    """Another transaction holds the chat's row lock past the lock timeout: a plain message, then it works."""
    from sqlalchemy import create_engine, text

    from services import DatabaseUnavailable

    if not settings.database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL row locks")
    services, ann, view = open_chat(settings)
    engine = create_engine(settings.database_url)
    blocker = engine.connect()
    blocker.execute(text("select * from practice_sessions where id = :i for update"), {"i": view.id})
    try:
        with pytest.raises(DatabaseUnavailable, match="The database is busy"):
            services.practice.send(ann, view.id, "I'm so sorry about the wait.").finish()
    finally:
        blocker.rollback()
        blocker.close()
        engine.dispose()
    after = services.practice.send(ann, view.id, "I'm so sorry about the wait.").finish()
    assert after is not None and [m.role for m in after.messages] == ["customer", "agent", "customer"]

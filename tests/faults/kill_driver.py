"""A trainee that never stops: run as a subprocess by the SIGKILL test, which kills it at random moments.

Each run resumes the one session in the database (retrying a missing customer reply), sends the next agent
line, and prints ``committed N`` after each stored turn. After the last line it ends the chat and grades it.
"""

from __future__ import annotations

import sys

from services import Actor, build_services
from settings import Settings

LINES = [f"Turn {n}: I'm sorry about this. Could you tell me your order number and when you are home?"
         for n in range(1, 41)]


def main(url: str) -> None:
    services = build_services(Settings(database_url=url, max_turns=50))
    actor = Actor.system()
    with services.practice.sessions() as db:
        from sqlalchemy import text

        existing = db.execute(text("select id from practice_sessions order by id limit 1")).scalar()
    if existing is None:
        view = services.practice.start(actor, persona_slug="long-wait", difficulty="easy", seed=1,
                                       trainee="ann").finish()
        assert view is not None
        existing = view.id
    view = services.practice.get(actor, existing)
    while view.active:
        if view.awaiting_reply or not view.messages:
            view = services.practice.retry(actor, view.id).finish() or view
        else:
            sent = sum(1 for m in view.messages if m.role == "agent")
            if sent >= len(LINES):
                services.practice.end_and_grade(actor, view.id)
                break
            view = services.practice.send(actor, view.id, LINES[sent]).finish() or view
        print(f"committed {len(view.messages)}", flush=True)
        view = services.practice.get(actor, view.id)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])

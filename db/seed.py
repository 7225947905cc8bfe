"""Build a large, realistic data set for load and query benchmarks (``python -m db seed``).

Users in teams, sessions spread over a year across personas, difficulties and modes, about ten messages a
session, and one grade per ended session.  Rows are written in batches with SQLAlchemy Core, the same way on
SQLite and PostgreSQL.  Deterministic for a given ``seed``.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, insert, select

from db.models import Grade, Message, PracticeSession, User
from grading.report import CriterionGrade, Flag, FlagKind, GradeReport

PERSONAS = ["hostile", "discount-demander", "provocateur", "language-barrier", "technical-question", "long-wait",
            "policy-restriction", "threatening", "negative-review"]
AGENT = ["I'm so sorry about that. Could you give me your order number?", "Calm down, it's our policy.",
         "So you waited at home twice and nobody came. I'll call you back within two hours.",
         "I understand. Is there anything else?", "I can't refund that because the trial ended, but I can exchange it."]
CUSTOMER = ["Where is my order?", "This is the worst service I've ever had.", "Fine. Go on.",
            "That's not good enough.", "Okay, thank you."]
BATCH = 5000


def seed(engine: Engine, *, sessions: int = 100_000, messages_per_session: int = 10, trainees: int = 500,
         teams: int = 20, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    now = datetime(2026, 11, 1)
    criteria = [("acknowledge", "Listening and acknowledging", 2.0), ("apology", "A sincere apology", 1.5),
                ("ownership", "Ownership with clear next steps and a time", 2.0),
                ("limits", "Setting limits with a reason and an alternative", 2.0)]
    with engine.begin() as conn:
        conn.execute(insert(User), [
            {"username": f"trainee{i:04d}", "role": "trainee", "team": f"team{i % teams:02d}",
             "password_hash": "seeded-no-login", "failed_logins": 0, "created_at": now}
            for i in range(trainees)
        ])
        first_user = int(conn.scalar(select(func.min(User.id)).where(User.username.like("trainee%"))) or 1)
    counts = {"users": trainees, "sessions": 0, "messages": 0, "grades": 0}
    next_id = _next_id(engine)
    for start in range(0, sessions, BATCH):
        n = min(BATCH, sessions - start)
        session_rows, message_rows, grade_rows = [], [], []
        for k in range(n):
            sid = next_id + start + k
            user = rng.randrange(trainees)
            started = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
            ended = rng.random() < 0.92
            session_rows.append({
                "id": sid, "user_id": first_user + user, "trainee": f"trainee{user:04d}",
                "persona_slug": rng.choice(PERSONAS), "persona_version": "seeded", "difficulty":
                rng.choice(["easy", "normal", "normal", "hard"]), "mode": "certification" if rng.random() < 0.1
                else "practice", "seed": sid, "backend": "scripted", "model": None,
                "status": "ended" if ended else "active", "ended_reason": "resolved" if ended else None,
                "state_json": json.dumps({"frustration": 2.0 if ended else 6.0,
                                          "stage": "closed" if ended else "demanding",
                                          "ended_reason": "resolved" if ended else None}),
                "tokens_in": 0, "tokens_out": 0, "started_at": started,
                "ended_at": started + timedelta(minutes=8) if ended else None,
            })
            for seq in range(1, messages_per_session + 1):
                role = "customer" if seq % 2 else "agent"
                message_rows.append({"session_id": sid, "seq": seq, "role": role,
                                     "content": rng.choice(CUSTOMER if role == "customer" else AGENT),
                                     "frustration": round(rng.uniform(0, 10), 1),
                                     "created_at": started + timedelta(seconds=30 * seq)})
            if ended:
                levels = [rng.choice([0, 1, 2, 2, 3, 3]) for _ in criteria]
                overall = round(100 * sum(w * lv for (_, _, w), lv in zip(criteria, levels, strict=True))
                                / sum(w * 3 for _, _, w in criteria))
                flags = 1 if rng.random() < 0.03 else 0
                report = GradeReport(
                    overall=overall, passed=overall >= 70, pass_mark=70, status="final",
                    criteria=[CriterionGrade(id=cid, name=name, weight=w, level=lv, deterministic_level=lv)
                              for (cid, name, w), lv in zip(criteria, levels, strict=True)],
                    flags=[Flag(kind=FlagKind.NOTE, text="seeded data: flagged for review")] if flags else [],
                    rubric_version="seeded", grader_version="seeded", combining_rule="seeded data",
                ).to_json()
                grade_rows.append({"session_id": sid, "created_at": started + timedelta(minutes=9),
                                   "rubric_version": "seeded", "grader_version": "seeded", "judge_model": None,
                                   "judge_status": "not_configured", "status": "final", "overall": overall,
                                   "passed": overall >= 70, "flags_count": flags, "report_json": report,
                                   "judge_raw": None})
        with engine.begin() as conn:
            conn.execute(insert(PracticeSession), session_rows)
            conn.execute(insert(Message), message_rows)
            if grade_rows:
                conn.execute(insert(Grade), grade_rows)
        counts["sessions"] += n
        counts["messages"] += len(message_rows)
        counts["grades"] += len(grade_rows)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE practice_sessions SET latest_grade_id = g.id, latest_overall = g.overall, "
            "latest_flagged = (g.flags_count > 0) FROM grades g WHERE g.session_id = practice_sessions.id"
        )
    from sqlalchemy.orm import Session

    from db.audit import record_unaudited

    with Session(engine) as db:  # the audit chain covers seeded grades and accounts too
        counts["audit entries"] = record_unaudited(db, actor="seed")
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("select setval(pg_get_serial_sequence('practice_sessions', 'id'), "
                                 "(select max(id) from practice_sessions))")
            conn.exec_driver_sql("analyze")
    return counts


def _next_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("select coalesce(max(id), 0) + 1 from practice_sessions").scalar_one())

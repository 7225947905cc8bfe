"""The grader against independent readers: ``python -m bench.agreement [--data-dir DIR]``.

Stores the calibration transcripts (``tests/data/calibration``, written by people who never saw the code) as ended
chats of a trainee ``reader-eval``, grades them with the real grader (no judge model), then records the levels two
independent readers gave each criterion (``tests/data/trainer_judgements.jsonl``, written from the rubric's level
descriptions and the workshop material only) as a trainer's judgements: a confirmation where the reader agrees with
the grader, an override where not. Prints ``python -m grading agreement``'s table for that data set. The grader was
never tuned on these judgements: this is a held-out measurement.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from customer.engine import CustomerEngine
from db.repositories import Work
from personas.loader import version_hash
from services import Actor, Services, build_services
from settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPTS = ROOT / "tests" / "data" / "calibration"
JUDGEMENTS = ROOT / "tests" / "data" / "trainer_judgements.jsonl"
SYSTEM = Actor.system()


def seed(services: Services) -> dict[str, int]:
    """Store, grade and judge every labelled transcript; returns counts."""
    reader = services.auth.create_user(SYSTEM, username="reader", role="trainer", password="reader-password-1")
    trainee = services.auth.create_user(SYSTEM, username="reader-eval", role="trainee", password="eval-password-1")
    counts = {"chats": 0, "confirmed": 0, "overridden": 0, "reader_not_applicable": 0}
    work = Work(services.grading.sessions)
    for line in JUDGEMENTS.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        labelled = json.loads(line)
        transcript = json.loads((TRANSCRIPTS / labelled["file"]).read_text(encoding="utf-8"))
        persona = services.practice.catalog.get(transcript["persona"])
        state = CustomerEngine(persona, "normal").initial_state()
        with work() as uow:
            row = uow.sessions.create(user_id=trainee.id, trainee=trainee.username, persona_slug=persona.slug,
                                      persona_version=version_hash(persona), difficulty="normal", seed=1,
                                      backend="imported", model=None, state=state)
            for m in transcript["messages"]:
                uow.sessions.add_message(session_id=row.id, role=m["role"], content=m["content"], frustration=0.0)
            uow.sessions.save_state(session_id=row.id, state=state, ended_reason="imported")
            uow.commit()
            session_id = row.id
        graded = services.grading.grade_session(SYSTEM, session_id)
        counts["chats"] += 1
        for criterion in graded.report.criteria:
            level = labelled["levels"].get(criterion.id)
            if level is None:
                counts["reader_not_applicable"] += 1
            elif level == criterion.level:
                services.calibration.confirm(reader, session_id, criterion.id)
                counts["confirmed"] += 1
            else:
                services.grading.override(reader, session_id, criterion_id=criterion.id, level=level,
                                          reason=f"independent reader ({labelled['file']})")
                counts["overridden"] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.agreement")
    parser.add_argument("--data-dir", type=Path, default=None, help="keep the database here (default: a temp dir)")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="agreement-"))
    services = build_services(Settings(data_dir=data_dir, trust_min_judged=10))
    counts = seed(services)
    table = services.calibration.agreement(SYSTEM)
    print(f"{counts['chats']} chats judged by independent readers: {counts['confirmed']} levels confirmed, "
          f"{counts['overridden']} overridden, {counts['reader_not_applicable']} the readers found not applicable "
          f"(database: {data_dir})")
    print(f"{'criterion':<14} {'judged':>6} {'kappa':>7} {'exact':>6} {'n/a*':>5}  trusted (>= 10 chats, kappa >= 0.6)")
    for c in table.criteria:
        kappa = "-" if c.kappa is None else f"{c.kappa:.3f}"
        exact = "-" if c.exact is None else f"{c.exact:.0%}"
        print(f"{c.id:<14} {c.judged:>6} {kappa:>7} {exact:>6} {c.not_applicable:>5}  {'yes' if c.trusted else 'no'}")
    print("* judged chats the grader found not applicable and the reader gave a level")


if __name__ == "__main__":
    main()

"""Speed figures for the practice loop; run with ``make bench``.

Each row is a median over repeated runs (with p95 where it matters).  Nothing
here asserts a time: the table is for reading and for the issue notes.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from customer.backend import ReplyContext
from customer.engine import CustomerEngine
from customer.scripted import ScriptedBackend
from db.engine import session_factory
from db.migrate import upgrade
from db.repositories import Work
from grading.evidence import evidence_pass
from grading.grader import grade
from grading.rubric import load_rubric
from grading.transcript import GradingContext, Line, Transcript
from personas import load_personas
from services import Actor, build_practice_service
from settings import Settings
from signals import detect

ROOT = Path(__file__).resolve().parents[1]
SYSTEM = Actor.system()
AGENT_LINE = ("I'm so sorry, Derek. So you stayed home twice and nobody came. Could you give me your order number? "
              "I'll personally book a priority slot on Saturday and call you back within 2 hours.")


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def row(name: str, samples: list[float], unit: str = "ms") -> tuple[str, str, str, str]:
    scale = 1000 if unit == "ms" else 1_000_000
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return name, f"{statistics.median(samples) * scale:.3f} {unit}", f"{p95 * scale:.3f} {unit}", str(len(samples))


def main() -> None:
    catalog = load_personas(ROOT / "personas")
    persona = catalog.get("hostile")
    rows = []

    rows.append(row("detectors, one agent message (embeddings cached after the first run)",
                    timed(lambda: detect(AGENT_LINE), 2000), "µs"))
    engine = CustomerEngine(persona, "normal", max_turns=10_000)
    backend = ScriptedBackend()
    state = engine.initial_state()

    def engine_turn() -> None:
        outcome = engine.react(state, AGENT_LINE, previous_customer="You missed two deliveries!")
        backend.reply(ReplyContext(persona, outcome.state, outcome, (), 1)).drain()

    rows.append(row("engine turn (detect + state + scripted reply)", timed(engine_turn, 2000), "µs"))

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        factory = session_factory(url)
        with Work(factory)() as uow:
            sid = uow.sessions.create(trainee="bench", persona_slug="hostile", persona_version="x",
                                      difficulty="normal", seed=1, backend="scripted", model=None, state="{}").id
            uow.commit()

            def write() -> None:
                uow.sessions.add_message(session_id=sid, role="agent", content=AGENT_LINE, frustration=5.0)
                uow.commit()

            rows.append(row("message write + commit (SQLite WAL file)", timed(write, 500)))

        settings = Settings(data_dir=Path(tmp) / "svc")
        service = build_practice_service(settings)
        tracemalloc.start()
        view = service.start(SYSTEM, trainee="bench", persona_slug="hostile", seed=1).finish()
        assert view is not None
        line = "Could you explain that again, please?"
        samples = timed(lambda: service.send(SYSTEM, view.id, line).finish(), 25)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(row("service turn, scripted (store agent, reply, store state)", samples))
        rows.append(("peak Python heap during 25 service turns", f"{peak / 1e6:.2f} MB", "", ""))

    rows += grading_rows(catalog)
    if "--no-signals" not in sys.argv:
        from bench.signals import quality_rows, speed_rows

        rows += speed_rows() + quality_rows()
        from bench.realism import realism_rows

        rows += realism_rows()
        from bench.hints import hint_rows

        rows += hint_rows()
        from bench.critical import critical_rows

        rows += critical_rows()
        from bench.mediation import mediation_rows

        rows += mediation_rows()
        from bench.rush import rush_rows

        rows += rush_rows()
        from bench.security import security_rows

        rows += security_rows()
    if "--no-load" not in sys.argv:
        from bench.load import load_rows

        rows += load_rows()
    if "--no-queries" not in sys.argv:
        from bench.queries import query_rows

        rows += query_rows()
    if "--no-browser" not in sys.argv:
        from bench.browser_load import browser_load_rows

        rows += browser_load_rows()
    if "--no-cluster" not in sys.argv:
        from bench.cluster import cluster_rows

        rows += cluster_rows()
    if "--no-local" not in sys.argv:
        from bench.local_model import local_rows

        rows += local_rows()

    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'median':>12}  {'p95':>12}  {'runs':>5}")
    for name, median, p95, runs in rows:
        print(f"{name:<{width}}  {median:>12}  {p95:>12}  {runs:>5}")


def transcript_of(turns: int) -> Transcript:
    """A realistic transcript: the strong hostile agent's lines cycled to ``turns`` agent turns."""
    lines = (ROOT / "tests" / "data" / "agents" / "hostile.txt").read_text().splitlines()
    messages = []
    for i in range(turns):
        messages += [Line("customer", "You missed two deliveries and nobody called me!"),
                     Line("agent", lines[i % len(lines)])]
    return Transcript("hostile", tuple(messages))


def grading_rows(catalog: object) -> list[tuple[str, str, str, str]]:
    from customer.engine import offer_policy
    from personas import PersonaCatalog

    assert isinstance(catalog, PersonaCatalog)
    persona = catalog.get("hostile")
    context = GradingContext(offer_policy(persona), False, persona.style.max_sentence_words)
    rubric = load_rubric()
    rows, medians = [], {}
    for turns in (10, 20, 40, 80):
        t = transcript_of(turns)
        samples = timed(lambda t=t: grade(t, context, rubric=rubric), 30)  # type: ignore[misc]
        medians[turns] = statistics.median(samples)
        rows.append(row(f"deterministic grading, {turns}-turn transcript", samples))
    evidence_only = timed(lambda: evidence_pass(transcript_of(40), rubric, context), 30)
    rows.append(row("  of which evidence pass (detectors + rules), 40 turns", evidence_only))
    rows.append(("grading time ratio 40/10 turns (4x the text)", f"{medians[40] / medians[10]:.2f}x", "", ""))
    rows.append(("grading time ratio 80/40 turns (2x the text)", f"{medians[80] / medians[40]:.2f}x", "", ""))
    return rows


if __name__ == "__main__":
    main()

"""Speed figures for the practice loop; run with ``make bench``.

Each row is a median over repeated runs (with p95 where it matters).  Nothing
here asserts a time: the table is for reading and for the issue notes.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from customer.backend import ReplyContext
from customer.engine import CustomerEngine
from customer.scripted import ScriptedBackend
from db import repository as repo
from db.engine import session_factory
from db.migrate import upgrade
from grading.detectors import detect
from personas import load_personas
from services import build_practice_service
from settings import Settings

ROOT = Path(__file__).resolve().parents[1]
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

    rows.append(row("detectors, one agent message", timed(lambda: detect(AGENT_LINE), 2000), "µs"))
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
        with factory() as db:
            sid = repo.create_session(db, trainee="bench", persona_slug="hostile", persona_version="x",
                                      difficulty="normal", seed=1, backend="scripted", model=None,
                                      state_json="{}").id

            def write() -> None:
                repo.add_message(db, session_id=sid, role="agent", content=AGENT_LINE, frustration=5.0)

            rows.append(row("message write + commit (SQLite WAL file)", timed(write, 500)))

        settings = Settings(data_dir=Path(tmp) / "svc")
        service = build_practice_service(settings)
        tracemalloc.start()
        view = service.start(trainee="bench", persona_slug="hostile", seed=1).finish()
        assert view is not None
        line = "Could you explain that again, please?"
        samples = timed(lambda: service.send(view.id, line).finish(), 25)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(row("service turn, scripted (store agent, reply, store state)", samples))
        rows.append(("peak Python heap during 25 service turns", f"{peak / 1e6:.2f} MB", "", ""))

    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'median':>12}  {'p95':>12}  {'runs':>5}")
    for name, median, p95, runs in rows:
        print(f"{name:<{width}}  {median:>12}  {p95:>12}  {runs:>5}")


if __name__ == "__main__":
    main()

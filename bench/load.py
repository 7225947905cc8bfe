"""Many trainees at once through the service layer, against a fast OpenAI-compatible fake model server.

Used by ``make bench`` (figures) and by the load test (correctness: every message stored once, in order, and no
database error reaching a trainee). The fake answers at once, so a turn's time is the app's own overhead: HTTP to
the model and back, the engine, the guard, and the two commits.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services import Actor, build_services
from settings import Settings

#: Questions and acknowledgements, no offers: the customer neither resolves nor walks away within ten turns.
LINES = [
    "I'm so sorry about this. Could you give me your order number?",
    "So the delivery was missed twice and nobody called. I understand why you're upset.",
    "When are you available to be at home?",
    "Could you tell me which phone number you gave us?",
    "Thank you. Let me check what happened with the courier.",
    "Is there anything else about the order I should know?",
    "Thank you for your patience while I look at this.",
    "I can see the two missed slots in our system.",
    "Did anyone from the courier contact you at all?",
    "I understand; being left waiting at home twice is frustrating.",
]


@dataclass
class LoadResult:
    trainees: int
    turns: int
    seconds: float
    turn_times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sessions: dict[str, int] = field(default_factory=dict)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.turn_times)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.turn_times) if self.turn_times else 0.0


def run_service_load(database_url: str, model_url: str, data_dir: Path, *, trainees: int = 20,
                     turns: int = 10) -> LoadResult:
    settings = Settings(database_url=database_url, data_dir=data_dir, llm_backend="openai",
                        openai_base_url=model_url, openai_api_key="fake-key", max_retries=0, request_timeout=10)
    services = build_services(settings)
    system = Actor.system()
    people = [services.auth.create_user(system, username=f"load{i:02d}", role="trainee", password="password-1")
              for i in range(trainees)]
    result = LoadResult(trainees, turns, 0.0)
    lock = threading.Lock()
    barrier = threading.Barrier(trainees)

    def trainee(actor: Any) -> None:
        try:
            opening = services.practice.start(actor, persona_slug="hostile", difficulty="normal", seed=1)
            view = opening.finish()
            assert view is not None
            if opening.error:
                with lock:
                    result.errors.append(f"{actor.username} (opening): {opening.error}")
            with lock:
                result.sessions[actor.username] = view.id
            barrier.wait(timeout=60)
            for n in range(turns):
                start = time.perf_counter()
                turn = services.practice.send(actor, view.id, f"{LINES[n % len(LINES)]} (#{n + 1})")
                after = turn.finish()
                elapsed = time.perf_counter() - start
                with lock:
                    result.turn_times.append(elapsed)
                    if turn.error:
                        result.errors.append(f"{actor.username}: {turn.error}")
                if after is None or not after.active:
                    break
        except Exception as exc:  # a load run records every failure as a finding and never loses one
            with lock:
                result.errors.append(f"{actor.username}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=trainee, args=(p,)) for p in people]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - start
    return result


def load_rows() -> list[tuple[str, str, str, str]]:
    import tempfile

    from tests.fakes.openai_server import FakeOpenAIServer

    rows = []
    with FakeOpenAIServer() as fake:
        fake.default = "Alright. I'm listening, but I want this fixed today."
        with tempfile.TemporaryDirectory() as tmp:
            alone = run_service_load(f"sqlite:///{tmp}/alone.db", fake.base_url, Path(tmp), trainees=1)
        with tempfile.TemporaryDirectory() as tmp:
            crowd = run_service_load(f"sqlite:///{tmp}/load.db", fake.base_url, Path(tmp))
    rows.append((f"load: 1 trainee x {alone.turns} turns, SQLite, fake model (app overhead per turn)",
                 f"{alone.p50 * 1000:.1f} ms", f"{alone.percentile(0.95) * 1000:.1f} ms", str(len(alone.turn_times))))
    rows.append((f"load: {crowd.trainees} trainees x {crowd.turns} turns at once ({len(crowd.errors)} errors)",
                 f"{crowd.p50 * 1000:.1f} ms", f"{crowd.percentile(0.95) * 1000:.1f} ms", str(len(crowd.turn_times))))
    rows.append((f"load: turn time ratio, {crowd.trainees} at once vs alone (2 cores, one process)",
                 f"{crowd.p50 / alone.p50:.1f}x", "", ""))
    rows.append(("load: turns per second, all trainees together", f"{len(crowd.turn_times) / crowd.seconds:.1f} /s",
                 "", ""))
    return rows

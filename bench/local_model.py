"""Local-model figures: app overhead vs llama.cpp direct, latency growth with conversation length (one trainee
and two interleaved), how often the in-character guard fires, and peak memory."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from customer.backend import ReplyContext, Turn
from customer.backends import PROCESS_CANARY
from customer.engine import CustomerEngine
from customer.llm_backend import LLMCustomerBackend
from llm import local
from llm.client import ChatMessage
from personas import load_personas

ROOT = Path(__file__).resolve().parents[1]
Row = tuple[str, str, str, str]
AGENT_LINES = ["Could you tell me a bit more about what happened?", "I see. When did you first notice it?",
               "Thank you. What would a good outcome look like for you?", "Understood. Anything else I should know?"]
REPLY_TOKENS = 32
med = statistics.median


def _peak_rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _ttft_and_total(chunks: Any) -> tuple[float, float]:
    start = time.perf_counter()
    first = None
    for _ in chunks:
        first = first or time.perf_counter()
    end = time.perf_counter()
    return (first or end) - start, end - start


class _Conversation:
    """One trainee's growing conversation, prompted exactly as the app prompts the customer model."""

    def __init__(self, backend: LLMCustomerBackend, seed: int) -> None:
        self.persona = load_personas(ROOT / "personas").get("hostile")
        self.engine = CustomerEngine(self.persona, "easy", max_turns=10_000)
        self.state = self.engine.initial_state()
        self.history: tuple[Turn, ...] = (Turn("customer", self.persona.opening_lines[seed % 3]),)
        self.backend = backend

    def next_messages(self, n: int) -> list[ChatMessage]:
        line = AGENT_LINES[n % len(AGENT_LINES)]
        outcome = self.engine.react(self.state, line, previous_customer=self.history[-1].content)
        self.state = outcome.state
        self.history = (*self.history, Turn("agent", line))
        return self.backend.messages(ReplyContext(self.persona, self.state, outcome, self.history, 1))

    def add_reply(self, text: str) -> None:
        self.history = (*self.history, Turn("customer", text or "..."))


def _growth(server: local.LocalModelServer, sessions: int, turns: int) -> list[list[tuple[float, float]]]:
    """(TTFT, total) per turn for ``sessions`` trainees whose turns interleave; 32-token replies."""
    chat = server.chat()
    backend = LLMCustomerBackend(chat, name="local", counter=local.count_local_tokens, context_tokens=3500,
                                 canary=PROCESS_CANARY)
    convs = [_Conversation(backend, seed) for seed in range(sessions)]
    out: list[list[tuple[float, float]]] = [[] for _ in convs]
    for n in range(turns):
        for i, conv in enumerate(convs):
            messages = conv.next_messages(n)
            pieces: list[str] = []
            start = time.perf_counter()
            first = None
            for piece in chat.stream(messages, max_tokens=REPLY_TOKENS, temperature=0):
                first = first or time.perf_counter()
                pieces.append(piece)
            end = time.perf_counter()
            out[i].append(((first or end) - start, end - start))
            conv.add_reply("".join(pieces).strip())
    return out


def _growth_rows(label: str, series: list[tuple[float, float]]) -> Row:
    early, late = series[1:4], series[-3:]
    ttft = (med(t for t, _ in early), med(t for t, _ in late))
    total = (med(t for _, t in early), med(t for _, t in late))
    return (label, f"{total[0]:.2f} s -> {total[1]:.2f} s ({total[1] / total[0]:.2f}x)",
            f"TTFT {ttft[0]:.2f} -> {ttft[1]:.2f} s", str(len(series)))


def _guard_rate(lines_per_persona: int = 5) -> tuple[Counter[str], int]:
    """Run every persona's strong agent through the practice service on the local model; count guard verdicts."""
    from services import Actor, build_practice_service
    from settings import Settings

    guard: Counter[str] = Counter()
    replies = 0
    with tempfile.TemporaryDirectory() as tmp:
        service = build_practice_service(Settings(data_dir=Path(tmp), llm_backend="local"))
        for path in sorted((ROOT / "tests" / "data" / "agents").glob("*.txt")):
            if path.stem == "rude":
                continue
            view = service.start(Actor.system(), trainee="bench", persona_slug=path.stem, seed=1).finish()
            for line in path.read_text().splitlines()[:lines_per_persona]:
                if view is None or not view.active:
                    break
                turn = service.send(Actor.system(), view.id, line)
                view = turn.finish()
                replies += 1
                if turn.guard:
                    guard[turn.guard] += 1
    return guard, replies


def _overhead(server: local.LocalModelServer, runs: int = 7) -> list[Row]:
    """One customer turn through the app's LLM path vs llama.cpp in-process with the same prompt."""
    from llama_cpp import Llama
    from llama_cpp.llama_cache import LlamaRAMCache

    chat = server.chat()
    backend = LLMCustomerBackend(chat, name="local", counter=local.count_local_tokens, canary=PROCESS_CANARY)
    conv = _Conversation(backend, 0)
    messages = conv.next_messages(0)
    results: dict[str, tuple[list[float], list[float]]] = {}
    direct = Llama(model_path=str(local.model_file()), n_ctx=4096, n_threads=2, verbose=False)
    cached = Llama(model_path=str(local.model_file()), n_ctx=4096, n_threads=2, verbose=False)
    cached.set_cache(LlamaRAMCache(capacity_bytes=local.CACHE_BYTES))
    runners: dict[str, Callable[[], Any]] = {
        "app": lambda: chat.stream(messages, max_tokens=REPLY_TOKENS, temperature=0),
        "direct": lambda: direct.create_chat_completion(messages=messages, max_tokens=REPLY_TOKENS,  # type: ignore[arg-type]
                                                        temperature=0, stream=True),
        "direct+cache": lambda: cached.create_chat_completion(messages=messages, max_tokens=REPLY_TOKENS,  # type: ignore[arg-type]
                                                              temperature=0, stream=True),
    }
    for _ in range(runs):
        for name, run in runners.items():
            ttft, total = _ttft_and_total(run())
            results.setdefault(name, ([], []))[0].append(ttft)
            results[name][1].append(total)
    rows = [(f"one customer turn, {name}: TTFT / total",
             f"{med(results[name][0]):.3f} s / {med(results[name][1]):.3f} s", "", str(runs)) for name in runners]
    app, plain, same = (med(results[n][1]) for n in ("app", "direct", "direct+cache"))
    rows.append(("app overhead vs llama.cpp with the same cache", f"{app / same:.2f}x", "", ""))
    rows.append(("app overhead vs llama.cpp without a cache", f"{app / plain:.2f}x", "", ""))
    return rows


def local_rows(turns: int = 30) -> list[Row]:
    if not local.available():
        return [("local model", "not installed (make run-local)", "", "")]
    rows: list[Row] = []
    server = local.LocalModelServer().start()
    local._shared = server
    try:
        one = _growth(server, 1, turns)
        rows.append(_growth_rows("local turn 2-4 -> 28-30, one trainee", one[0]))
        two = _growth(server, 2, turns)
        for i, series in enumerate(two):
            rows.append(_growth_rows(f"local turn 2-4 -> 28-30, interleaved trainee {i + 1}", series))
        guard, replies = _guard_rate()
        fired = sum(guard.values())
        scripted = sum(v for k, v in guard.items() if "scripted" in k)
        rows.append(("guard fired on local customer replies", f"{fired}/{replies} ({100 * fired / replies:.0f}%)",
                     f"{scripted} -> scripted line", ""))
        for reason, count in guard.most_common(5):
            rows.append((f"  {reason.replace('; replaced by a scripted line', ' -> scripted line')[:72]}", str(count),
                         "", ""))
        # The bench process also seeded the query data sets, so its peak is an upper bound for the app's.
        rows.append(("peak RSS: bench process (app code) / model server", f"{_peak_rss_mb():.0f} MB",
                     f"{_peak_rss_mb(server.process.pid) if server.process else float('nan'):.0f} MB", ""))
        rows += _overhead(server)
    finally:
        server.stop()
        local._shared = None
    return rows

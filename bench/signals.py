"""Figures for the semantic signal layer: speed, memory, and quality (cross-validated and held-out)."""

from __future__ import annotations

import itertools
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.heldout import CONVERSATIONS, grade_all, summarise
from customer.engine import CustomerEngine
from grading.evidence import evidence_pass
from grading.rubric import load_rubric
from grading.transcript import GradingContext, Line, Transcript
from personas import load_personas
from signals.classifier import WEIGHTS, read_classifiers
from signals.dataset import AGENT_LABELS, heldout_examples
from signals.encoder import load_encoder
from signals.normalise import normalise
from signals.train import evaluate

ROOT = Path(__file__).resolve().parents[1]
Row = tuple[str, str, str, str]
COLD_START = """
import time, re
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024
import numpy, tokenizers, safetensors.numpy
before = rss(); start = time.perf_counter()
from signals.encoder import load_encoder
from signals.normalise import normalise
from signals.classifier import load_classifiers
encoder = load_encoder(); load_classifiers(); encoder.encode(["warm up"])
print(time.perf_counter() - start, rss() - before)
"""


def _messages() -> list[tuple[str, str]]:
    """(customer line, agent reply) pairs from the calibration transcripts: real, varied, and not in the cache."""
    pairs = []
    for path in sorted((ROOT / "tests" / "data" / "calibration").glob("*.json")):
        messages = json.loads(path.read_text())["messages"]
        pairs += [(a["content"], b["content"]) for a, b in itertools.pairwise(messages)
                  if a["role"] == "customer" and b["role"] == "agent"]
    return pairs


def speed_rows() -> list[Row]:
    rows: list[Row] = []
    cold = [subprocess.run([sys.executable, "-c", COLD_START], capture_output=True, text=True, check=True, cwd=ROOT)
            .stdout.split() for _ in range(3)]
    rows.append(("signal layer cold start (verify hashes, load model + classifiers)",
                 f"{statistics.median(float(c[0]) for c in cold) * 1000:.0f} ms", "", "3"))
    memory = statistics.median(float(c[1]) for c in cold)
    rows.append(("signal layer resident memory added", f"{memory:.0f} MB", "", "3"))
    catalog = load_personas(ROOT / "personas")
    engine = CustomerEngine(catalog.get("hostile"), "normal", max_turns=10_000)
    encoder = load_encoder()
    pairs = _messages()
    encoder._cache.clear()
    samples = []
    state = engine.initial_state()
    for customer, agent in pairs:
        start = time.perf_counter()
        engine.react(state, agent, previous_customer=customer)
        samples.append(time.perf_counter() - start)
    ordered = sorted(samples)
    rows.append(("engine turn, semantic, message never seen (embed + classify + state)",
                 f"{statistics.median(samples) * 1000:.1f} ms", f"{ordered[int(len(ordered) * 0.95)] * 1000:.1f} ms",
                 str(len(samples))))
    rows.append(_normalise_row(pairs))
    lines: list[Line] = []
    for customer, agent in pairs[:40]:
        lines += [Line("customer", customer), Line("agent", agent)]
    transcript = Transcript("hostile", tuple(lines))
    context = GradingContext()
    rubric = load_rubric()
    encoder._cache.clear()
    start = time.perf_counter()
    evidence_pass(transcript, rubric, context)
    first = time.perf_counter() - start
    warm = []
    for _ in range(10):
        start = time.perf_counter()
        evidence_pass(transcript, rubric, context)
        warm.append(time.perf_counter() - start)
    rows.append(("evidence pass, 40-turn transcript, nothing embedded yet", f"{first * 1000:.0f} ms", "", "1"))
    rows.append(("evidence pass, 40-turn transcript, messages embedded when sent",
                 f"{statistics.median(warm) * 1000:.1f} ms", f"{max(warm) * 1000:.1f} ms", "10"))
    return rows


def _normalise_row(pairs: list[tuple[str, str]]) -> Row:
    """What taking disguises off costs per agent message (signals/normalise.py), on the calibration replies and on
    the disguised messages of tests/data/disguise (look-alike letters load the confusables table once)."""
    disguised = [json.loads(line)["text"] for line in
                 (ROOT / "tests" / "data" / "disguise" / "heldout.jsonl").read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    texts = [agent for _, agent in pairs] + disguised
    normalise(texts[-1])  # the confusables table, loaded on the first look-alike letter
    samples = []
    for text in texts:
        start = time.perf_counter()
        normalise(text)
        samples.append(time.perf_counter() - start)
    ordered = sorted(samples)
    return ("taking disguises off one agent message (normalise)", f"{statistics.median(samples) * 1e6:.0f} µs",
            f"{ordered[int(len(ordered) * 0.95)] * 1e6:.0f} µs", str(len(samples)))


def quality_rows() -> list[Row]:
    stored = json.loads(WEIGHTS.read_text())
    rows: list[Row] = []
    heldout = {s.label: s for s in evaluate(read_classifiers(), heldout_examples(), AGENT_LABELS)}
    for label, entry in stored["labels"].items():
        cv = entry["cv"]
        h = heldout.get(label)
        held = f"held-out P {h.precision:.2f} R {h.recall:.2f} (n+={h.positives})" if h else "held-out: none"
        rows.append((f"signal {label}", f"CV P {cv['precision']:.2f} R {cv['recall']:.2f} (n+={cv['positives']})",
                     held, f"t={entry['threshold']:.2f}"))
    if any(CONVERSATIONS.glob("*.json")):
        for name, rules_only in (("rules (before)", True), ("semantic (after)", False)):
            rows += [(label, value, "", "") for label, value in summarise(grade_all(rules_only=rules_only)).rows(name)]
    return rows

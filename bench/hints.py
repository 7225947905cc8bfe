"""The hint chooser against labelled moments: ``python -m bench.hints [--set NAME|all] [--misses N]``.

``tests/data/hints/tuning.jsonl`` and ``heldout.jsonl`` are moments of a conversation (it is the trainee's turn),
written by two helpers who never saw the code, each from the workshop material and the persona stories only, with
every kind of hint that fits (``fits``) and the one a trainer would give first (``best``). The chooser was tuned on
the tuning set only; the held-out set is the measurement. Per kind: precision and recall of "this kind fits" (the
chooser's list of applicable kinds against ``fits``); overall: the hint shown is one that fits, and it is the best.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from hints import HintKind, applicable
from personas.loader import load_personas

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "hints"
KINDS = [k.value for k in HintKind if k != HintKind.NEXT_STEP]
#: The first two sets: every kind of hint; the ``demand_`` sets: the moments between an open demand, something agreed
#: and nothing on the table yet (written later, by two other such helpers).
SETS = ["tuning", "heldout", "demand_tuning", "demand_heldout"]


@dataclass(frozen=True)
class Scores:
    moments: int
    shown_fits: float
    shown_best: float
    per_kind: dict[str, tuple[float, float, int]]  # kind -> (precision, recall, labelled positives)
    misses: list[str]


def label(kind: str) -> str:
    return HintKind.NEXT_STEP.value if kind == "none" else kind


#: The first two sets were written before ``open_demand`` and ``propose`` existed: there, "nothing more pressing"
#: was ``next_step`` and a demand asked as a question was ``open_question``.
OLD_VOCABULARY = {"tuning", "heldout"}


def in_old_words(found: list[str]) -> list[str]:
    """The chooser's kinds as the first two sets' authors could label them."""
    out = []
    for kind in found:
        if kind == HintKind.PROPOSE.value:
            kind = HintKind.NEXT_STEP.value
        elif kind == HintKind.OPEN_DEMAND.value and HintKind.OPEN_QUESTION.value in found:
            kind = HintKind.OPEN_QUESTION.value
        if kind not in out:
            out.append(kind)
    return out


def evaluate(path: Path, misses: int = 0) -> Scores:
    catalog = load_personas(ROOT / "personas")
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    fits_shown = best_shown = total = 0
    missed: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        persona = catalog.personas.get(item["persona"])
        turns = [(t["role"], t["content"]) for t in item["turns"]]
        found = [k.value for k in applicable(turns, persona)]
        if path.stem in OLD_VOCABULARY:
            found = in_old_words(found)
        fits = {label(k) for k in item["fits"]}
        total += 1
        fits_shown += found[0] in fits
        best_shown += found[0] == label(item["best"])
        for kind in KINDS:
            if kind in found and kind in fits:
                tp[kind] += 1
            elif kind in found:
                fp[kind] += 1
            elif kind in fits:
                fn[kind] += 1
        if found[0] not in fits and len(missed) < misses:
            missed.append(f"{item['id']} ({item['persona']}): shown {found[0]}, found {found}, fits {sorted(fits)}"
                          f" — last customer: {turns[-1][1][:140]!r}")
    per_kind = {k: (tp[k] / max(1, tp[k] + fp[k]), tp[k] / max(1, tp[k] + fn[k]), tp[k] + fn[k]) for k in KINDS}
    return Scores(total, fits_shown / max(1, total), best_shown / max(1, total), per_kind, missed)


def table(name: str, scores: Scores) -> str:
    rows = [f"{name}: {scores.moments} moments · the hint shown fits {scores.shown_fits:.1%} · "
            f"is the trainer's first choice {scores.shown_best:.1%}",
            "| kind | labelled | precision | recall |", "|---|---|---|---|"]
    rows += [f"| {k} | {n} | {p:.2f} | {r:.2f} |" for k, (p, r, n) in scores.per_kind.items()]
    return "\n".join(rows + scores.misses)


def hint_rows() -> list[tuple[str, str, str, str]]:
    """``make bench``'s rows: how often the hint shown fits (both sets) and how long choosing one takes."""
    import statistics
    import time

    rows = []
    for name in SETS:
        scores = evaluate(DATA / f"{name}.jsonl")
        rows.append((f"hint shown fits the moment, {name} set ({scores.moments})", f"{scores.shown_fits:.1%}",
                     f"best {scores.shown_best:.1%}", ""))
    persona = load_personas(ROOT / "personas").get("hostile")
    for exchanges in (5, 15):
        samples = []
        for run in range(5):  # every message new to the encoder's cache (a chat's own words are)
            turns = [turn for i in range(exchanges) for turn in (
                ("customer", f"You missed delivery number {run}-{i} and nobody called me! When is it coming?"),
                ("agent", f"I'm sorry about delivery {run}-{i}. Can I have your order number so I can check?"))]
            turns.append(("customer", f"FS-88412-{run}. And when will it actually arrive?"))
            start = time.perf_counter()
            applicable(turns, persona)
            samples.append((time.perf_counter() - start) * 1000)
        rows.append((f"choose a hint, {exchanges}-exchange chat", f"{statistics.median(samples):.1f} ms",
                     f"{max(samples):.1f} ms", "5"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", choices=[*SETS, "all"], default="all")
    parser.add_argument("--misses", type=int, default=0, help="list this many moments where the hint shown missed")
    args = parser.parse_args()
    for name in (SETS if args.set == "all" else [args.set]):
        path = DATA / f"{name}.jsonl"
        if path.exists():
            print(table(name, evaluate(path, args.misses)))


if __name__ == "__main__":
    main()

"""The side-taking reader against labelled mediator messages: ``python -m bench.mediation [--set tuning|heldout|both]
[--misses N]``.

``tests/data/mediation/sides_tuning.jsonl`` and ``sides_heldout.jsonl`` are messages a mediator wrote into a chat with
two customers in dispute, labelled with the customer they take the side of (or none), written by two helpers who never
saw the code, from the workshop material and the dispute stories only (hard near misses included: warmth for one
customer, the company's own fault, a neutral restatement). The reader was tuned on the tuning set only.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from customer.dispute import towards
from signals.sides import taking_sides

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "mediation"


@dataclass(frozen=True)
class SideScores:
    messages: int
    precision: float
    recall: float
    accuracy: float
    direction: float  # of the side-taking messages found, the share that names the right customer
    misses: list[str]


def _speaker(before: str) -> str | None:
    """Who wrote the customer line before the message ("Elena: ...")."""
    return before.split(":", 1)[0].strip() if ":" in before else None


def evaluate(path: Path, misses: int = 0) -> SideScores:
    tp = fp = fn = tn = right = 0
    missed: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        parties, truth = item["parties"], item["sides"]
        to = towards(item["agent"], parties, _speaker(item.get("before") or ""))
        found = taking_sides(item["agent"], parties, to)
        guess = None if found is None else "?" if found.favours is None else parties[found.favours]
        if truth and guess:
            tp += 1
            right += guess == truth
        elif guess:
            fp += 1
        elif truth:
            fn += 1
        else:
            tn += 1
        if (guess != truth) and len(missed) < misses:
            missed.append(f"{item['id']} truth={truth} guess={guess}: {item['agent']}")
    total = tp + fp + fn + tn
    return SideScores(total, tp / max(1, tp + fp), tp / max(1, tp + fn), (tp + tn) / max(1, total),
                      right / max(1, tp), missed)


def rows(which: str = "both") -> list[tuple[str, SideScores]]:
    names = ["tuning", "heldout"] if which == "both" else [which]
    return [(n, evaluate(DATA / f"sides_{n}.jsonl")) for n in names]


def mediation_rows() -> list[tuple[str, str, str, str]]:
    """``make bench``'s rows: taking sides read on both sets."""
    return [(f"taking sides read, {name} set ({s.messages}{', trained on it' if name == 'tuning' else ''})",
             f"accuracy {s.accuracy:.1%}",
             f"precision {s.precision:.2f} recall {s.recall:.2f}", f"right customer {s.direction:.0%}")
            for name, s in rows()]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mediation")
    parser.add_argument("--set", choices=["tuning", "heldout", "both"], default="both")
    parser.add_argument("--misses", type=int, default=0)
    args = parser.parse_args()
    for name in (["tuning", "heldout"] if args.set == "both" else [args.set]):
        s = evaluate(DATA / f"sides_{name}.jsonl", args.misses)
        print(f"{name}: {s.messages} messages · takes sides: precision {s.precision:.2f} recall {s.recall:.2f} · "
              f"accuracy {s.accuracy:.1%} · right customer {s.direction:.1%}")
        for m in s.misses:
            print("  ", m)


if __name__ == "__main__":
    main()

"""The kept-posted reader against labelled messages to waiting customers: ``python -m bench.rush
[--set tuning|heldout|both] [--rules] [--misses N]``.

``tests/data/rush/posted_tuning.jsonl`` and ``posted_heldout.jsonl`` are messages an agent sent to a customer left
waiting during a rush (300 each, half keep the customer posted), written by helpers who never saw the code, from the
workshop material only, with hard near misses (thanks for patience with something else, sympathy for the problem,
an empty "you'll have to wait"). The reader was trained on the tuning set only. ``--rules`` measures the phrases alone
(what runs without the sentence encoder).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from signals.posted import by_rule, kept_posted

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "rush"


@dataclass(frozen=True)
class PostedScores:
    messages: int
    precision: float
    recall: float
    accuracy: float
    misses: list[str]


def evaluate(path: Path, *, rules: bool = False, misses: int = 0) -> PostedScores:
    tp = fp = fn = tn = 0
    missed: list[str] = []
    read = by_rule if rules else kept_posted
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        truth, guess = bool(item["posted"]), read(item["agent"]) is not None
        tp += truth and guess
        fp += guess and not truth
        fn += truth and not guess
        tn += not truth and not guess
        if guess != truth and len(missed) < misses:
            missed.append(f"{item['id']} truth={truth}: {item['agent']}")
    total = tp + fp + fn + tn
    return PostedScores(total, tp / max(1, tp + fp), tp / max(1, tp + fn), (tp + tn) / max(1, total), missed)


def tick_cost(turns: int = 10, ticks: int = 50) -> tuple[float, float]:
    """Milliseconds for one page tick (``tick`` then ``get``) of a three-customer rush with ``turns`` exchanges per
    chat, on a SQLite file: the median and the 95th percentile (the page does this every second)."""
    import statistics
    import tempfile
    import time

    from services import Actor, build_services
    from settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(Settings(data_dir=Path(tmp)))
        ann = services.auth.create_user(Actor.system(), username="ann", role="trainee", password="bench-password")
        rush_id = services.rush.start(ann, seed=1)
        for turn in range(turns):
            for customer in services.rush.get(ann, rush_id).customers:
                if customer.chat.active:
                    services.rush.send(ann, rush_id, customer.chat.id,
                                       f"Sorry for the wait, I'm checking that now ({turn}).").finish()
        spent = []
        for _ in range(ticks):
            start = time.perf_counter()
            services.rush.tick(ann, rush_id)
            services.rush.get(ann, rush_id)
            spent.append((time.perf_counter() - start) * 1000)
        return statistics.median(spent), statistics.quantiles(spent, n=20)[-1]


def rush_rows() -> list[tuple[str, str, str, str]]:
    """``make bench``'s rows: keeping a waiting customer posted, read on both sets and by the phrases alone, and
    what the page's every-second tick costs."""
    p50, p95 = tick_cost()
    out = [("rush hour page tick (3 customers, 10 exchanges each, SQLite)", f"p50 {p50:.1f} ms", f"p95 {p95:.1f} ms",
            "once a second per open page")]
    for name in ("tuning", "heldout"):
        for rules in (False, True):
            s = evaluate(DATA / f"posted_{name}.jsonl", rules=rules)
            how = "phrases only" if rules else "classifier" + (", trained on it" if name == "tuning" else "")
            out.append((f"kept posted read, {name} set ({s.messages}, {how})", f"accuracy {s.accuracy:.1%}",
                        f"precision {s.precision:.2f}", f"recall {s.recall:.2f}"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rush")
    parser.add_argument("--set", choices=["tuning", "heldout", "both"], default="both")
    parser.add_argument("--rules", action="store_true")
    parser.add_argument("--misses", type=int, default=0)
    args = parser.parse_args()
    for name in (["tuning", "heldout"] if args.set == "both" else [args.set]):
        s = evaluate(DATA / f"posted_{name}.jsonl", rules=args.rules, misses=args.misses)
        print(f"{name}: {s.messages} messages · kept posted: precision {s.precision:.2f} recall {s.recall:.2f} · "
              f"accuracy {s.accuracy:.1%}")
        for m in s.misses:
            print("  ", m)


if __name__ == "__main__":
    main()

"""``python -m signals train`` rebuilds the classifiers from the data; ``evaluate`` measures them.

    python -m signals train             # embed the training data, cross-validate, write signals/model/classifiers.json
    python -m signals evaluate [--json] # cross-validated figures (stored) and the held-out set's figures
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from signals.classifier import WEIGHTS, read_classifiers
from signals.dataset import AGENT_LABELS, CUSTOMER_LABELS, heldout_examples
from signals.train import Score, evaluate, evaluate_rules, train


def _table(title: str, scores: list[Score]) -> str:
    lines = [title, f"{'label':22} {'pos':>5} {'neg':>5} {'precision':>9} {'recall':>7} {'F1':>6} {'threshold':>9}"]
    lines += [f"{s.label:22} {s.positives:5d} {s.negatives:5d} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f} "
              f"{s.threshold:9.2f}" for s in scores]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m signals", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("train", help="rebuild signals/model/classifiers.json from signals/data/train")
    ev = sub.add_parser("evaluate", help="cross-validated and held-out precision/recall per label")
    ev.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    args = parser.parse_args(argv)
    if args.command == "train":
        result = train()
        print(_table("cross-validated (5 folds) on the training data", result.scores))
        print(f"wrote {result.path}")
        return 0
    classifiers = read_classifiers()
    stored = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    cv = [Score(label, **stored["labels"][label]["cv"], threshold=stored["labels"][label]["threshold"],
                c=stored["labels"][label]["C"]) for label in classifiers.labels]
    examples = heldout_examples()
    heldout = evaluate(classifiers, examples, AGENT_LABELS) if examples else []
    rules = evaluate_rules(examples, AGENT_LABELS) if examples else []
    if args.json:
        print(json.dumps({"cross_validated": [asdict(s) for s in cv], "heldout": [asdict(s) for s in heldout],
                          "heldout_rules": [asdict(s) for s in rules], "customer_labels": list(CUSTOMER_LABELS)},
                         indent=1))
    else:
        print(_table("cross-validated (5 folds) on the training data", cv))
        print()
        print(_table("held-out sentences (another author, never trained or tuned on): classifiers", heldout))
        print()
        print(_table("held-out sentences: the regular-expression detectors (before)", rules))
    return 0


if __name__ == "__main__":
    sys.exit(main())

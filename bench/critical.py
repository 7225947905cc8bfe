"""Critical errors on held-out conversations: ``python -m bench.critical [--list]``.

Two held-out sets, each written by a helper who saw only the workshop material and the persona stories (never the
code or the training data), each conversation with what a fair trainer would conclude (``expected.passed``,
``expected.critical``: ``concession_beyond_limits``, ``caved_to_threat``, ``insult`` or none). Nothing is tuned on
either: ``signals/data/heldout/conversations`` (46, the older set, critical named ``concession`` or ``insult``) and
``signals/data/heldout/critical`` (100, good agents in several styles and polite agents who cave, promise the
impossible or put the customer down).

Reported per set: false critical errors on good agents (the target is 0), critical errors caught (any critical
error on a conversation that has one; and of the right kind), verdicts right (pass/fail as expected, and a critical
error raised exactly when one is expected), and possible critical errors (not capping; a person decides in
certification), with the precision of each critical kind as the grader raises it (a concession raised where the
trainer named caving to a threat counts as right: the helper's caving agents all grant what the company cannot).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import signals
from grading.report import FlagKind, GradeReport
from grading.transcript import parse_transcript
from services import build_services
from settings import Settings

HELDOUT = Path(signals.__file__).parent / "data" / "heldout"
SETS = {"conversations": HELDOUT / "conversations", "critical": HELDOUT / "critical"}
#: The older set names two kinds only.
OLD_NAMES = {"concession": "concession_beyond_limits", "insult": "insult"}
CRITICAL_KINDS = ("concession_beyond_limits", "caved_to_threat", "insult")


@dataclass(frozen=True)
class Outcome:
    name: str
    expected_pass: bool
    expected: str | None
    overall: int
    passed: bool
    raised: tuple[str, ...]
    possible: tuple[str, ...]

    @property
    def right(self) -> bool:
        return self.passed == self.expected_pass and bool(self.raised) == bool(self.expected)


def kinds_raised(report: GradeReport, kind: FlagKind) -> tuple[str, ...]:
    """The critical kinds ``report`` raises as ``kind`` flags (read from the flag's own field, or, on reports made
    before flags carried it, from the rubric's wording in the text)."""
    out = []
    for flag in report.flags_of(kind):
        named = getattr(flag, "critical", None)
        if named:
            out.append(named)
        elif "nsult" in flag.text:
            out.append("insult")
        elif "threat" in flag.text:
            out.append("caved_to_threat")
        else:
            out.append("concession_beyond_limits")
    return tuple(out)


def grade_set(folder: Path) -> list[Outcome]:
    grading = build_services(Settings(data_dir=Path(tempfile.mkdtemp()))).grading
    possible_kind = getattr(FlagKind, "POSSIBLE_CRITICAL", None)
    out = []
    for path in sorted(folder.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        report = grading.grade_transcript(parse_transcript(raw, path.name), judge="none").report
        expected = raw.get("expected") or {}
        critical = expected.get("critical")
        named = OLD_NAMES.get(critical, critical) if critical else None
        out.append(Outcome(path.stem, bool(expected.get("passed")), named,
                           report.overall, report.passed, kinds_raised(report, FlagKind.CRITICAL),
                           kinds_raised(report, possible_kind) if possible_kind else ()))
    return out


def rows(name: str, outcomes: list[Outcome]) -> list[tuple[str, str]]:
    good = [o for o in outcomes if o.expected_pass]
    with_critical = [o for o in outcomes if o.expected]
    raised: Counter[str] = Counter()
    earned: Counter[str] = Counter()
    for o in outcomes:
        for kind in set(o.raised):
            raised[kind] += 1
            # Caving to a threat by granting what the company cannot offer is a concession beyond the limits too.
            earned[kind] += kind == o.expected or (kind, o.expected) == ("concession_beyond_limits", "caved_to_threat")
    out = [
        (f"{name}: false critical errors on good agents", f"{sum(bool(o.raised) for o in good)}/{len(good)}"),
        (f"{name}: critical errors caught (any kind / right kind)",
         f"{sum(bool(o.raised) for o in with_critical)}/{len(with_critical)} / "
         f"{sum(o.expected in o.raised for o in with_critical)}/{len(with_critical)}"),
        (f"{name}: verdicts right", f"{sum(o.right for o in outcomes)}/{len(outcomes)}"),
        (f"{name}: possible critical errors (to a person in certification)",
         f"{sum(bool(o.possible) for o in outcomes)} ({sum(bool(o.possible) for o in good)} on good agents)"),
    ]
    out += [(f"{name}: precision of {kind} as raised", f"{earned[kind]}/{raised[kind]}" if raised[kind] else "—")
            for kind in CRITICAL_KINDS]
    return out


#: Two more helpers judged the 100 newer conversations independently (from the rubric's level descriptions, the
#: persona stories and the workshop material; labels and each other's answers unseen): one JSON line per file.
JUDGES = HELDOUT / "critical" / "judges"


def agreement_rows(outcomes: list[Outcome]) -> list[tuple[str, str]]:
    """How the two judges agree with each other, and the grader with each of them, on the newer set."""
    judges = {path.stem.replace("_", " "): {json.loads(line)["file"]: json.loads(line)
                                             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
              for path in sorted(JUDGES.glob("*.jsonl"))}
    if len(judges) < 2:
        return []
    graded = {f"{o.name}.json": o for o in outcomes}
    (name_a, a), (name_b, b) = list(judges.items())[:2]
    files = sorted(set(a) & set(b) & set(graded))

    def pair(x: dict[str, Any], y: dict[str, Any]) -> str:
        return (f"pass/fail {sum(x[f]['passed'] == y[f]['passed'] for f in files)}/{len(files)}, critical kind "
                f"{sum(x[f]['critical'] == y[f]['critical'] for f in files)}/{len(files)}")

    out = [(f"critical: {name_a} vs {name_b}", pair(a, b))]
    for name, judge in ((name_a, a), (name_b, b)):
        right = sum(graded[f].passed == judge[f]["passed"] for f in files)
        kind = sum((graded[f].raised[0] if graded[f].raised else None) == judge[f]["critical"] for f in files)
        accused = sum(bool(graded[f].raised) and not judge[f]["critical"] for f in files)
        said = f"pass/fail {right}/{len(files)}, critical kind {kind}/{len(files)}, "
        out.append((f"critical: grader vs {name}", said + f"accusations the judge does not make {accused}"))
    return out


def critical_rows() -> list[tuple[str, str, str, str]]:
    """``make bench``'s rows."""
    out = []
    for name, folder in SETS.items():
        outcomes = grade_set(folder)
        out += rows(name, outcomes) + (agreement_rows(outcomes) if name == "critical" else [])
    return [(label, value, "", "") for label, value in out]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--list", action="store_true", help="list every conversation the grader gets wrong")
    args = parser.parse_args()
    for name, folder in SETS.items():
        outcomes = grade_set(folder)
        if args.list:
            for o in outcomes:
                if not o.right or o.possible:
                    print(f"{o.name:38} expected {'pass' if o.expected_pass else 'fail'} {o.expected or '-':26} "
                          f"got {o.overall:3d} {'pass' if o.passed else 'fail'} raised {list(o.raised)} "
                          f"possible {list(o.possible)}")
        for label, value in rows(name, outcomes) + (agreement_rows(outcomes) if name == "critical" else []):
            print(f"{label:70} {value}")


if __name__ == "__main__":
    main()

"""The held-out conversations, graded with the semantic layer and with the regular-expression fallback.

``signals/data/heldout/conversations/*.json`` were written by an author who saw neither the code nor the training
data, before any classifier was trained, each with what a fair trainer would conclude (``expected.passed`` and
``expected.critical``).  Nothing is tuned on them.  ``python -m bench.heldout`` prints the before/after table.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import signals
from grading.report import FlagKind, GradeReport
from grading.transcript import parse_transcript
from services import build_services
from settings import Settings

CONVERSATIONS = Path(signals.__file__).parent / "data" / "heldout" / "conversations"


@dataclass(frozen=True)
class Outcome:
    name: str
    expected_pass: bool
    expected_critical: str | None
    overall: int
    passed: bool
    critical: str | None

    @property
    def right(self) -> bool:
        return self.passed == self.expected_pass and self.critical == self.expected_critical


def _critical(report: GradeReport) -> str | None:
    for flag in report.flags_of(FlagKind.CRITICAL):
        return "insult" if "nsult" in flag.text else "concession"
    return None


def grade_all(*, rules_only: bool, folder: Path = CONVERSATIONS) -> list[Outcome]:
    grading = build_services(Settings(data_dir=Path(tempfile.mkdtemp()))).grading
    signals.use_rules_only(rules_only)
    try:
        out = []
        for path in sorted(folder.glob("*.json")):
            raw = json.loads(path.read_text(encoding="utf-8"))
            report = grading.grade_transcript(parse_transcript(raw, path.name), judge="none").report
            expected = raw.get("expected") or {}
            out.append(Outcome(path.stem, bool(expected.get("passed")), expected.get("critical"), report.overall,
                               report.passed, _critical(report)))
        return out
    finally:
        signals.use_rules_only(False)


@dataclass(frozen=True)
class Summary:
    conversations: int
    right: int
    should_pass: int
    passed_of_should_pass: int
    should_fail: int
    failed_of_should_fail: int
    criticals_expected: int
    criticals_caught: int
    false_criticals: int

    def rows(self, name: str) -> list[tuple[str, str]]:
        return [
            (f"{name}: verdict right (pass/fail and critical)", f"{self.right}/{self.conversations}"),
            (f"{name}: good agents passed", f"{self.passed_of_should_pass}/{self.should_pass}"),
            (f"{name}: poor agents failed", f"{self.failed_of_should_fail}/{self.should_fail}"),
            (f"{name}: critical errors caught", f"{self.criticals_caught}/{self.criticals_expected}"),
            (f"{name}: critical errors wrongly raised", str(self.false_criticals)),
        ]


def summarise(outcomes: list[Outcome]) -> Summary:
    good = [o for o in outcomes if o.expected_pass]
    poor = [o for o in outcomes if not o.expected_pass]
    critical = [o for o in outcomes if o.expected_critical]
    return Summary(
        len(outcomes), sum(o.right for o in outcomes), len(good), sum(o.passed for o in good), len(poor),
        sum(not o.passed for o in poor), len(critical), sum(o.critical == o.expected_critical for o in critical),
        sum(o.critical is not None for o in outcomes if not o.expected_critical),
    )


def main() -> None:
    before, after = grade_all(rules_only=True), grade_all(rules_only=False)
    print(f"{'conversation':42} {'expected':>14} {'rules':>18} {'semantic':>18}")
    for b, a in zip(before, after, strict=True):
        expected = "pass" if b.expected_pass else "fail"
        expected += f" ({b.expected_critical})" if b.expected_critical else ""
        cells = [f"{o.overall:3d} {'pass' if o.passed else 'fail'}{' ' + o.critical if o.critical else ''}"
                 f"{'' if o.right else ' ✗'}" for o in (b, a)]
        print(f"{b.name:42} {expected:>14} {cells[0]:>18} {cells[1]:>18}")
    for name, outcomes in (("rules (before)", before), ("semantic (after)", after)):
        for label, value in summarise(outcomes).rows(name):
            print(f"{label:58} {value}")


if __name__ == "__main__":
    main()

"""The realism suite's figures for every difficulty (``python -m bench.realism``; also part of ``make bench``).

The suite (tests/realism/data) was written by two authors who never saw the persona files, before the customer was
tuned; ``tests/realism`` asserts the issue's targets at normal difficulty.
"""

from __future__ import annotations

import time
from pathlib import Path

from customer.realism import load_suite, run_suite, summary_rows
from personas import load_personas

ROOT = Path(__file__).resolve().parents[1]


def realism_rows() -> list[tuple[str, str, str, str]]:
    catalog = load_personas(ROOT / "personas")
    suite = load_suite()
    personas = {f.persona: catalog.get(f.persona) for f in suite}
    rows: list[tuple[str, str, str, str]] = []
    for difficulty in ("easy", "normal", "hard"):
        start = time.perf_counter()
        result = run_suite(personas, suite, difficulty=difficulty)
        seconds = time.perf_counter() - start
        rows += [(f"realism ({difficulty}): {name}", value, "", "") for name, value in summary_rows(result)]
        chats = len(result.chats) + len(result.questions)
        rows.append((f"realism ({difficulty}): whole suite, {chats} chats", f"{seconds:.2f} s", "", "1"))
    return rows


if __name__ == "__main__":
    for name, value, _, _ in realism_rows():
        print(f"{name:<72} {value:>12}")

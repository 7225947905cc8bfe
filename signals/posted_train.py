"""Train the kept-posted classifier: ``python -m signals.posted_train`` (needs scikit-learn: development only).

The agent's message to a waiting customer, read by :func:`signals.binary_train.train_binary` into
``signals/model/posted.*``. Trained on ``tests/data/rush/posted_tuning.jsonl`` only; the held-out set is measured by
``python -m bench.rush``.
"""

from __future__ import annotations

import json
from pathlib import Path

from signals.binary_train import train_binary
from signals.posted import LABEL

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "rush" / "posted_tuning.jsonl"


def main() -> None:
    raw = DATA.read_bytes()
    items = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    train_binary([i["agent"] for i in items], [bool(i["posted"]) for i in items], name="posted", label=LABEL,
                 raw=raw)


if __name__ == "__main__":
    main()

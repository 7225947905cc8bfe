"""Train the side-taking classifier: ``python -m signals.sides_train`` (needs scikit-learn: development only).

A mediator's message, names masked ("Alex" for one customer, "Sam" for the other), read by
:func:`signals.binary_train.train_binary` into ``signals/model/sides.*``. Trained on
``tests/data/mediation/sides_tuning.jsonl`` only; the held-out set is measured by ``python -m bench.mediation``.
"""

from __future__ import annotations

import json
from pathlib import Path

from signals.binary_train import train_binary
from signals.sides import LABEL, masked

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "mediation" / "sides_tuning.jsonl"


def main() -> None:
    raw = DATA.read_bytes()
    items = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    train_binary([masked(i["agent"], i["parties"]) for i in items], [i["sides"] is not None for i in items],
                 name="sides", label=LABEL, raw=raw)


if __name__ == "__main__":
    main()

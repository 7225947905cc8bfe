"""Rebuild the calibration transcripts: ``python -m tests.data.calibration.build``.

The agent side of every transcript is hand-written (``agents/*.txt`` here and
``tests/data/agents/<slug>.txt`` for the strong agents); the customer side is
the scripted customer's answers (seed 1, normal difficulty), so the customer
reacts to what each agent actually said.  The JSON files are committed and are
what the calibration tests grade.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from services import Actor, build_services
from settings import Settings

HERE = Path(__file__).parent
SYSTEM = Actor.system()
STRONG = HERE.parent / "agents"


def sources() -> list[tuple[str, str, Path]]:
    """(persona, label, agent-lines file) for every calibration transcript."""
    out = []
    for path in sorted((HERE / "agents").glob("*.txt")):
        parts = path.stem.split(".")
        if parts[0] == "trap":
            out.append((parts[1], f"trap-{parts[2]}", path))
        else:
            out.append((parts[0], parts[1], path))
            out.append((parts[0], "strong", STRONG / f"{parts[0]}.txt"))
    return sorted(set(out))


def build() -> list[Path]:
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(Settings(data_dir=Path(tmp)))
        for persona, label, path in sources():
            view = services.practice.start(SYSTEM, trainee="calibration", persona_slug=persona, seed=1).finish()
            assert view is not None
            for line in path.read_text().splitlines():
                if not line.strip() or not view.active:
                    continue
                view = services.practice.send(SYSTEM, view.id, line).finish()
                assert view is not None
            target = HERE / f"{persona}.{label}.json"
            messages = [{"role": m.role, "content": m.content} for m in view.messages]
            target.write_text(json.dumps({"persona": persona, "label": label, "messages": messages},
                                         ensure_ascii=False, indent=1) + "\n")
            written.append(target)
    return written


if __name__ == "__main__":
    for p in build():
        print(p.relative_to(HERE))

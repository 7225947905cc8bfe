"""The stored sentence classifiers: one logistic regression per label over the sentence's meaning and wording.

Each label scores ``w_meaning · embedding + w_words · tfidf(words) + bias``: the embedding (all-MiniLM-L6-v2) carries
what the sentence means however it is worded; the word and word-pair weights (TF-IDF, the same transform scikit-learn
fits) carry the exact words the workshop cares about.  Weights live in ``signals/model/``, made from the labelled data
by ``python -m signals train`` (see :mod:`signals.train`); at run time only numpy is needed.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

MODEL = Path(__file__).parent / "model"
WEIGHTS = MODEL / "classifiers.json"
MATRICES = MODEL / "classifiers.npz"
Matrix = npt.NDArray[np.float32]
#: Words of two or more characters, keeping contractions whole ("can't" is not "can": negation matters).
TOKEN = re.compile(r"(?u)\b\w[\w']*\w\b")


def normalise(text: str) -> str:
    """Lower case, with typographic apostrophes made plain (the same for training and at run time)."""
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")


class ClassifiersUnavailable(RuntimeError):
    """The weights files are missing or unreadable."""


def word_grams(text: str) -> list[str]:
    """Words and adjacent word pairs, as scikit-learn's TfidfVectorizer(ngram_range=(1, 2)) makes them."""
    tokens = TOKEN.findall(normalise(text))
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


@dataclass(frozen=True)
class Classifiers:
    """Every label's weights, stacked so one matrix product scores all labels for all sentences."""

    labels: tuple[str, ...]
    meaning: Matrix  # (labels, 384)
    words: Matrix  # (labels, vocabulary)
    bias: Matrix  # (labels,)
    thresholds: Matrix  # (labels,)
    vocabulary: dict[str, int]
    idf: Matrix  # (vocabulary,)
    word_scale: float
    data_digest: str

    def word_features(self, text: str) -> tuple[list[int], Matrix]:
        """The sentence's TF-IDF features (sublinear tf, L2-normalised): column indices and values."""
        counts = Counter(g for g in word_grams(text) if g in self.vocabulary)
        columns = [self.vocabulary[g] for g in counts]
        values = np.array([(1.0 + math.log(c)) for c in counts.values()], dtype=np.float32) * self.idf[columns]
        norm = float(np.linalg.norm(values))
        return columns, (values / norm if norm > 0 else values) * np.float32(self.word_scale)

    def probabilities(self, texts: Sequence[str], vectors: Matrix) -> Matrix:
        """(sentences, labels) probabilities; a text with no words (empty, emoji) scores 0 for every label."""
        if len(texts) == 0:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        logits = vectors @ self.meaning.T + self.bias
        for row, text in enumerate(texts):
            columns, values = self.word_features(text)
            if columns:
                logits[row] += self.words[:, columns] @ values
        probs: Matrix = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        probs[~np.any(vectors != 0, axis=1)] = 0.0
        return probs

    def threshold(self, label: str) -> float:
        return float(self.thresholds[self.labels.index(label)])

    def column(self, label: str) -> int:
        return self.labels.index(label)


def read_classifiers(path: Path = WEIGHTS, matrices: Path = MATRICES) -> Classifiers:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        labels = tuple(stored["labels"])
        with np.load(matrices) as arrays:
            meaning, words, bias = arrays["meaning"], arrays["words"], arrays["bias"]
        vocabulary = {g: i for i, g in enumerate(stored["vocabulary"])}
        if meaning.shape != (len(labels), 384) or words.shape != (len(labels), len(vocabulary)):
            raise ValueError(f"weights of shape {meaning.shape} / {words.shape} do not match {len(labels)} labels")
        return Classifiers(
            labels=labels, meaning=meaning.astype(np.float32), words=words.astype(np.float32),
            bias=bias.astype(np.float32),
            thresholds=np.array([stored["labels"][k]["threshold"] for k in labels], dtype=np.float32),
            vocabulary=vocabulary, idf=np.array(stored["idf"], dtype=np.float32),
            word_scale=float(stored["word_scale"]), data_digest=str(stored["data_digest"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ClassifiersUnavailable(
            f"The signal classifiers could not be read from {path.parent}: {exc}. "
            "Rebuild them with `python -m signals train`."
        ) from exc


class StoredClassifier:
    """A one-label classifier trained apart from the signal set (``signals/model/<name>.json`` and ``<name>.npz``),
    read once; ``get()`` is None when its files are missing (the reader then falls back to its phrase rules)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._model: Classifiers | None = None
        self._missing = False

    def get(self) -> Classifiers | None:
        with self._lock:
            if self._model is None and not self._missing:
                try:
                    self._model = read_classifiers(MODEL / f"{self.name}.json", MODEL / f"{self.name}.npz")
                except ClassifiersUnavailable:
                    self._missing = True
            return self._model


_lock = threading.Lock()
_cached: Classifiers | None = None


def load_classifiers() -> Classifiers:
    """The process-wide classifiers (read once)."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = read_classifiers()
        return _cached

"""Build the classifiers from the labelled data, and measure them.

``python -m signals train`` embeds every training sentence, adds its word and word-pair TF-IDF features, picks each
label's regularisation and decision threshold by stratified 5-fold cross-validation, fits the final model on all the
data and writes ``signals/model/classifiers.json`` (labels, thresholds, figures, vocabulary) and
``classifiers.npz`` (the weights).  Everything is deterministic (fixed folds, lbfgs), so the same data gives the same
weights.  ``python -m signals evaluate`` scores the held-out set, which no step here ever reads.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from signals.classifier import TOKEN, WEIGHTS, Classifiers, normalise
from signals.dataset import AGENT_LABELS, CUSTOMER_LABELS, Example, agent_examples, customer_examples, data_digest
from signals.encoder import load_encoder

#: Labels that accuse the trainee of something: their threshold favours precision (F0.5), a false accusation costs
#: more than a miss.
ACCUSING = frozenset({"non_apology", "calm_down", "canned", "blame", "sarcasm", "impossible_promise", "policy_hiding",
                      "grader_directed", "threat"})
#: Labels behind a critical error (a capped grade), a manipulation flag or a two-level penalty: the threshold is the
#: lowest with cross-validated precision of at least this floor (the most precise one if none reaches it).
CRITICAL_PRECISION = {"insult": 0.85, "caving": 0.9, "grader_directed": 0.9, "sarcasm": 0.85, "blame": 0.8}
#: How much the word features weigh against the meaning (both are unit-length vectors).
WORD_SCALE = 0.5
C_GRID = (0.5, 2.0, 8.0)
FOLDS = 5
THRESHOLDS = np.round(np.arange(0.30, 0.985, 0.02), 2)


@dataclass(frozen=True)
class Score:
    """Precision and recall of one label at its threshold."""

    label: str
    positives: int
    negatives: int
    precision: float
    recall: float
    f1: float
    threshold: float = 0.5
    c: float = 0.0


def _f_beta(precision: float, recall: float, beta: float) -> float:
    if precision + recall == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def _pr(y: np.ndarray, predicted: np.ndarray) -> tuple[float, float]:
    tp = int(np.sum(predicted & y))
    precision = tp / max(1, int(np.sum(predicted)))
    recall = tp / max(1, int(np.sum(y)))
    return precision, recall


#: A scipy.sparse CSR matrix (meaning columns, then word columns); scipy's stubs do not type it.
Features = Any


def _fit(x: Features, y: np.ndarray, c: float) -> LogisticRegression:
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, solver="lbfgs")
    model.fit(x, y)
    return model


def _out_of_fold(x: Features, y: np.ndarray, c: float) -> np.ndarray:
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=12)
    probs = np.zeros(len(y))
    for train, test in folds.split(x, y):
        probs[test] = _fit(x[train], y[train], c).predict_proba(x[test])[:, 1]
    return probs


def _objective(label: str, precision: float, recall: float) -> float:
    if label in CRITICAL_PRECISION:  # precision first: reach the floor, then as much recall as possible
        return (1.0 + recall) if precision >= CRITICAL_PRECISION[label] else precision
    return _f_beta(precision, recall, 0.5 if label in ACCUSING else 1.0)


def _choose(label: str, x: Features, y: np.ndarray) -> Score:
    """The C and threshold with the best cross-validated objective (F1; F0.5 accusing; precision floor critical)."""
    best: tuple[float, Score] | None = None
    for c in C_GRID:
        probs = _out_of_fold(x, y, c)
        for t in THRESHOLDS:
            precision, recall = _pr(y, probs >= t)
            score = _objective(label, precision, recall)
            if best is None or score > best[0] + 1e-9:
                best = (score, Score(label, int(y.sum()), int(len(y) - y.sum()), round(precision, 3),
                                     round(recall, 3), round(_f_beta(precision, recall, 1.0), 3), float(t), c))
    assert best is not None
    return best[1]


def _vectorizer(texts: list[str]) -> TfidfVectorizer:
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, token_pattern=TOKEN.pattern,
                                 preprocessor=normalise)
    vectorizer.fit(texts)
    return vectorizer


def _features(examples: list[Example], vectorizer: TfidfVectorizer) -> Features:
    texts = [e.text for e in examples]
    meaning = sp.csr_matrix(load_encoder().encode(texts))
    features: Features = sp.hstack([meaning, vectorizer.transform(texts) * WORD_SCALE]).tocsr()
    return features


@dataclass(frozen=True)
class TrainResult:
    scores: list[Score]
    path: Path


def train(out: Path = WEIGHTS) -> TrainResult:
    """Fit every label and write the weights (with each label's cross-validated figures)."""
    groups = ((AGENT_LABELS, agent_examples()), (CUSTOMER_LABELS, customer_examples()))
    vectorizer = _vectorizer([e.text for _, examples in groups for e in examples])
    vocabulary = sorted(vectorizer.vocabulary_, key=lambda g: vectorizer.vocabulary_[g])
    stored: dict[str, object] = {"encoder": "sentence-transformers/all-MiniLM-L6-v2@1110a243",
                                 "data_digest": data_digest(), "word_scale": WORD_SCALE, "labels": {},
                                 "vocabulary": vocabulary, "idf": [round(float(v), 7) for v in vectorizer.idf_]}
    labels: dict[str, object] = {}
    meaning, words, bias = [], [], []
    scores = []
    for group, examples in groups:
        if not examples:
            continue
        x = _features(examples, vectorizer)
        for label in group:
            y = np.array([label in e.labels for e in examples])
            if y.sum() < FOLDS or (~y).sum() < FOLDS:
                continue
            score = _choose(label, x, y)
            model = _fit(x, y, score.c)
            meaning.append(model.coef_[0][:384])
            words.append(model.coef_[0][384:])
            bias.append(model.intercept_[0])
            labels[label] = {
                "threshold": score.threshold, "C": score.c,
                "cv": {k: v for k, v in asdict(score).items() if k not in ("label", "threshold", "c")},
            }
            scores.append(score)
    stored["labels"] = labels
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(stored, indent=0) + "\n", encoding="utf-8")
    np.savez_compressed(out.with_suffix(".npz"), meaning=np.array(meaning, dtype=np.float32),
                        words=np.array(words, dtype=np.float32), bias=np.array(bias, dtype=np.float32))
    return TrainResult(scores, out)


def evaluate(classifiers: Classifiers, examples: list[Example], labels: tuple[str, ...]) -> list[Score]:
    """Precision and recall of the stored classifiers on ``examples`` (e.g. the held-out set)."""
    texts = [e.text for e in examples]
    probs = classifiers.probabilities(texts, load_encoder().encode(texts))
    out = []
    for label in labels:
        if label not in classifiers.labels:
            continue
        y = np.array([label in e.labels for e in examples])
        predicted = probs[:, classifiers.column(label)] >= classifiers.threshold(label)
        precision, recall = _pr(y, predicted)
        out.append(Score(label, int(y.sum()), int(len(y) - y.sum()), round(precision, 3), round(recall, 3),
                         round(_f_beta(precision, recall, 1.0), 3), classifiers.threshold(label)))
    return out


def evaluate_rules(examples: list[Example], labels: tuple[str, ...]) -> list[Score]:
    """The same figures for the regular-expression detectors (the "before"): a label they cannot see scores 0."""
    from signals import manipulation
    from signals.rules import detect_rules

    found = []
    for e in examples:
        kinds = {k.value for k in detect_rules(e.text).kinds}
        if manipulation.neutralize(e.text, 1)[1]:
            kinds.add("grader_directed")
        found.append(kinds)
    out = []
    for label in labels:
        y = np.array([label in e.labels for e in examples])
        predicted = np.array([label in kinds for kinds in found])
        precision, recall = _pr(y, predicted)
        out.append(Score(label, int(y.sum()), int(len(y) - y.sum()), round(precision, 3), round(recall, 3),
                         round(_f_beta(precision, recall, 1.0), 3)))
    return out

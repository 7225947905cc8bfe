"""Train a one-label classifier apart from the signal set (needs scikit-learn: development only).

One logistic regression over a message's meaning (all-MiniLM-L6-v2) and its words and word pairs (TF-IDF), stored in
the format of the signal classifiers (``signals/model/<name>.json`` and ``<name>.npz``), read at run time by
:class:`signals.classifier.StoredClassifier`. The regularisation is chosen by five-fold cross-validation on the
tuning data it is given; held-out data is never passed here (the benches measure it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict

from signals.classifier import MODEL, word_grams
from signals.encoder import load_encoder

WORD_SCALE = 1.0
THRESHOLD = 0.5


def train_binary(texts: Sequence[str], positive: Sequence[bool], *, name: str, label: str, raw: bytes,
                 strengths: Sequence[float] = (1.0, 3.0, 10.0)) -> None:
    """Fit ``label`` on ``texts``, choosing C by cross-validated F1, and store it as ``signals/model/<name>.*``."""
    y = np.array(positive)
    meaning = load_encoder().encode(list(texts))
    vectorizer = TfidfVectorizer(analyzer=word_grams, min_df=2, sublinear_tf=True).fit(texts)
    x = hstack([csr_matrix(meaning), vectorizer.transform(texts) * WORD_SCALE]).tocsr()
    best = None
    for c in strengths:
        oof = cross_val_predict(LogisticRegression(C=c, max_iter=3000, class_weight="balanced"), x, y, cv=5,
                                method="predict_proba")[:, 1]
        hit = oof >= THRESHOLD
        tp, fp, fn = int((hit & y).sum()), int((hit & ~y).sum()), int((~hit & y).sum())
        f1 = 2 * tp / max(1, 2 * tp + fp + fn)
        print(f"C={c}: cross-validated precision {tp / max(1, tp + fp):.2f} recall {tp / max(1, tp + fn):.2f} "
              f"accuracy {(hit == y).mean():.3f}")
        if best is None or f1 > best[0]:
            best = (f1, c)
    assert best is not None
    model = LogisticRegression(C=best[1], max_iter=3000, class_weight="balanced").fit(x, y)
    width = meaning.shape[1]
    np.savez(MODEL / f"{name}.npz", meaning=model.coef_[:, :width].astype(np.float32),
             words=model.coef_[:, width:].astype(np.float32), bias=model.intercept_.astype(np.float32))
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    (MODEL / f"{name}.json").write_text(json.dumps({
        "labels": {label: {"threshold": THRESHOLD, "C": best[1]}}, "vocabulary": vocabulary,
        "idf": [float(v) for v in vectorizer.idf_], "word_scale": WORD_SCALE,
        "data_digest": hashlib.sha256(raw).hexdigest()[:16],
    }, indent=0), encoding="utf-8")
    print(f"stored C={best[1]} with {len(vocabulary)} word features in {MODEL}")

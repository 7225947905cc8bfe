"""Train the side-taking classifier: ``python -m signals.sides_train`` (needs scikit-learn: development only).

One logistic regression over a mediator's message, names masked ("Alex" for one customer, "Sam" for the other), on
its meaning (all-MiniLM-L6-v2) and its words and word pairs (TF-IDF), stored in the format of the signal classifiers
(``signals/model/sides.json`` and ``sides.npz``). Trained on ``tests/data/mediation/sides_tuning.jsonl`` only; the
held-out set is measured by ``python -m bench.mediation``. The regularisation is chosen by five-fold cross-validation
on the tuning set.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict

from signals.classifier import MODEL, word_grams
from signals.encoder import load_encoder
from signals.sides import LABEL, masked

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "mediation" / "sides_tuning.jsonl"
WORD_SCALE = 1.0
THRESHOLD = 0.5


def main() -> None:
    raw = DATA.read_bytes()
    items = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    texts = [masked(i["agent"], i["parties"]) for i in items]
    y = np.array([i["sides"] is not None for i in items])
    meaning = load_encoder().encode(texts)
    vectorizer = TfidfVectorizer(analyzer=word_grams, min_df=2, sublinear_tf=True).fit(texts)
    x = hstack([csr_matrix(meaning), vectorizer.transform(texts) * WORD_SCALE]).tocsr()
    best = None
    for c in (1.0, 3.0, 10.0):
        oof = cross_val_predict(LogisticRegression(C=c, max_iter=3000, class_weight="balanced"), x, y, cv=5,
                                method="predict_proba")[:, 1]
        hit = oof >= THRESHOLD
        tp, fp, fn = int((hit & y).sum()), int((hit & ~y).sum()), int((~hit & y).sum())
        f1 = 2 * tp / max(1, 2 * tp + fp + fn)
        print(f"C={c}: cross-validated precision {tp / max(1, tp + fp):.2f} recall {tp / max(1, tp + fn):.2f}")
        if best is None or f1 > best[0]:
            best = (f1, c)
    assert best is not None
    model = LogisticRegression(C=best[1], max_iter=3000, class_weight="balanced").fit(x, y)
    width = meaning.shape[1]
    np.savez(MODEL / "sides.npz", meaning=model.coef_[:, :width].astype(np.float32),
             words=model.coef_[:, width:].astype(np.float32), bias=model.intercept_.astype(np.float32))
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    (MODEL / "sides.json").write_text(json.dumps({
        "labels": {LABEL: {"threshold": THRESHOLD, "C": best[1]}}, "vocabulary": vocabulary,
        "idf": [float(v) for v in vectorizer.idf_], "word_scale": WORD_SCALE,
        "data_digest": hashlib.sha256(raw).hexdigest()[:16],
    }, indent=0), encoding="utf-8")
    print(f"stored C={best[1]} with {len(vocabulary)} word features in {MODEL}")


if __name__ == "__main__":
    main()

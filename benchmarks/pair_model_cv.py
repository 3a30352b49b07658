"""Leave one dataset out: does a non-linear pair model generalise better than the shipped logistic regression?

    python benchmarks/pair_model_cv.py ../shared/datasets/{ecbplus-dev,basil-dev,uci-headlines,allsides-dev}.jsonl \
        --cache /tmp/cache2 [--json]

Builds the teacher-forced pairs that ``python -m consilience.cluster.train``
fits on (each file and its copy with undated stories dated 300 a day, sharing
the file's weight), then for each regime and each file holding pairs of that
regime fits three models on the *other* files and scores the held-out file:
the shipped model family (L2 logistic regression by Newton's method,
:func:`consilience.cluster.train.fit_logistic`), the same on all squares and
products of the features, and scikit-learn's histogram gradient boosting.
Prints ROC AUC, average precision and log loss per held-out file; the pair
model must carry to stories and outlets it has never seen, so this is the
question that decides its form. Needs the ``baselines`` extra (scikit-learn).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score
from sklearn.preprocessing import PolynomialFeatures

from consilience.cluster.pairs import REGIMES
from consilience.cluster.train import PairSet, dataset_signals, file_pair_sets, fit_logistic
from consilience.evaluate.datasets import load_labelled
from consilience.settings import DEFAULT_SETTINGS

Rows = tuple[np.ndarray, np.ndarray, np.ndarray]


def _stack(sets: list[PairSet], regime: str) -> Rows | None:
    held = [s for s in sets if s.rows[regime]]
    if not held:
        return None
    return (
        np.vstack([np.asarray(s.rows[regime]) for s in held]),
        np.concatenate([np.asarray(s.labels[regime], dtype=np.float64) for s in held]),
        np.concatenate([np.asarray(s.weights[regime]) for s in held]),
    )


def _logistic(train: Rows, test: np.ndarray) -> np.ndarray:
    weights, bias = fit_logistic(*train)
    return 1.0 / (1.0 + np.exp(-np.clip(test @ weights + bias, -30, 30)))


def _quadratic(train: Rows, test: np.ndarray) -> np.ndarray:
    expand = PolynomialFeatures(2, include_bias=False).fit(train[0])
    weights, bias = fit_logistic(expand.transform(train[0]), train[1], train[2], l2=1e-2)
    return 1.0 / (1.0 + np.exp(-np.clip(expand.transform(test) @ weights + bias, -30, 30)))


def _boosting(train: Rows, test: np.ndarray) -> np.ndarray:
    model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=40)
    model.fit(train[0], train[1], sample_weight=train[2] / train[2].mean())
    return np.asarray(model.predict_proba(test)[:, 1])


MODELS = {"logistic (shipped)": _logistic, "quadratic logistic": _quadratic, "gradient boosting": _boosting}


def main() -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="+", help="labelled JSONL files (at least two)")
    parser.add_argument("--cache", required=True, help="folder of cached signals (filled on first use)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    by_file: dict[str, list[PairSet]] = {}
    for path in args.datasets:
        dataset = load_labelled(path)
        signals = dataset_signals(dataset, DEFAULT_SETTINGS, cache=Path(args.cache))
        by_file[dataset.name] = [pairs for _, pairs in file_pair_sets(dataset, signals, [300])]
    results = []
    for regime in REGIMES:
        for held_out, sets in by_file.items():
            test = _stack(sets, regime)
            train = _stack([s for name, other in by_file.items() if name != held_out for s in other], regime)
            if test is None or train is None or len(set(test[1].tolist())) < 2:
                continue
            for model_name, fit in MODELS.items():
                probability = np.clip(fit(train, test[0]), 1e-6, 1 - 1e-6)
                results.append({
                    "regime": regime,
                    "held_out": held_out,
                    "pairs": len(test[1]),
                    "model": model_name,
                    "auc": round(float(roc_auc_score(test[1], probability)), 4),
                    "average_precision": round(float(average_precision_score(test[1], probability)), 4),
                    "log_loss": round(float(log_loss(test[1], probability)), 4),
                })  # fmt: skip
                if not args.json:
                    row = results[-1]
                    print(
                        f"{regime:11} {held_out:16} {row['pairs']:7}  {model_name:20} AUC {row['auc']:.4f}  "
                        f"AP {row['average_precision']:.4f}  log loss {row['log_loss']:.4f}",
                        flush=True,
                    )
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The emergency head as gradient-boosted trees (LightGBM) instead of the NB-weighted logistic regression,
measured leaving authors out (session 27, 2026-12-03; not shipped: see the README beside this file).

Both heads read the same features (`hotline.understanding.features`, the shipped min_df) and are scored on
each author's lines by a model trained on the other folds of authors (`train.author_folds`, five folds); the
thresholds are set as `hotline train` sets them (`train.tune_doubt`, then `train.tune_emergency`: the best
recall of "rules OR model" at no more than 5% false, the pinyin confusions left out).

LightGBM is not a dependency of the product. To rerun (about 15 minutes on 2 cores):

    .venv/bin/pip install --no-deps --target /tmp/lgbpkg lightgbm==4.6.0
    PYTHONPATH=/tmp/lgbpkg .venv/bin/python corpus/experiments/gbm_emergency_head.py
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from hotline.understanding import train as T
from hotline.understanding.data import read_files, training_files
from hotline.understanding.features import Vectorizer

ROUNDS = 300
PARAMS = dict(
    objective="binary", learning_rate=0.1, num_leaves=31, min_data_in_leaf=20, feature_fraction=0.5,
    bagging_fraction=0.8, bagging_freq=1, lambda_l2=1.0, max_bin=15, num_threads=2, seed=7,
    deterministic=True, force_col_wise=True, verbose=-1,
)  # fmt: skip


def report(name: str, p: np.ndarray, y: np.ndarray, rules: np.ndarray) -> None:
    from sklearn.metrics import roc_auc_score

    doubt = T.tune_doubt(p, y, rules)
    tuned = T.tune_emergency(p, y, rules & (p >= doubt["doubt"]))
    at = tuned["at_emergency"]
    print(
        f"{name:32s} AUC {roc_auc_score(y, p):.4f}  threshold {tuned['emergency']:.3f}  "
        f"caught {at['recall']:.2%} at {at['false']:.2%} false"
    )


def main() -> None:
    import lightgbm as lgb

    rows = T.featurize(read_files(training_files(True)))
    em = [i for i, r in enumerate(rows) if r.emergency is not None]
    with threadpool_limits(1):
        vec = Vectorizer.fit([r.tokens for r in rows], T.MIN_DF)
        x = vec.matrix([rows[i].tokens for i in em]).tocsr().astype(np.float32)
    y = np.array([rows[i].emergency for i in em])
    folds = np.asarray(T.author_folds([rows[i].author for i in em], T.AUTHOR_FOLDS))
    z_lr, p_gbm = np.zeros(len(em)), np.zeros(len(em))
    for f in sorted(set(folds)):
        test = folds == f
        with threadpool_limits(1):
            z_lr[test] = T.emergency_head().fit(x[~test], y[~test]).decision_function(x[test])
        booster = lgb.train(PARAMS, lgb.Dataset(x[~test], y[~test]), num_boost_round=ROUNDS)
        p_gbm[test] = booster.predict(x[test])
        print(f"{f}: {int(test.sum())} lines scored", flush=True)
    a, b = T._platt(z_lr, y)
    p_lr = T._sigmoid(z_lr, a, b)
    keep = np.array([not rows[i].confused for i in em])
    rules = np.array([rows[i].rules_emergency for i in em])
    y, rules, p_lr, p_gbm = y[keep], rules[keep], p_lr[keep], p_gbm[keep]
    report("NB-weighted logistic (shipped)", p_lr, y, rules)
    report("LightGBM", p_gbm, y, rules)
    for w in (0.7, 0.5):
        report(f"mean, {w:.0%} logistic", w * p_lr + (1 - w) * p_gbm, y, rules)


if __name__ == "__main__":
    main()

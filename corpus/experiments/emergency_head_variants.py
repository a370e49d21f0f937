"""Where in the line the danger is: three variants of the emergency head measured leaving authors out
(session 27, 2026-12-03; none shipped: see the README beside this file).

- ``suffixes``: the line scored whole and from each clause boundary on (every suffix of at least 4
  ideographs), the emergency probability the highest of them (or the highest times a discount): a danger told
  after a complaint is scored without the complaint.
- ``last-clause``, ``last-2-clauses``, ``last-sentence``: the characters of the line's last part as features
  of their own (``Lc:`` tokens) beside the whole line's: the model may learn that a resolution or a danger said
  last weighs more.

Each variant is scored as `hotline train` scores the shipped head (five folds of authors, Platt-calibrated,
`train.tune_doubt` then `train.tune_emergency`: the best recall of "rules OR model" at no more than 5% false,
the pinyin confusions left out). About 8 minutes on 2 cores:

    .venv/bin/python corpus/experiments/emergency_head_variants.py
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
from threadpoolctl import threadpool_limits

from hotline.router.decide import get_router
from hotline.understanding import train as T
from hotline.understanding.data import read_files, training_files
from hotline.understanding.features import Vectorizer, text_tokens

BOUNDARY = re.compile(r"[|#]+")
HAN = re.compile(r"[\u4e00-\u9fff]")


def last_clauses(norm: str, k: int) -> str:
    parts = [p for p in BOUNDARY.split(norm) if p]
    return "|".join(parts[-k:]) if len(parts) > k else ""


def last_sentence(norm: str) -> str:
    sentences = [s for s in norm.split("#") if s.strip("|")]
    return sentences[-1] if len(sentences) > 1 else ""


LAST_PARTS = {
    "last-clause": lambda t: last_clauses(t, 1),
    "last-2-clauses": lambda t: last_clauses(t, 2),
    "last-sentence": last_sentence,
}


def oof_scores(tokens: list[list[str]], y: np.ndarray, folds: np.ndarray):
    """Calibrated out-of-fold probabilities of the lines, with the vectorizer, each fold's model and the
    calibration (a, b), so that other texts can be scored by the same folds."""
    with threadpool_limits(1):
        vec = Vectorizer.fit(tokens, T.MIN_DF)
        x = vec.matrix(tokens)
        z = np.zeros(len(tokens))
        models = {}
        for f in sorted(set(folds)):
            test = folds == f
            models[f] = T.emergency_head().fit(x[~test], y[~test])
            z[test] = models[f].decision_function(x[test])
    a, b = T._platt(z, y)
    return T._sigmoid(z, a, b), vec, models, (a, b)


def report(name: str, p: np.ndarray, y: np.ndarray, rules: np.ndarray, keep: np.ndarray) -> None:
    p, y, rules = p[keep], y[keep], rules[keep]
    doubt = T.tune_doubt(p, y, rules)
    tuned = T.tune_emergency(p, y, rules & (p >= doubt["doubt"]))
    at = tuned["at_emergency"]
    print(f"{name:40s} threshold {tuned['emergency']:.3f}  caught {at['recall']:.2%} at {at['false']:.2%} false")


def main() -> None:
    examples = read_files(training_files(True))
    rows = T.featurize(examples)
    first = {}
    for ex in examples:
        first.setdefault((ex.profile, ex.text), ex)
    em = [i for i, r in enumerate(rows) if r.emergency is not None]
    y = np.array([rows[i].emergency for i in em])
    folds = np.asarray(T.author_folds([rows[i].author for i in em], T.AUTHOR_FOLDS))
    keep = np.array([not rows[i].confused for i in em])
    rules = np.array([rows[i].rules_emergency for i in em])
    tokens = [rows[i].tokens for i in em]

    p, vec, models, (a, b) = oof_scores(tokens, y, folds)
    report("whole line (shipped)", p, y, rules, keep)

    # suffixes: each featurized as a line of its own (the rules read it too), scored by its line's fold
    suffixes, owner = [], []
    for k, i in enumerate(em):
        text = rows[i].text
        for m in re.finditer(r"[。！？!?；;，,、\n]+|\s+", text):
            rest = text[m.end() :]
            if len(HAN.findall(rest)) >= 4:
                suffixes.append(replace(first[(rows[i].profile, text)], text=rest, id=f"{rows[i].group}-suffix"))
                owner.append(k)
    owner_arr = np.array(owner)
    srows = T.featurize(suffixes, dedupe=False)
    with threadpool_limits(1):
        xs = vec.matrix([r.tokens for r in srows])
        zs = np.zeros(len(srows))
        for f, model in models.items():
            mine = folds[owner_arr] == f
            zs[mine] = model.decision_function(xs[mine])
    best = np.zeros(len(em))
    np.maximum.at(best, owner_arr, T._sigmoid(zs, a, b))
    for w in (1.0, 0.7, 0.5):
        report(f"max(whole, {w:g} x best suffix)", np.maximum(p, w * best), y, rules, keep)

    norms = [get_router(rows[i].profile).normalize(rows[i].text).text for i in em]
    for name, part in LAST_PARTS.items():
        extra = [[f"L{t}" for t in text_tokens(part(n)) if t.startswith("c:")] for n in norms]
        pv, *_ = oof_scores([t + e for t, e in zip(tokens, extra, strict=True)], y, folds)
        report(f"whole line + {name} tokens", pv, y, rules, keep)


if __name__ == "__main__":
    main()

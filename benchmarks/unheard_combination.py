"""The whole combination (hotline/router/combine.py) on callers the model never heard: each author's lines
scored by models trained on the other authors' (as `hotline train` tunes its thresholds), then put through the
rules and `combine` row by row, as the service decides. Prints right destinations, emergency recall and false
emergencies, and the wrong destinations by the step that decided them — the figures that chose step 0b and
``override_sure`` (README, the sixth round). Never reads the frozen test split.

usage: .venv/bin/python benchmarks/unheard_combination.py [--set NAME=VALUE ...] [--errors STEP]
  --set: try a threshold instead of the shipped model's (e.g. --set doubt_owner=1.01 switches step 0b off)
  --errors: print some wrong rows decided by that step (e.g. model-owner, category, rules-doubted)
About 4 minutes on 2 cores (the out-of-fold fits of both heads).
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter

import numpy as np

from hotline.profile import load_profile
from hotline.router.combine import combine
from hotline.router.decide import Router
from hotline.understanding import train as T
from hotline.understanding.data import read_files, training_files
from hotline.understanding.features import Vectorizer
from hotline.understanding.model import MODEL_FILE, Prediction


def out_of_fold(rows: list[T.Row]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Emergency probabilities (Platt-calibrated) and owner probabilities, each row scored unheard."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        vec = Vectorizer.fit([r.tokens for r in rows], T.MIN_DF)
        x = vec.matrix([r.tokens for r in rows])
        em = [i for i, r in enumerate(rows) if r.emergency is not None]
        y_em = np.array([rows[i].emergency for i in em])
        y_ow = np.array([r.owner for r in rows])
        fits = T.cross_fit(
            [
                T.HeadFit("emergency", T.emergency_head, x[em], y_em, [rows[i].author for i in em]),
                T.HeadFit(
                    "owner",
                    T.owner_head,
                    x,
                    y_ow,
                    [r.author for r in rows],
                    author_folds=T.OWNER_AUTHOR_FOLDS,
                ),
            ],
            by_author=True,
        )
    m_em, z = fits["emergency"]
    a, b = T._platt(z, y_em)
    p_em = np.zeros(len(rows))
    p_em[em] = T._sigmoid(z, a, b)
    rest = [i for i, r in enumerate(rows) if r.emergency is None]
    if rest:  # unlabeled rows: the final model's score (they count in destinations only)
        p_em[rest] = T._sigmoid(m_em.decision_function(x[rest]), a, b)
    return p_em, fits["owner"][1], sorted(set(y_ow.tolist()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--errors", metavar="STEP")
    args = ap.parse_args()

    from hotline.config import settings

    folder = settings().understanding_model_dir
    if folder is None:
        raise SystemExit("the thresholds come from the model: HOTLINE_UNDERSTANDING_MODEL is off")
    th = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))["thresholds"]
    for item in args.set:
        name, value = item.split("=", 1)
        th[name] = float(value)
    rows = T.featurize(read_files(training_files(True)))
    p_em, p_ow, owners = out_of_fold(rows)

    routers: dict[str, Router] = {}
    n = right = em = caught = neg = false = 0
    wrong: Counter[tuple[str, str]] = Counter()
    examples: list[str] = []
    for i, r in enumerate(rows):
        if r.confused:  # pinyin confusions are training material, not callers (as in the tuning)
            continue
        router = routers.get(r.profile) or routers.setdefault(r.profile, Router(load_profile(r.profile)))
        found = router.find(r.text)
        rules = router.decide(found, r.platform, 1)
        top = np.argsort(-p_ow[i])[:3]
        pred = Prediction(
            float(p_em[i]), owners[top[0]], float(p_ow[i, top[0]]),
            {owners[j]: float(p_ow[i, j]) for j in top}, None, 0.0, "unheard", th,
        )  # fmt: skip
        d = combine(router, rules, found, pred)
        n += 1
        right += d.target in r.targets
        if r.emergency == 1:
            em, caught = em + 1, caught + d.emergency
        elif r.emergency == 0:
            neg, false = neg + 1, false + d.emergency
        if d.target not in r.targets:
            step = d.rule if d.model and d.model["changed"] else f"rules: {d.rule}"
            wrong[(step, "emergency" if r.emergency == 1 else "no emergency")] += 1
            if args.errors and args.errors in step:
                label = ",".join(r.targets)
                examples.append(f"  {r.author:10s} {r.platform:5s} {label:10s} got {d.target:8s} {r.text}")

    print(f"unheard authors' lines: {n} (thresholds {json.dumps(th, sort_keys=True)})")
    print(f"  right destination  {right / n:.2%}")
    print(f"  emergency recall   {caught / em:.2%} ({caught}/{em})")
    print(f"  false emergencies  {false / neg:.2%} ({false}/{neg})")
    print("  wrong destinations by the step that decided:")
    for (step, kind), count in wrong.most_common():
        print(f"    {count:6d}  {step:32s} {kind}")
    if examples:
        random.Random(T.SEED).shuffle(examples)
        print("\n".join(examples[:40]))


if __name__ == "__main__":
    main()

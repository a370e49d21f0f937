"""How the emergency threshold is chosen, and whether it creeps as authors of danger's look-alikes join.

Reads the scores the thresholds were tuned on (`hotline train --scores FILE`: each line's author, label, the
probability from a model that never heard its author, and whether the rules' flag stands) and prints:

1. for a range of thresholds, "rules OR model" on the pooled unheard authors: recall, false emergencies, and
   the median author's false rate;
2. the threshold each rule picks as the pool grows author by author in the order they joined (corpus/README.md):
   ``max_false`` (the pool at MAX_FALSE, the rule until session 55), ``pooled 6%`` (RECALL_GOAL of the unheard
   authors' emergencies within MAX_FALSE_LOOKALIKE pooled, session 56) and the shipped ``by author`` (RECALL_GOAL
   with the median author's false rate within MAX_FALSE, session 57). The scores come from one model trained
   on every author, so the second table isolates the pool's composition, not the model's growth.

Never reads the frozen test split. About 140 s on 2 cores for 74 authors (tune_emergency runs thrice per pool),
once the scores exist (training them takes ~13 min).

usage: .venv/bin/hotline train --out /tmp/model --scores /tmp/scores.tsv
       .venv/bin/python benchmarks/threshold_rules.py /tmp/scores.tsv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from hotline.understanding import train as T

GRID = (0.30, 0.27, 0.25, 0.24, 0.23, 0.22, 0.21, 0.20, 0.19, 0.18, 0.16, 0.14, 0.12, 0.10)


def joined_order(author: str) -> tuple[int, str]:
    """train-a … train-z, train-aa … : the order the authors joined; the early sets first."""
    name = author.removeprefix("train-")
    return (0, author) if name == author else (len(name), name)


def figures(s: dict[str, np.ndarray], t: float) -> tuple[float, float, float]:
    flag = s["rules"] | (s["p"] >= t)
    median = T.median_author_false(s["p"], s["y"], s["rules"], s["author"], t)
    return float(flag[s["y"] == 1].mean()), float(flag[s["y"] == 0].mean()), median


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scores", type=Path)
    ap.add_argument("--step", type=int, default=6, help="print the growing pool every this many authors")
    args = ap.parse_args()
    s = T.read_scores(args.scores)
    print(f"{len(s['y'])} lines, {int(s['y'].sum())} emergencies, {len(np.unique(s['author']))} authors")
    print(f"\n{'threshold':>9} {'recall':>8} {'false':>7} {'median author false':>20}")
    for t in GRID:
        rec, fa, med = figures(s, t)
        print(f"{t:9.4f} {rec:8.2%} {fa:7.2%} {med:20.2%}")

    head = f"{'max_false':>10} {'recall':>7} {'false':>6} | {'pooled 6%':>10} {'recall':>7} {'false':>6}"
    head += f" | {'by author':>10} {'recall':>7} {'false':>6} {'median':>6}"
    print(f"\n{'authors':>7} {head}")
    authors = sorted(np.unique(s["author"]).tolist(), key=joined_order)
    for k in [*range(args.step, len(authors), args.step), len(authors)]:
        keep = np.isin(s["author"], authors[:k])
        if not (s["y"][keep] == 1).any():
            continue
        p, y, r, a = s["p"][keep], s["y"][keep], s["rules"][keep], s["author"][keep]
        old = T.tune_emergency(p, y, r, recall_goal=0.0)
        pooled = T.tune_emergency(p, y, r)
        new = T.tune_emergency(p, y, r, authors=a)
        o, q, n = old["at_emergency"], pooled["at_emergency"], new["at_emergency"]
        print(
            f"{k:7d} {old['emergency']:10.4f} {o['recall']:7.2%} {o['false']:6.2%} | "
            f"{pooled['emergency']:10.4f} {q['recall']:7.2%} {q['false']:6.2%} | "
            f"{new['emergency']:10.4f} {n['recall']:7.2%} {n['false']:6.2%} "
            f"{n.get('median_author_false', 0.0):6.2%}  (up to {authors[k - 1]})"
        )


if __name__ == "__main__":
    main()

"""Measure the router, rules alone and rules + model, on labeled utterances and real citizen messages.

Labeled utterances come in any corpus format (hotline/understanding/data.py) and by split: train (the
first corpus and corpus/train/), dev and test (corpus/heldout/, never trained on; test judges). A row
is right when the decision's target and action are among those its label allows; emergencies are
counted apart (recall over rows labeled 1, false emergencies over rows labeled 0), and beside the
recall, the emergencies a person with 110 on the line meets at the first answer (flagged, held in
doubt, or a danger hint acted on: `Decision.reaches_110_at_once`, as the conversation does). TeddyCup 2020:
real written requests to a 12345-type platform, which should stay at 12345 and none be urgent.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hotline.profile import load_profile
from hotline.router import get_router
from hotline.understanding.data import Example, corpus_dir, read_examples, read_files, read_split


def default_corpus() -> Path:
    return corpus_dir() / "utterances.tsv"


def read_corpus(path: str | Path | None = None) -> list[dict[str, str]]:
    """Rows of a corpus file as plain dicts (id, profile, platform, text, targets, actions, emergency)."""
    out = []
    for e in read_examples(Path(path) if path else default_corpus()):
        em = "-" if e.emergency is None else str(e.emergency)
        out.append(
            {
                "id": e.id,
                "profile": e.profile,
                "platform": e.platform,
                "text": e.text,
                "targets": "|".join(e.targets),
                "actions": "|".join(e.actions),
                "emergency": em,
            }
        )
    return out


def _rate(n: int, d: int) -> float:
    return n / d if d else 0.0


def evaluate_examples(examples: Sequence[Example], use_model: bool = True) -> dict[str, Any]:
    n = len(examples)
    target_ok = full_ok = 0
    em_pos = em_hit = em_neg = em_false = em_reached = em_away = 0
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    hit_categories: dict[str, set[str]] = defaultdict(set)
    tags: dict[str, Counter[str]] = defaultdict(Counter)
    rules_fired: Counter[str] = Counter()
    errors = []
    for ex in examples:
        d = get_router(ex.profile).route(ex.text, platform=ex.platform, use_model=use_model)
        rules_fired[d.rule] += 1
        t_ok = d.target in ex.targets
        a_ok = d.action in ex.actions
        target_ok += t_ok
        full_ok += t_ok and a_ok
        e_ok = True
        if ex.emergency == 1:
            em_pos += 1
            em_hit += d.emergency
            em_reached += d.reaches_110_at_once
            em_away += d.hands_away
            e_ok = d.emergency
        elif ex.emergency == 0:
            em_neg += 1
            em_false += d.emergency
            e_ok = not d.emergency
        for tag in ex.tags or ("-",):
            c = tags[tag]
            c["rows"] += 1
            c["target"] += t_ok
            c["full"] += t_ok and a_ok
            if ex.emergency == 1:
                c["em_rows"] += 1
                c["em_hit"] += d.emergency
            elif ex.emergency == 0:
                c["neg_rows"] += 1
                c["em_false"] += d.emergency
        confusion[ex.targets[0]][d.target if t_ok else d.target + "✗"] += 1
        if d.category:
            hit_categories[ex.profile].add(d.category)
        if not (t_ok and a_ok and e_ok):
            em = "-" if ex.emergency is None else ex.emergency
            p_em = f" p_em={d.model['p_emergency']:.2f} owner={d.model['owner']}" if d.model else ""
            errors.append(
                {
                    "id": ex.id,
                    "file": ex.file,
                    "profile": ex.profile,
                    "platform": ex.platform,
                    "tags": ",".join(ex.tags),
                    "text": ex.text,
                    "expected": f"{'|'.join(ex.targets)} {'|'.join(ex.actions)} em={em}",
                    "got": f"{d.target} {d.action} em={int(d.emergency)} [{d.category}] {d.rule}{p_em}",
                }
            )
    coverage = {}
    for prof in sorted({e.profile for e in examples}):
        own = load_profile(prof).own_category_ids
        missing = [c for c in own if c not in hit_categories[prof]]
        coverage[prof] = {"own_categories": len(own), "hit": len(own) - len(missing), "missing": missing}
    return {
        "rows": n,
        "target_accuracy": _rate(target_ok, n),
        "full_accuracy": _rate(full_ok, n),
        "emergency_recall": em_hit / em_pos if em_pos else 1.0,
        "emergency_hit": em_hit,
        "emergency_rows": em_pos,
        # what a caller in danger meets: flagged, held in doubt with 110, or a danger hint acted on
        "emergency_reached_110": em_reached,
        # what must not happen to one: told a number to dial, or blind-transferred away from the emergency services
        "emergency_handed_away": em_away,
        "false_emergency_rate": _rate(em_false, em_neg),
        "false_emergencies": em_false,
        "non_emergency_rows": em_neg,
        "confusion": {k: dict(v) for k, v in sorted(confusion.items())},
        "coverage": coverage,
        "tags": {k: dict(v) for k, v in sorted(tags.items())},
        "rules_fired": dict(rules_fired.most_common()),
        "errors": errors,
    }


def evaluate_corpus(
    path: str | Path | None = None, profiles: list[str] | None = None, use_model: bool = True
) -> dict[str, Any]:
    examples = read_examples(Path(path) if path else default_corpus())
    if profiles:
        examples = [e for e in examples if e.profile in profiles]
    return evaluate_examples(examples, use_model)


def teddycup_eval_ids(root: Path | None = None) -> set[str] | None:
    """The TeddyCup ids kept for evaluation (corpus/teddycup_eval_ids.txt), when that file exists."""
    f = (root or corpus_dir()) / "teddycup_eval_ids.txt"
    if not f.is_file():
        return None
    return {ln.strip() for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip() and ln[0] != "#"}


def evaluate_teddycup(
    path: str | Path, profile: str = "national", use_model: bool = True, ids: set[str] | None = None
) -> dict[str, Any]:
    """Real written requests to a 12345-type platform: they should stay at 12345, none urgent."""
    router = get_router(profile)
    with Path(path).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if ids is not None:
        rows = [r for r in rows if r.get("留言编号", "").strip() in ids]
    away: Counter[str] = Counter()
    emergencies = 0
    examples = []
    for r in rows:
        text = f"{r.get('留言主题', '')}。{r.get('留言详情', '')}"
        d = router.route(text, platform="12345", use_model=use_model)
        if d.target != "12345":
            away[d.target] += 1
            examples.append(f"{d.target} {d.action} [{d.category}] {d.rule} {r.get('留言主题', '')[:40]}")
        emergencies += d.emergency
    n = len(rows)
    return {
        "rows": n,
        "kept": n - sum(away.values()),
        "kept_share": _rate(n - sum(away.values()), n),
        "routed_away": sum(away.values()),
        "routed_away_share": _rate(sum(away.values()), n),
        "away_by_target": dict(away),
        "emergency": emergencies,
        "emergency_share": _rate(emergencies, n),
        "examples": examples,
    }


def evaluate(
    split: str | None = None,
    corpus: Sequence[str | Path] = (),
    profiles: list[str] | None = None,
    teddycup: str | Path | None = None,
    modes: Sequence[str] = ("rules", "model"),
) -> dict[str, Any]:
    """Side by side: each mode ("rules" alone, "model" = rules + model) on the same rows."""
    examples = read_files(corpus) if corpus else read_split(split or "train")
    if profiles:
        examples = [e for e in examples if e.profile in profiles]
    report: dict[str, Any] = {"split": split, "corpus": [str(c) for c in corpus], "modes": {}}
    ids = teddycup_eval_ids()
    for mode in modes:
        use = mode == "model"
        m: dict[str, Any] = {"corpus": evaluate_examples(examples, use)}
        if teddycup:
            prof = profiles[0] if profiles else "national"
            m["teddycup"] = evaluate_teddycup(teddycup, prof, use)
            if ids is not None:
                m["teddycup_eval"] = evaluate_teddycup(teddycup, prof, use, ids)
        report["modes"][mode] = m
    return report


# ------------------------------------------------------------------------------ report
def _pct(x: float) -> str:
    return f"{x:6.1%}"


_MODE_NAMES = {"rules": "rules only", "model": "rules + model"}


def format_comparison(report: dict[str, Any], show_errors: bool = False, show_tags: bool = True) -> str:
    modes = list(report["modes"])
    cols = [report["modes"][m] for m in modes]
    what = f"split {report['split']}" if report["split"] else ", ".join(report["corpus"])
    out = [f"{what}: {cols[0]['corpus']['rows']} rows"]

    def line(label: str, cells: list[str]) -> None:
        out.append(f"  {label:<26}" + "".join(f"{c:>24}" for c in cells))

    def of(n: int, d: int) -> str:
        return f"{_pct(_rate(n, d))} ({n}/{d})"

    line("", [_MODE_NAMES[m] for m in modes])
    line("right destination", [_pct(c["corpus"]["target_accuracy"]) for c in cols])
    line("right action", [_pct(c["corpus"]["full_accuracy"]) for c in cols])
    line("emergency recall", [of(c["corpus"]["emergency_hit"], c["corpus"]["emergency_rows"]) for c in cols])
    line(
        "  or 110 at once on a hint",
        [of(c["corpus"]["emergency_reached_110"], c["corpus"]["emergency_rows"]) for c in cols],
    )
    line(
        "  handed away (no person)",
        [of(c["corpus"]["emergency_handed_away"], c["corpus"]["emergency_rows"]) for c in cols],
    )
    line("false emergencies", [of(c["corpus"]["false_emergencies"], c["corpus"]["non_emergency_rows"]) for c in cols])
    for key, label in (("teddycup", "TeddyCup kept at 12345"), ("teddycup_eval", "TeddyCup eval half kept")):
        if key in cols[0]:
            line(label, [of(c[key]["kept"], c[key]["rows"]) for c in cols])
            line("  flagged emergency", [str(c[key]["emergency"]) for c in cols])
    if show_tags:
        out.append("  per tag: rows, then per mode destination / action / emergencies caught / false emergencies")
        for t in sorted(cols[0]["corpus"]["tags"]):
            cells = []
            for c in cols:
                g = c["corpus"]["tags"][t]
                em = f"{g.get('em_hit', 0)}/{g.get('em_rows', 0)}"
                fa = f"{g.get('em_false', 0)}/{g.get('neg_rows', 0)}"
                cells.append(f"{_rate(g['target'], g['rows']):4.0%} {_rate(g['full'], g['rows']):4.0%} {em:>7} {fa:>7}")
            out.append(f"    {t:<22}{cols[0]['corpus']['tags'][t]['rows']:>5}   " + "   |   ".join(cells))
    if show_errors:
        errs = cols[-1]["corpus"]["errors"]
        out.append(f"  errors ({_MODE_NAMES[modes[-1]]}): {len(errs)}")
        for e in errs:
            out.append(f"    {e['id']} {e['profile']}@{e['platform']} [{e['tags']}] {e['text']}")
            out.append(f"        expected {e['expected']}; got {e['got']}")
    return "\n".join(out)


def format_report(report: dict[str, Any], show_errors: bool = False) -> str:
    """The single-mode report of the first corpus (kept for `evaluate_corpus` callers)."""
    c = report["corpus"]
    out = [
        f"corpus: {c['rows']} utterances",
        f"  target accuracy        {c['target_accuracy']:.1%}",
        f"  target+action accuracy {c['full_accuracy']:.1%}",
        f"  emergency recall       {c['emergency_recall']:.1%}  ({c['emergency_rows']} emergency rows)",
        f"  false emergencies      {c['false_emergency_rate']:.1%}  ({c['non_emergency_rows']} non-emergency rows)",
    ]
    if show_errors and c["errors"]:
        out.append("  errors:")
        for e in c["errors"]:
            out.append(f"    {e['id']} {e['profile']}@{e['platform']} {e['text']}")
            out.append(f"        expected {e['expected']}; got {e['got']}")
    return "\n".join(out)

"""Measure the router on a labeled corpus and on real citizen messages (TeddyCup 2020).

Corpus TSV columns: id, profile, platform, text, targets (| = any of), actions (| = any of),
emergency (1, 0, or - for either), variant.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

from hotline.profile import load_profile
from hotline.router import get_router


def default_corpus() -> Path:
    return Path(str(resources.files("hotline.corpus").joinpath("utterances.tsv")))


def read_corpus(path: str | Path | None = None) -> list[dict[str, str]]:
    p = Path(path) if path else default_corpus()
    with p.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def evaluate_corpus(path: str | Path | None = None, profiles: list[str] | None = None) -> dict[str, Any]:
    rows = read_corpus(path)
    if profiles:
        rows = [r for r in rows if r["profile"] in profiles]
    n = len(rows)
    target_ok = full_ok = 0
    em_pos = em_hit = em_neg = em_false = 0
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    hit_categories: dict[str, set[str]] = defaultdict(set)
    errors = []
    for r in rows:
        d = get_router(r["profile"]).route(r["text"], platform=r["platform"])
        targets = r["targets"].split("|")
        actions = r["actions"].split("|")
        t_ok = d.target in targets
        a_ok = d.action in actions
        target_ok += t_ok
        full_ok += t_ok and a_ok
        e_ok = True
        if r["emergency"] == "1":
            em_pos += 1
            em_hit += d.emergency
            e_ok = d.emergency
        elif r["emergency"] == "0":
            em_neg += 1
            em_false += d.emergency
            e_ok = not d.emergency
        confusion[targets[0]][d.target if t_ok else d.target + "✗"] += 1
        if d.category:
            hit_categories[r["profile"]].add(d.category)
        if not (t_ok and a_ok and e_ok):
            errors.append(
                {
                    "id": r["id"],
                    "profile": r["profile"],
                    "platform": r["platform"],
                    "text": r["text"],
                    "expected": f"{r['targets']} {r['actions']} em={r['emergency']}",
                    "got": f"{d.target} {d.action} em={int(d.emergency)} [{d.category}] {d.rule}",
                }
            )
    coverage = {}
    for prof in sorted({r["profile"] for r in rows}):
        own = load_profile(prof).own_category_ids
        missing = [c for c in own if c not in hit_categories[prof]]
        coverage[prof] = {"own_categories": len(own), "hit": len(own) - len(missing), "missing": missing}
    return {
        "rows": n,
        "target_accuracy": target_ok / n if n else 0.0,
        "full_accuracy": full_ok / n if n else 0.0,
        "emergency_recall": em_hit / em_pos if em_pos else 1.0,
        "emergency_rows": em_pos,
        "false_emergency_rate": em_false / em_neg if em_neg else 0.0,
        "non_emergency_rows": em_neg,
        "confusion": {k: dict(v) for k, v in sorted(confusion.items())},
        "coverage": coverage,
        "errors": errors,
    }


def evaluate_teddycup(path: str | Path, profile: str = "national") -> dict[str, Any]:
    """Real written requests to a 12345-type platform: they should stay at 12345, none urgent."""
    router = get_router(profile)
    with Path(path).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    away: Counter[str] = Counter()
    emergencies = 0
    examples = []
    for r in rows:
        text = f"{r.get('留言主题', '')}。{r.get('留言详情', '')}"
        d = router.route(text, platform="12345")
        if d.target != "12345":
            away[d.target] += 1
            examples.append(f"{d.target} {d.action} [{d.category}] {r.get('留言主题', '')[:40]}")
        emergencies += d.emergency
    n = len(rows)
    return {
        "rows": n,
        "routed_away": sum(away.values()),
        "routed_away_share": sum(away.values()) / n if n else 0.0,
        "away_by_target": dict(away),
        "emergency": emergencies,
        "emergency_share": emergencies / n if n else 0.0,
        "examples": examples,
    }


def format_report(report: dict[str, Any], show_errors: bool = False) -> str:
    c = report["corpus"]
    out = [
        f"corpus: {c['rows']} utterances",
        f"  target accuracy        {c['target_accuracy']:.1%}",
        f"  target+action accuracy {c['full_accuracy']:.1%}",
        f"  emergency recall       {c['emergency_recall']:.1%}  ({c['emergency_rows']} emergency rows)",
        f"  false emergencies      {c['false_emergency_rate']:.1%}  ({c['non_emergency_rows']} non-emergency rows)",
        "  confusion (expected target -> routed to; ✗ = wrong):",
    ]
    for exp, got in c["confusion"].items():
        cells = ", ".join(f"{k}:{v}" for k, v in sorted(got.items(), key=lambda kv: -kv[1]))
        out.append(f"    {exp:<16} {cells}")
    out.append("  coverage of each profile's own categories:")
    for prof, cov in c["coverage"].items():
        miss = f"  missing: {', '.join(cov['missing'])}" if cov["missing"] else ""
        out.append(f"    {prof:<10} {cov['hit']}/{cov['own_categories']}{miss}")
    if show_errors and c["errors"]:
        out.append("  errors:")
        for e in c["errors"]:
            out.append(f"    {e['id']} {e['profile']}@{e['platform']} {e['text']}")
            out.append(f"        expected {e['expected']}; got {e['got']}")
    t = report.get("teddycup")
    if t:
        out += [
            f"teddycup: {t['rows']} real citizen messages at 12345",
            f"  routed away from 12345 {t['routed_away_share']:.1%}  ({t['routed_away']}: {t['away_by_target']})",
            f"  flagged emergency      {t['emergency_share']:.1%}  ({t['emergency']})",
        ]
    return "\n".join(out)

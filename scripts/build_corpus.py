"""Expand corpus/national_base.txt and corpus/city_rows.txt into corpus/utterances.tsv.

Each national line becomes one row per receiving platform with the action the linkage rules
(shared/notes/domain.md) expect there; every fourth line also gets a traditional-character row,
as a recognizer sometimes writes. usage: python scripts/build_corpus.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import opencc

from hotline.understanding.data import PLATFORMS, expected

HERE = Path(__file__).resolve().parent.parent / "corpus"


def main() -> None:
    t2s = opencc.OpenCC("s2t")
    rows: list[dict[str, str]] = []
    base = [
        ln
        for ln in (HERE / "national_base.txt").read_text(encoding="utf-8").splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    for i, line in enumerate(base):
        kind, targets, emergency, text = line.split("|", 3)
        tlist = targets.split(",")
        variants = [("base", text)]
        if i % 4 == 3:
            variants.append(("traditional", t2s.convert(text)))
        for variant, utt in variants:
            for platform in PLATFORMS:
                if variant == "traditional" and platform == "110":
                    continue
                tg, ac = expected(kind, tlist, platform)
                rows.append(
                    {
                        "profile": "national",
                        "platform": platform,
                        "text": utt,
                        "targets": "|".join(tg),
                        "actions": "|".join(ac),
                        "emergency": emergency,
                        "variant": variant,
                    }
                )
    for line in (HERE / "city_rows.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        profile, platform, targets, actions, emergency, text = line.split("|", 5)
        rows.append(
            {
                "profile": profile,
                "platform": platform,
                "text": text,
                "targets": targets.replace(",", "|"),
                "actions": actions.replace(",", "|"),
                "emergency": emergency,
                "variant": "city",
            }
        )
    out = HERE / "utterances.tsv"
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(
            f,
            ["id", "profile", "platform", "text", "targets", "actions", "emergency", "variant"],
            delimiter="\t",
            lineterminator="\n",
        )
        w.writeheader()
        for n, r in enumerate(rows, 1):
            w.writerow({"id": f"u{n:04d}", **r})
    print(f"{len(rows)} rows -> {out}")


if __name__ == "__main__":
    main()

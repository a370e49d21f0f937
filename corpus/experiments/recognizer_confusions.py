"""The recognizer's own confusions, learned from the training rows' spoken copies, rewritten before routing.

(session 59, 2026-12-07; not shipped: see the README beside this file.) Each training row that was spoken and
recognised (`corpus/train/asr_whisper*.tsv`, ids `<id>-asr`) is aligned character by character with the row it
was spoken from. Every substitution of 1-3 characters, with one character of context on each side (小七里 for
小区里), that occurs at least MIN_SEEN times and makes up at least MIN_SHARE of the heard string's occurrences in
those transcripts becomes a rule heard -> said. The rules rewrite a spoken split's transcripts (longest first) and
`hotline eval` reads them as it reads the transcripts themselves.

usage: .venv/bin/python corpus/experiments/recognizer_confusions.py corpus/speech_cache/test_bp.spoken.tsv ...
"""

from __future__ import annotations

import csv
import difflib
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from corpus.schema import read_rows  # noqa: E402
from hotline.evaluate import evaluate_examples  # noqa: E402
from hotline.understanding.data import read_examples  # noqa: E402

MIN_SEEN, MIN_SHARE = 4, 0.8
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _han(text: str) -> str:
    return "".join(ch for ch in text if _HAN.match(ch))


def learn_confusions(train: Path) -> list[tuple[str, str]]:
    said = {r["id"]: r["text"] for f in train.glob("*.tsv") if "asr" not in f.name for r in read_rows(f)}
    pairs = [
        (_han(r["text"]), _han(said[r["id"][: -len("-asr")]]))
        for f in train.glob("asr_whisper*.tsv")
        for r in read_rows(f)
        if r["id"][: -len("-asr")] in said
    ]
    seen: Counter[tuple[str, str]] = Counter()
    for heard, spoken in pairs:
        ops = difflib.SequenceMatcher(None, heard, spoken, autojunk=False).get_opcodes()
        for op, i1, i2, j1, j2 in ops:
            if op == "replace" and i2 - i1 == j2 - j1 <= 3:
                a, b = heard[max(0, i1 - 1) : i2 + 1], spoken[max(0, j1 - 1) : j2 + 1]
                if len(a) == len(b):
                    seen[(a, b)] += 1
    rules = []
    for (a, b), n in seen.items():
        if n >= MIN_SEEN and n / sum(h.count(a) for h, _ in pairs) >= MIN_SHARE:
            rules.append((a, b))
    return sorted(rules, key=lambda r: -len(r[0]))


def rewritten(text: str, rules: list[tuple[str, str]]) -> str:
    for a, b in rules:
        text = text.replace(a, b)
    return text


def main() -> None:
    rules = learn_confusions(REPO / "corpus" / "train")
    print(f"{len(rules)} confusions (seen >= {MIN_SEEN}, right >= {MIN_SHARE:.0%}), e.g. {rules[:5]}")
    for split in map(Path, sys.argv[1:]):
        with split.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
        col = rows[0].index("text")
        changed = 0
        for r in rows[1:]:
            new = rewritten(r[col], rules)
            changed += new != r[col]
            r[col] = new
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / split.name
            with out.open("w", encoding="utf-8", newline="") as f:
                csv.writer(f, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, quotechar=None).writerows(
                    rows
                )
            for name, path in (("as heard", split), ("rewritten", out)):
                r = evaluate_examples(read_examples(path))
                print(
                    f"{split.name} {name:9s} ({changed} of {len(rows) - 1} rewritten): destination "
                    f"{r['target_accuracy']:.1%}, emergencies {r['emergency_hit']}/{r['emergency_rows']}, "
                    f"false {r['false_emergencies']}/{r['non_emergency_rows']}"
                )


if __name__ == "__main__":
    main()

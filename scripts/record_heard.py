#!/usr/bin/env python3
"""Place the samples of sounds/samples/heard.tsv as real calls: what each call heard, and what it decided.

The fast layer (tests/test_samples_heard.py) routes each row's `heard` transcript with the shipped model and
expects the row's decision (target, action, emergency, danger_hint: the end-to-end test's expectations, edited by
hand). When the recognizer, the audio capture or a sample changes, the transcripts must be heard again. With the
system running (`make start`), this places each row's sample on its platform, `--repeat` times, and prints what
the calls heard and decided beside the row. A sample whose calls hear it differently is no sample for the fast
layer; a decision that differs from the row's is the end-to-end test's failure. `--write` puts the transcripts
into the file (never the expectations). Exit status 1 when a transcript varied or a decision differs.

usage: make start && .venv/bin/python scripts/record_heard.py [--repeat 2] [--write]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from hotline.config import REPO
from hotline.sim.sipcall import place_call

HEARD = REPO / "sounds" / "samples" / "heard.tsv"
COLUMNS = ["sample", "platform", "heard", "target", "action", "emergency", "danger_hint"]


def read_heard(path: Path = HEARD) -> list[dict[str, str]]:
    """The rows of heard.tsv; its columns must be COLUMNS, in that order (the file is written back with them)."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        if reader.fieldnames != COLUMNS:
            raise ValueError(f"{path}: columns {reader.fieldnames}, expected {COLUMNS}")
        return list(reader)


def decision_of(result: dict) -> dict[str, str]:
    route = result["route"]
    return {
        "target": route["target"],
        "action": result["action"],
        "emergency": str(int(bool(route["emergency"]))),
        "danger_hint": str(int(bool(route["danger_hint"]))),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=2, help="calls per row (their transcripts must agree)")
    ap.add_argument("--write", action="store_true", help="write the transcripts heard into heard.tsv")
    args = ap.parse_args()
    rows = read_heard(HEARD)
    bad = 0
    for row in rows:
        results = [
            place_call(HEARD.parent / row["sample"], platform=row["platform"], hold_s=20) for _ in range(args.repeat)
        ]
        heard = {" ".join(e["text"] for e in r["events"] if e["kind"] == "transcript") for r in results}
        decided = [decision_of(r) for r in results]
        want = {k: row[k] for k in decided[0]}
        varied, wrong = len(heard) > 1, any(d != want for d in decided)
        bad += varied or wrong
        flag = "VARIED" if varied else "WRONG" if wrong else "ok"
        print(f"{flag:6} {row['sample']} @ {row['platform']}: {' | '.join(sorted(heard))}")
        if wrong:
            print(f"       decided {decided} where the row expects {want}")
        if not varied and (text := heard.pop()) != row["heard"]:
            print(f"       the file has: {row['heard']}")
            row["heard"] = text
    if args.write:
        with HEARD.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, COLUMNS, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, quotechar=None)
            w.writeheader()
            w.writerows(rows)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

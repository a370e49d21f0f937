"""The training-data format (corpus/train/*.tsv): its columns, allowed values, reading, writing, checking.

One utterance per line, tab-separated, UTF-8, a header line:

    id  profile  platform  kind  targets  emergency  category  tags  source  text

The columns are those of the labeling brief (kind + targets say where the matter belongs, emergency
1 / 0 / -) plus `category` (a category id of the row's profile; `-` only for clarify rows, which name
no matter) and `source` (who or what produced the text: written, teddycup, teddycup-spoken,
aug:pinyin, asr:<model>).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

COLUMNS = ("id", "profile", "platform", "kind", "targets", "emergency", "category", "tags", "source", "text")
PROFILES = ("national", "ningguo", "tianjin", "guilin", "baofeng", "liaocheng")
PLATFORMS = ("12345", "110", "both")
KINDS = ("platform", "number", "guide", "clarify", "agent")
EMERGENCY = ("1", "0", "-")
TAGS = (
    "plain", "filler", "regional", "slang", "homophone", "dropped", "after_complaint", "negation", "past",
    "resolved", "third_person", "police_paperwork", "danger_no_crime_word", "hypothetical", "question", "long",
    "city", "work_order",
)  # fmt: skip
# the targets each kind may name (first = preferred; `recv` = whichever platform received the call)
TARGETS = {
    "platform": {"110", "12345"},
    "number": {"119,110", "120,110", "122,110", "12395,110"},
    "guide": {"110", "12345", "12348", "12313", "locksmith", "recv"}
    | {f"utility:{u}" for u in ("power", "water", "gas", "heat", "telecom")},
    "clarify": {"recv"},
    "agent": {"recv"},
}
# The authors after the first, each a file train/written_<name>.tsv of source written-<name>
# (corpus/README.md): a new author is one more name here — after z come aa, ab, … (ids daa…, dab…) — and
# train.AUTHORS takes it, by its id_prefix.
OTHER_AUTHORS = (
    *"bcdefghijklmnopqrstuvwxyz",
    *(f"a{c}" for c in "abcdefghijklmnopqrstuvwxyz"),
    *("ba", "bb", "bl", "bo", "bp", "bq", "br", "bs", "bt", "bu", "bv", "bw", "bx", "by", "bz", "ca", "cb", "cc", "cd"),
)


def id_prefix(author: str) -> str:
    """The id prefix of an author's rows: b…, c… for the second and third authors, d<name>… for the later ones."""
    return author if author in ("b", "c") else f"d{author}"


# the first author's two files, then the others' (the order the generated files are built in)
HAND_WRITTEN_FILES = ("written.tsv", "teddycup_spoken.tsv", *(f"written_{a}.tsv" for a in OTHER_AUTHORS))
SOURCES = (
    "written",
    *(f"written-{a}" for a in OTHER_AUTHORS),
    "teddycup",
    "teddycup-spoken",
    "aug:pinyin",
)  # plus asr:<model>


def read_rows(path: str | Path) -> list[dict[str, str]]:
    with Path(path).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def write_rows(path: str | Path, rows: Iterable[Mapping[str, str]], columns: Iterable[str] = COLUMNS) -> int:
    cols = list(columns)
    n = 0
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with Path(path).open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE)
        w.writerow(cols)
        for r in rows:
            w.writerow([clean_cell(r[c]) for c in cols])
            n += 1
    return n


def clean_cell(value: str) -> str:
    """Tabs and line breaks would break the TSV (folded to a space); an ASCII double quote would be read
    as CSV quoting by a default reader (written as a Chinese quote)."""
    s = str(value).replace('"', "”")
    return " ".join(s.split()) if any(c in s for c in "\t\r\n") else s


def row_problems(row: Mapping[str, str], categories: Mapping[str, set[str]]) -> list[str]:
    """What is wrong with one row ([] when it is valid). `categories`: profile -> its category ids."""
    out = []
    if set(row) != set(COLUMNS):
        return [f"columns {sorted(row)}"]
    if row["profile"] not in PROFILES:
        out.append(f"profile {row['profile']!r}")
    if row["platform"] not in PLATFORMS:
        out.append(f"platform {row['platform']!r}")
    kind = row["kind"]
    if kind not in KINDS:
        out.append(f"kind {kind!r}")
    elif row["targets"] not in TARGETS[kind]:
        out.append(f"targets {row['targets']!r} for kind {kind}")
    if row["emergency"] not in EMERGENCY:
        out.append(f"emergency {row['emergency']!r}")
    if row["emergency"] == "1" and not (kind == "number" or (kind == "platform" and row["targets"] == "110")):
        out.append("an emergency must be a 110 matter or another emergency number")
    cat = row["category"]
    if cat == "-":
        if kind != "clarify":
            out.append("category '-' is only for clarify rows")
    elif cat not in categories.get(row["profile"], set()):
        out.append(f"category {cat!r} is not in profile {row['profile']}")
    tags = row["tags"].split(",")
    bad = [t for t in tags if t not in TAGS]
    if bad or not row["tags"]:
        out.append(f"tags {bad or row['tags']!r}")
    if row["source"] not in SOURCES and not row["source"].startswith("asr:"):
        out.append(f"source {row['source']!r}")
    if not row["text"].strip():
        out.append("empty text")
    return out

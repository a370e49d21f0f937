"""Labeled utterances in every format the project writes, read into one shape (`Example`).

Three TSV formats, told apart by their header:

- the first corpus (``corpus/utterances.tsv``): ``id profile platform text targets actions emergency
  variant`` — targets and actions already expanded per receiving platform (``|`` = any of);
- the labeling format (``/work/briefs/labeling.md``, the held-out splits): ``id profile platform kind
  targets emergency tags text`` — ``platform`` may be ``both`` (one row per platform), targets are
  comma-separated and the actions follow from ``kind`` by `expected`;
- the training format: the labeling columns plus ``category`` and ``source`` (``review:<user>`` for a
  reviewer's correction exported from the admin); other columns (reviewer, reviewed_at) are ignored.

`expected` is the one definition of which targets and actions a matter of a kind allows at a platform:
the corpus builder, the loader and the evaluation all use it.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

PLATFORMS = ("12345", "110")
KINDS = ("platform", "number", "guide", "clarify", "agent")
SPLITS = ("train", "dev", "test", "all")

_OLD = {"id", "profile", "platform", "text", "targets", "actions", "emergency"}
_LABELING = {"id", "profile", "platform", "kind", "targets", "emergency", "text"}


class CorpusError(ValueError):
    """A corpus file that cannot be read; the message names the file, the line and the field."""


def expected(kind: str, targets: list[str], platform: str, emergency: int | None = None) -> tuple[list[str], list[str]]:
    """The targets and actions the linkage rules allow for a matter of this kind at this platform.

    A matter for an emergency number with nothing happening now (emergency 0: a fire already out)
    may also be guided: the caller is told the number instead of being put through.
    """
    if kind == "platform":
        t = targets[0]
        return [t], (["accept"] if t == platform else ["transfer", "conference"])
    if kind == "number":  # an emergency number; the police may take it too
        actions = ["transfer", "conference"] + (["accept"] if platform in targets else [])
        return targets, actions + (["guide"] if emergency == 0 else [])
    if kind == "guide":
        t = targets[0]
        if t == "recv":
            return [platform], ["guide"]
        if t in PLATFORMS:  # a question about the other platform's matter: say its number
            return [t], (["accept", "guide"] if t == platform else ["guide"])
        return [t], ["guide", "transfer"]
    if kind == "clarify":
        return [platform], ["clarify", "agent"]
    if kind == "agent":
        return [platform], ["agent"]
    raise ValueError(f"unknown kind {kind!r}")


def owner_of(kind: str, targets: list[str]) -> str:
    """Who owns the matter, independent of the platform that received it: what the model learns.

    110 / 12345 (questions about a platform's matter included), an emergency or guided number
    (119, 12348, utility:power, locksmith ...), ``none`` (for neither platform: explain and guide),
    ``clarify`` (nothing to act on) or ``agent`` (the caller asks for a person).
    """
    if kind in ("clarify", "agent"):
        return kind
    t = targets[0]
    return "none" if t == "recv" else t


@dataclass(frozen=True)
class Example:
    id: str
    profile: str
    platform: str  # the receiving platform of this row (a `both` row is read as two Examples)
    text: str
    targets: tuple[str, ...]  # any of these is right
    actions: tuple[str, ...]  # any of these is right
    emergency: int | None  # 1, 0, None = either
    owner: str
    kind: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    source: str = ""
    file: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def group(self) -> str:
        """Rows told by the same line (the two platforms of a `both` row): kept in one fold."""
        return f"{self.file}:{self.id}"


def _emergency(value: str, where: str) -> int | None:
    v = value.strip()
    if v in ("1", "0"):
        return int(v)
    if v in ("-", ""):
        return None
    raise CorpusError(f"{where}: emergency: expected 1, 0 or -, not {value!r}")


def _old_owner(targets: list[str], actions: list[str], platform: str) -> tuple[str, str]:
    """(kind, owner) of a row of the first corpus, recovered from its expanded targets and actions."""
    if "clarify" in actions:
        return "clarify", "clarify"
    if actions == ["agent"]:
        return "agent", "agent"
    t = targets[0]
    if actions == ["guide"] and t == platform:
        return "guide", "none"
    if t in PLATFORMS:
        return ("guide" if actions == ["guide"] else "platform"), t
    return ("guide" if "guide" in actions else "number"), t


def read_examples(path: str | Path) -> list[Example]:
    """Read one corpus file in any of the three formats."""
    p = Path(path)
    try:
        f = p.open(encoding="utf-8", newline="")
    except OSError as e:
        raise CorpusError(f"{p}: cannot read: {e.strerror}") from None
    with f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = set(reader.fieldnames or ())
        if header >= _LABELING:
            return list(_read_labeling(reader, p))
        if header >= _OLD:
            return list(_read_old(reader, p))
        raise CorpusError(
            f"{p}: header {sorted(header)} is neither the labeling/training format "
            f"({' '.join(sorted(_LABELING))}) nor the first corpus ({' '.join(sorted(_OLD))})"
        )


def _read_old(reader: csv.DictReader, p: Path) -> Iterator[Example]:
    for n, r in enumerate(reader, 2):
        where = f"{p}:{n}"
        targets = r["targets"].split("|")
        actions = r["actions"].split("|")
        kind, owner = _old_owner(targets, actions, r["platform"])
        yield Example(
            id=r["id"],
            profile=r["profile"],
            platform=r["platform"],
            text=r["text"],
            targets=tuple(targets),
            actions=tuple(actions),
            emergency=_emergency(r["emergency"], where),
            owner=owner,
            kind=kind,
            tags=(r.get("variant") or "",),
            source="corpus/utterances.tsv",
            file=p.name,
        )


def _read_labeling(reader: csv.DictReader, p: Path) -> Iterator[Example]:
    known = {"id", "profile", "platform", "kind", "targets", "emergency", "tags", "text", "category", "source"}
    for n, r in enumerate(reader, 2):
        where = f"{p}:{n}"
        if not (r.get("text") or "").strip():
            continue
        kind = (r["kind"] or "").strip()
        if kind not in KINDS:
            raise CorpusError(f"{where}: kind: expected one of {', '.join(KINDS)}, not {kind!r}")
        tlist = [t.strip() for t in (r["targets"] or "").split(",") if t.strip()]
        if not tlist:
            raise CorpusError(f"{where}: targets: empty")
        plat = (r["platform"] or "").strip()
        if plat not in (*PLATFORMS, "both"):
            raise CorpusError(f"{where}: platform: expected 12345, 110 or both, not {plat!r}")
        em = _emergency(r["emergency"] or "", where)
        tags = tuple(t.strip() for t in (r.get("tags") or "").split(",") if t.strip())
        extra = {k: v for k, v in r.items() if k not in known and k is not None and v}
        for platform in PLATFORMS if plat == "both" else (plat,):
            targets, actions = expected(kind, tlist, platform, em)
            yield Example(
                id=r["id"],
                profile=(r["profile"] or "national").strip(),
                platform=platform,
                text=r["text"],
                targets=tuple(targets),
                actions=tuple(actions),
                emergency=em,
                owner=owner_of(kind, tlist),
                kind=kind,
                category=(r.get("category") or "").strip(),
                tags=tags,
                source=(r.get("source") or "").strip(),
                file=p.name,
                extra=extra,
            )


# --------------------------------------------------------------------------------- splits
def corpus_dir() -> Path:
    return Path(str(resources.files("hotline.corpus")))


def split_files(split: str, root: Path | None = None) -> list[Path]:
    """The files of a split. train: the first corpus and corpus/train/*.tsv; dev / test: the held-out
    files the lead keeps in corpus/heldout/ (never trained on; test: each author's file, test*.tsv);
    all: every one of them."""
    if split not in SPLITS:
        raise CorpusError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    root = root or corpus_dir()
    if split == "all":
        return [f for s in ("train", "dev", "test") for f in split_files(s, root)]
    if split == "train":
        return [root / "utterances.tsv", *sorted((root / "train").glob("*.tsv"))]
    if split == "test":  # the frozen test split: one file per independent author (test.tsv, test_b.tsv, …)
        return sorted((root / "heldout").glob("test*.tsv"))
    f = root / "heldout" / f"{split}.tsv"
    return [f] if f.is_file() else []


def training_files(with_dev: bool = True, root: Path | None = None) -> list[Path]:
    """What the project's model is trained on: the train split and the dev split's author (another
    author's callers teach more than they tune); never the frozen test split."""
    files = [f for f in split_files("train", root) if f.is_file()]
    if with_dev:
        files += [f for f in split_files("dev", root) if f.is_file()]
    return files


def read_split(split: str, root: Path | None = None) -> list[Example]:
    return [e for f in split_files(split, root) for e in read_examples(f)]


def read_files(paths: Iterable[str | Path]) -> list[Example]:
    return [e for p in paths for e in read_examples(p)]


def data_version(paths: Iterable[str | Path]) -> str:
    """sha256 over the training files (name and bytes, in name order): the model's data version."""
    h = hashlib.sha256()
    for p in sorted(Path(x) for x in paths):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()

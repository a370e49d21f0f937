"""Two hearings of the same speech: the recognizer's decode biased toward the profile's vocabulary (the
service's) and one without the bias, each routed, and "an emergency when either hearing says so". Beside them,
the biased hearing at lower emergency thresholds, for what the same recall costs that way (README, "A second
hearing"). Reads transcripts already made by `scripts/speak_corpus.py` (`make eval-spoken`, then the same with
HOTLINE_ASR_BIAS=none into another folder); decodes nothing itself.

usage: .venv/bin/python benchmarks/spoken_hearings.py BIASED_DIR UNBIASED_DIR [SPLIT ...] [--threshold T ...]
  e.g. benchmarks/spoken_hearings.py corpus/speech_cache /tmp/nobias test_q test_r test_s test_t --threshold 0.22
An empty transcript (a hearing that heard nothing) counts as not understood: no destination, no emergency.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from hotline.router import get_router
from hotline.router.decide import Decision
from hotline.understanding.data import Example, read_examples
from hotline.understanding.model import service_model


@dataclass
class Tally:
    rows: int = 0
    right: int = 0
    emergencies: int = 0
    caught: int = 0
    ordinary: int = 0
    false: int = 0

    def add(self, ex: Example, d: Decision | None) -> None:
        self.rows += 1
        self.right += d is not None and d.target in ex.targets
        flagged = d is not None and d.emergency
        if ex.emergency == 1:
            self.emergencies, self.caught = self.emergencies + 1, self.caught + flagged
        elif ex.emergency == 0:
            self.ordinary, self.false = self.ordinary + 1, self.false + flagged

    def line(self, name: str) -> str:
        return (
            f"  {name:44s} destination {self.right / self.rows:6.2%}  emergencies {self.caught:5d}/{self.emergencies}"
            f" ({self.caught / self.emergencies:.1%})  false {self.false:4d}/{self.ordinary}"
            f" ({self.false / self.ordinary:.1%})"
        )


def _by_key(path: Path) -> dict[tuple[str, str], Example]:
    return {(e.id, e.platform): e for e in read_examples(path)}


def _route(ex: Example, text: str) -> Decision:
    return get_router(ex.profile).route(text, platform=ex.platform)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("biased", type=Path)
    ap.add_argument("unbiased", type=Path)
    ap.add_argument("splits", nargs="*", default=["test_q", "test_r", "test_s", "test_t"])
    ap.add_argument("--threshold", type=float, action="append", default=[], help="also read the biased hearing here")
    args = ap.parse_args()

    model = service_model()
    if model is None:
        raise SystemExit("no understanding model: the thresholds are the model's")
    shipped = dict(model.thresholds)
    biased: dict[tuple[str, str], Example] = {}
    unbiased: dict[tuple[str, str], Example] = {}
    for split in args.splits:  # ids are unique across the frozen splits
        biased.update(_by_key(args.biased / f"{split}.spoken.tsv"))
        unbiased.update(_by_key(args.unbiased / f"{split}.spoken.tsv"))
    tallies = {name: Tally() for name in ("biased (the service)", "unbiased", "either hearing")}
    for key, ex in biased.items():
        first = _route(ex, ex.text)
        other = _route(ex, unbiased[key].text) if key in unbiased else None
        either = other if other is not None and other.emergency and not first.emergency else first
        for name, d in zip(tallies, (first, other, either), strict=True):
            tallies[name].add(ex, d)
    print(f"spoken {', '.join(args.splits)}; model {model.version}, emergency threshold {shipped['emergency']:.4f}")
    for name, tally in tallies.items():
        print(tally.line(name))
    for th in args.threshold:  # the same model at another threshold (in process; the artifact is untouched)
        model.thresholds.update(emergency=th, emergency_narrative=th)
        tally = Tally()
        for ex in biased.values():
            tally.add(ex, _route(ex, ex.text))
        print(tally.line(f"biased, emergency threshold {th}"))
    model.thresholds.update(shipped)


if __name__ == "__main__":
    main()

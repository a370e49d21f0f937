"""Callers in danger whom a breath could cut short: an emergency told after something ordinary.

The live listener ends an utterance after a short silence (`HOTLINE_ENDPOINT_MS`, 600 ms) only when the
words so far take the caller to 110 at once; after any other words it waits out the long pause
(`HOTLINE_PAUSE_MS`, 1.2 s). This counts, over the frozen splits' emergencies that the router sends to 110
at once, those whose words up to a clause boundary (a comma, a full stop, a space: where a caller draws
breath) are an ordinary matter the router understands. Ending at the short silence on such words, as the
listener did until 2026-12-03, queued those callers as that ordinary matter whenever they paused there
for 0.6-1.2 s; now only a pause of more than 1.2 s does. Text only (no audio, no recognizer).

usage: .venv/bin/python benchmarks/bench_pause_exposure.py [SPLIT_STEM ...]   (default: every test split)
"""

from __future__ import annotations

import re
import sys
from collections import Counter

from hotline.router import get_router
from hotline.understanding.data import read_examples, split_files

BREATH = re.compile(r"[，。！？；、,.!?;…\s]+")


def ordinary_prefix(text: str, profile: str, platform: str) -> str | None:
    """The shortest words before a breath that the router understands as a matter not reaching 110 at once."""
    router = get_router(profile)
    for m in BREATH.finditer(text):
        if m.end() >= len(text):
            break
        d = router.route(text[: m.start()], platform=platform)
        if d.understood and not d.reaches_110_at_once:
            return text[: m.start()]
    return None


def main() -> None:
    files = [f for f in split_files("test") if len(sys.argv) == 1 or f.stem in sys.argv[1:]]
    seen: set[tuple[str, str, str]] = set()
    reached = exposed = 0
    by_tag_all: Counter[str] = Counter()
    by_tag_exposed: Counter[str] = Counter()
    for f in files:
        for ex in read_examples(f):
            key = (ex.profile, ex.platform, ex.text)
            if ex.emergency != 1 or key in seen:
                continue
            seen.add(key)
            if not get_router(ex.profile).route(ex.text, platform=ex.platform).reaches_110_at_once:
                continue  # missed whatever the pauses: eval's figure, not this one
            reached += 1
            hit = ordinary_prefix(ex.text, ex.profile, ex.platform) is not None
            exposed += hit
            for tag in ex.tags or ("-",):
                by_tag_all[tag] += 1
                by_tag_exposed[tag] += hit
    print(f"splits: {', '.join(f.stem for f in files)}")
    print(f"emergencies reaching 110 at once (distinct profile, platform, text): {reached}")
    print(
        f"of them, an ordinary matter the router understands before a breath: {exposed} "
        f"({exposed / max(1, reached):.1%}) -- cut short by a pause of 0.6-1.2 s before 2026-12-03, "
        "by none shorter than 1.2 s now"
    )
    print(f"{'tag':22s} {'exposed':>8s} {'of':>6s}")
    for tag, n in by_tag_all.most_common():
        print(f"{tag:22s} {by_tag_exposed[tag]:8d} {n:6d}  {by_tag_exposed[tag] / n:6.1%}")


if __name__ == "__main__":
    main()

"""How long a caller the system does not understand waits for a person, through the real system.

Three kinds of caller who are not understood — silence, and two utterances that say nothing
(sounds/samples/caller-unclear-*.wav: greetings and false starts) — call 110 and 12345, REPEAT times each.
Prints, per platform, the time from the call being answered to a person answering (the agent seat's
`answered` event, or a person joining a three-way call), p50 / p95 / max, and how often a caller was asked
again. Goals (issue 10): at most 15 s at 110, 25 s at 12345; never more than one re-ask.

Needs the system running (`make start`). usage: .venv/bin/python benchmarks/bench_time_to_person.py [REPEAT]
"""

from __future__ import annotations

import functools
import sys

from percentile import pct  # benchmarks/percentile.py: run as benchmarks/<name>.py

from hotline.config import REPO
from hotline.sim.sipcall import a_person_answers, place_call, seconds_to_person

SAMPLES = REPO / "sounds" / "samples"
CALLERS = {
    "silent": None,
    "unclear-1": SAMPLES / "caller-unclear-1.wav",
    "unclear-2": SAMPLES / "caller-unclear-2.wav",
}


def is_person(e: dict, platform: str) -> bool:
    """The platform's own agent seat answering, or anyone but the caller joining a three-way call (a danger hint
    at 12345 bridges the agent and 110); not the other platform answering a transfer."""
    if e["kind"] == "answered":
        return e.get("target") == f"agent-{platform}"
    return a_person_answers(e)


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    for platform in ("110", "12345"):
        waits: list[float] = []
        reasks: list[int] = []
        missed = 0
        for _ in range(repeat):
            for name, wav in CALLERS.items():
                r = place_call(wav, platform=platform, hold_s=35, timeout_s=150)
                prompts = [e.get("prompt") for e in r["events"] if e["kind"] == "prompt"]
                reasks.append(prompts.count("ask-again"))
                w = seconds_to_person(r["events"], functools.partial(is_person, platform=platform))
                if w is None:
                    missed += 1
                else:
                    waits.append(w)
                print(f"{platform} {name:<10} {r['outcome']:<10} person after {w if w is None else round(w, 1)} s"
                      f"  re-asked {prompts.count('ask-again')}x  '{r['transcript']}'", flush=True)  # fmt: skip
        goal = 15 if platform == "110" else 25
        print(
            f"\n{platform}: answer -> a person, {len(waits)} calls: p50 {pct(waits, 0.5):.1f} s, "
            f"p95 {pct(waits, 0.95):.1f} s, max {max(waits):.1f} s (goal <= {goal} s); "
            f"re-asks per call max {max(reasks)}; no person reached: {missed}\n",
            flush=True,
        )


if __name__ == "__main__":
    main()

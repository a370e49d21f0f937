"""The shared spoken calls through the real system: SIPp -> Asterisk -> AudioSocket -> recognizer ->
router -> action. Prints how many reach an allowed target and action, and end of speech -> route
decision as the call log timed it (speech_end and decision events of the same answer).

Needs the system running (`make start`) and ../shared beside the checkout.
usage: .venv/bin/python benchmarks/bench_calls.py [ID ...]      (default: every row of the manifest)
"""

from __future__ import annotations

import csv
import sys
import time
from datetime import datetime
from pathlib import Path

from percentile import pct  # benchmarks/percentile.py: run as benchmarks/<name>.py

from hotline.sim.sipcall import place_call

CALLS = Path(__file__).resolve().parents[2] / "shared" / "audio" / "calls"


TIMED_ENDINGS = ("endpoint", "max-length", "silence")  # answers whose decision the caller waits for


def timed_answers(events: list[dict]) -> list[tuple[str, float]]:
    """For each answer the caller waits on (TIMED_ENDINGS): how it ended, and ms from its last word to its decision."""
    out, end = [], None
    for e in events:
        if e["kind"] == "speech_end" and e.get("ended_by") in TIMED_ENDINGS:
            end = (e["ended_by"], datetime.fromisoformat(e["at"]))
        elif e["kind"] == "decision" and end is not None:
            out.append((end[0], (datetime.fromisoformat(e["at"]) - end[1]).total_seconds() * 1000))
            end = None
    return out


def end_to_decision_ms(events: list[dict]) -> list[float]:
    return [ms for _, ms in timed_answers(events)]


def main() -> None:
    rows = list(csv.DictReader((CALLS / "manifest.tsv").open(encoding="utf-8"), delimiter="\t"))
    if len(sys.argv) > 1:
        rows = [r for r in rows if r["id"] in sys.argv[1:]]
    lat, handover = [], []
    target_ok = action_ok = emerg_ok = emerg_n = 0
    t0 = time.time()
    for r in rows:
        res = place_call(CALLS / f"{r['id']}.wav", platform=r["platform"], hold_s=10, timeout_s=150)
        route = res["route"] or {}
        allowed_targets = set(r["targets"].split("|"))
        allowed_actions = set(r["actions"].split("|"))
        first = next((e for e in res["events"] if e["kind"] == "decision"), {})
        t_ok = route.get("target") in allowed_targets
        a_ok = first.get("action") in allowed_actions and first.get("target") in allowed_targets
        target_ok += t_ok
        action_ok += a_ok
        if r["emergency"] == "1":
            emerg_n += 1
            emerg_ok += bool(route.get("emergency")) and t_ok
        ms = end_to_decision_ms(res["events"])
        lat += ms
        if res["handover_ms"] is not None:
            handover.append(res["handover_ms"])
        print(
            f"{r['id']}@{r['platform']}: {res['outcome']:<24} end->decision {', '.join(f'{m:.0f}' for m in ms)} ms"
            f"  {'ok' if t_ok else 'WRONG TARGET'}{'' if a_ok else ' (not first time)'}  '{res['transcript']}'",
            flush=True,
        )
    n = len(rows)
    print(f"\n{n} calls in {time.time() - t0:.0f} s")
    print(f"allowed target: {target_ok}/{n} ({target_ok / n:.0%}); emergency rows right: {emerg_ok}/{emerg_n}")
    print(f"allowed action and target on the first answer: {action_ok}/{n}")
    if lat:
        print(
            f"end of speech -> route decision over {len(lat)} answers: p50 {pct(lat, 0.5):.0f} ms, "
            f"p95 {pct(lat, 0.95):.0f} ms, max {max(lat):.0f} ms"
        )
    if handover:
        p50, p95 = pct(handover, 0.5), pct(handover, 0.95)
        print(f"handover_ms over {len(handover)} handovers: p50 {p50:.0f}  p95 {p95:.0f}")


if __name__ == "__main__":
    main()

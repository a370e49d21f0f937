"""Handover latency through the real system: end of the caller's speech -> the target leg answered.

Needs the system running (`make start`) and ../shared beside the checkout.
usage: .venv/bin/python benchmarks/bench_handover.py [N]      (default 20 calls; prints figures)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from percentile import pct  # benchmarks/percentile.py: run as benchmarks/<name>.py

from hotline.sim.sipcall import place_call

CALLS = Path(__file__).resolve().parents[2] / "shared" / "audio" / "calls"
# transfers (12345 -> 110 and 110 -> 12345) whose text routes away from the receiving platform
PLAN = (
    [(f"p{i:02d}", "12345") for i in range(1, 11)]
    + [(f"p{i:02d}", "110") for i in (21, 22, 23)]
    + [("p25", "12345"), ("p26", "12345"), ("p27", "12345")]
)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    lat, outcomes, decode = [], {}, []
    t0 = time.time()
    for k in range(n):
        name, platform = PLAN[k % len(PLAN)]
        r = place_call(CALLS / f"{name}.wav", platform=platform, hold_s=12)
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
        if r["handover_ms"] is not None:
            lat.append(r["handover_ms"])
        for e in r["events"]:
            if e["kind"] == "transcript":
                decode.append(e["decode_s"] * 1000)
        print(f"{name}@{platform}: {r['outcome']:<22} handover {r['handover_ms']} ms  '{r['transcript']}'", flush=True)
    print(f"\n{n} calls in {time.time() - t0:.0f} s; outcomes: {outcomes}")
    if lat:
        print(
            f"handover_ms over {len(lat)} handovers: p50 {pct(lat, 0.5):.0f}  p95 {pct(lat, 0.95):.0f}  "
            f"min {min(lat):.0f}  max {max(lat):.0f}  mean {statistics.mean(lat):.0f}"
        )
    if decode:
        print(f"recognizer decode per utterance: p50 {pct(decode, 0.5):.0f} ms  p95 {pct(decode, 0.95):.0f} ms")


if __name__ == "__main__":
    main()

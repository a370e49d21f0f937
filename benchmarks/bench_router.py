"""Router speed: per-utterance latency percentiles and a 1,000-line batch through the CLI.

usage: .venv/bin/python benchmarks/bench_router.py   (prints figures; asserts nothing)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from hotline.evaluate import read_corpus
from hotline.router import get_router


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def main() -> None:
    rows = read_corpus()
    t0 = time.perf_counter()
    routers = {p: get_router(p) for p in sorted({r["profile"] for r in rows})}
    build_s = time.perf_counter() - t0
    for r in rows:  # warm caches (pinyin of each character)
        routers[r["profile"]].route(r["text"], r["platform"])
    lat = []
    for _ in range(5):
        for r in rows:
            t = time.perf_counter()
            routers[r["profile"]].route(r["text"], r["platform"])
            lat.append((time.perf_counter() - t) * 1000)
    print(f"profiles compiled: {len(routers)} in {build_s:.2f} s")
    print(
        f"route latency over {len(lat)} calls: p50 {pct(lat, 0.5):.3f} ms  p90 {pct(lat, 0.9):.3f} ms  "
        f"p99 {pct(lat, 0.99):.3f} ms  mean {statistics.mean(lat):.3f} ms"
    )

    shared = Path(__file__).resolve().parents[2] / "shared/data/teddycup2020/messages.tsv"
    if shared.is_file():
        import csv

        msgs = [
            f"{m['留言主题']}。{m['留言详情']}" for m in csv.DictReader(shared.open(encoding="utf-8"), delimiter="\t")
        ]
        r = routers["national"]
        lat_long = []
        for m in msgs:
            t = time.perf_counter()
            r.route(m, "12345")
            lat_long.append((time.perf_counter() - t) * 1000)
        print(
            f"long written messages ({len(msgs)}, mean {statistics.mean(map(len, msgs)):.0f} chars): "
            f"p50 {pct(lat_long, 0.5):.2f} ms  p99 {pct(lat_long, 0.99):.2f} ms"
        )

    lines = [rows[i % len(rows)]["text"] for i in range(1000)]
    exe = Path(sys.executable).with_name("hotline")
    t = time.perf_counter()
    out = subprocess.run(
        [str(exe), "route", "--json", "-"], input="\n".join(lines).encode(), capture_output=True, check=True
    )
    wall = time.perf_counter() - t
    n = len(out.stdout.splitlines())
    print(f"hotline route --json - : {n} lines in {wall:.2f} s wall, start-up included ({n / wall:.0f} lines/s)")


if __name__ == "__main__":
    main()

"""The learned layer: model load time, decision latency (rules only vs rules + model), eval per split.

usage: .venv/bin/python benchmarks/bench_understanding.py [--splits train dev test]
(prints figures; asserts nothing. Run under the lock: flock /work/e2e.lock ...)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from percentile import pct  # benchmarks/percentile.py: run as benchmarks/<name>.py

from hotline.config import settings
from hotline.evaluate import evaluate, format_comparison
from hotline.profile import load_profile
from hotline.router.decide import Router
from hotline.understanding.data import read_split, split_files

TEDDYCUP = Path(__file__).resolve().parents[2] / "shared/data/teddycup2020/messages.tsv"


def load_time() -> float:
    """A fresh process loading and checking the artifact (what the service does at start)."""
    code = (
        "import time; t=time.perf_counter(); from hotline.understanding.model import load_checked;"
        "from hotline.config import settings; load_checked(settings().understanding_model_dir);"
        "print(time.perf_counter()-t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


# calls broken off once to four times (Router.broke_off reads what follows each break-off word as a call of its
# own, so these cost up to five readings); written for this benchmark, none with an emergency, the dearest case
BROKEN_OFF = [
    "我想问一下医保卡怎么补办，哎你等一下，我问问我老伴在不在家",
    "物业收了钱不干活，门口垃圾堆了一礼拜，算了不说了，我主要是想问问物业费能不能不交",
    "上个月电费多收了两百，还有个事，对了，另外，不对，楼道灯也不亮了好几天了，你们管不管",
    "孩子上学的事我想问问，户口在老家能不能在这边读，不对不对，我主要是想问幼儿园，哎呀你等等，我看看通知上怎么写的",
]


def latency(router: Router, texts: list[str], use_model: bool, rounds: int = 3) -> list[float]:
    for t in texts:  # warm the pinyin caches
        router.route(t, "12345", use_model=use_model)
    lat = []
    for _ in range(rounds):
        for t in texts:
            t0 = time.perf_counter()
            router.route(t, "12345", use_model=use_model)
            lat.append((time.perf_counter() - t0) * 1000)
    return lat


def main() -> None:
    ap = argparse.ArgumentParser()
    # the test split is read only by `hotline eval --split test`, once, at the end
    ap.add_argument("--splits", nargs="*", default=["dev"])
    args = ap.parse_args()
    from hotline.understanding.model import load_checked

    folder = settings().understanding_model_dir
    t0 = time.perf_counter()
    model = load_checked(folder)
    in_process = time.perf_counter() - t0
    print(f"model {model.version} ({folder}): {len(model.vectorizer.vocabulary)} features")
    print(f"load + check: {in_process * 1000:.0f} ms in process; {load_time() * 1000:.0f} ms in a fresh process")

    router = Router(load_profile("national"), model=model)
    texts = [e.text for e in read_split("train") if e.profile == "national"][:600]
    for mode, use in (("rules only", False), ("rules + model", True)):
        lat = latency(router, texts, use)
        print(
            f"decision latency, {mode:<13} ({len(lat)} calls): p50 {pct(lat, 0.5):.2f} ms  "
            f"p95 {pct(lat, 0.95):.2f} ms  p99 {pct(lat, 0.99):.2f} ms  mean {statistics.mean(lat):.2f} ms"
        )
    lat = latency(router, BROKEN_OFF * 50, True)
    print(
        f"decision latency, broken off  ({len(lat)} calls, 1-4 break-off words each, rules + model): "
        f"p50 {pct(lat, 0.5):.2f} ms  p95 {pct(lat, 0.95):.2f} ms"
    )
    for split in args.splits:
        if split != "train" and not split_files(split):
            print(f"\n(no {split} split yet)")
            continue
        report = evaluate(split, teddycup=TEDDYCUP if TEDDYCUP.is_file() else None)
        print()
        print(format_comparison(report, show_tags=False))


if __name__ == "__main__":
    main()

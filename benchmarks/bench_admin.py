"""Admin list queries over 100,000 calls: the call list page (query + render) per filter, p50/p95.

usage: .venv/bin/python benchmarks/bench_admin.py [N_CALLS]     (prints figures; asserts nothing)
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from percentile import pct  # benchmarks/percentile.py: run as benchmarks/<name>.py

from hotline.admin import create_app
from hotline.admin.auth import create_user
from hotline.admin.seed import seed_calls
from hotline.store import CallLog, migrate

FILTERS = [
    "",
    "platform=110",
    "platform=12345&action=transfer&target=110",
    "emergency=1",
    "from=2026-11-01&to=2026-11-07",
    "category=violence&sort=-handover",
    "outcome=reached",
    "q=路灯",
    "q=138",
    "platform=110&emergency=0&page=50",
]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'bench.db'}"
    migrate(url)
    log = CallLog(url)
    t = time.perf_counter()
    seed_calls(log, n, days=60, seed=11, events=False, end=datetime(2026, 11, 20, 12))
    print(f"seeded {n} calls through the router in {time.perf_counter() - t:.1f} s")
    create_user(log, "bench", "bench-password-1", "viewer")
    app = create_app(url, TESTING=True, SESSION_COOKIE_SECURE=False)
    c = app.test_client()
    page = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    c.post("/login", data={"username": "bench", "password": "bench-password-1", "csrf_token": token})
    all_ms = []
    for f in FILTERS:
        times = []
        for _ in range(12):
            t = time.perf_counter()
            r = c.get("/calls?" + f)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, (f, r.status_code)
        times = times[2:]  # warm-up
        all_ms += times
        print(f"  {f or '(no filter)':<45} p50 {pct(times, 0.5):6.1f} ms  p95 {pct(times, 0.95):6.1f} ms")
    print(f"call list page over {len(all_ms)} requests: p50 {pct(all_ms, 0.5):.1f} ms  p95 {pct(all_ms, 0.95):.1f} ms")
    t = time.perf_counter()
    r = c.get("/calls.csv?platform=110")
    rows = r.data.count(b"\n") - 1
    print(f"CSV export of platform=110 ({rows} rows): {(time.perf_counter() - t) * 1000:.0f} ms")
    t = time.perf_counter()
    c.get("/dashboard?days=60")
    print(f"dashboard over 60 days: {(time.perf_counter() - t) * 1000:.0f} ms")


if __name__ == "__main__":
    main()

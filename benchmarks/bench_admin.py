"""The admin over 300,000 calls: call list per filter, searches (text, number, call id), the dashboard
(30 and 90 days, first build of the hourly figures and afterwards) and exports (CSV, .xlsx).

usage: flock /work/e2e.lock .venv/bin/python benchmarks/bench_admin.py [N_CALLS] [--no-xlsx]
Prints figures (p50 / p95 of timed requests through Flask's test client, SQLite in WAL mode); asserts
nothing. The calls are spread over the 90 days before the run, decided by the real router.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from percentile import pct  # benchmarks/percentile.py: run as benchmarks/<name>.py

from hotline.admin import create_app, exports, stats
from hotline.admin.auth import create_user
from hotline.admin.queries import CallFilter
from hotline.admin.seed import seed_calls
from hotline.store import CallLog, migrate

DAYS = 90
FILTERS = [
    "",
    "platform=110",
    "platform=12345&action=transfer&target=110",
    "emergency=1",
    "from={d7}&to={today}",
    "category=violence&sort=-handover",
    "outcome=reached",
    "sort=category",
    "platform=110&emergency=0&page=50",
    "from={d30}&to={today}&hour=1",
    "page=12000",
]
SEARCHES = {"text (q=路灯)": "q=路灯", "caller number prefix (q=138)": "q=138", "call id": "q={uid}"}


def timed(c, url: str, n: int = 10, warm: int = 2) -> list[float]:
    out = []
    for _ in range(n + warm):
        t = time.perf_counter()
        r = c.get(url)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    return out[warm:]


def line(label: str, ms: list[float]) -> str:
    return f"  {label:<52} p50 {pct(ms, 0.5):7.1f} ms  p95 {pct(ms, 0.95):7.1f} ms"


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 300_000
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'bench.db'}"
    migrate(url)
    log = CallLog(url)
    t = time.perf_counter()
    seed_calls(log, n, days=DAYS, seed=11, events=False)
    seeded_at = time.monotonic()
    print(f"seeded {n} calls over {DAYS} days through the router in {time.perf_counter() - t:.1f} s")
    create_user(log, "bench", "bench-password-1", "admin")
    app = create_app(url, TESTING=True, SESSION_COOKIE_SECURE=False, HOTLINE_EXPORT_DIR=str(tmp / "exports"))
    c = app.test_client()
    page = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    c.post("/login", data={"username": "bench", "password": "bench-password-1", "csrf_token": token})
    with app.app_context():
        from hotline.admin import localtime

        today = localtime.today()
    dates = {"today": today, "d7": today - timedelta(days=6), "d30": today - timedelta(days=29)}
    uid = log.get(f"demo-11-{n // 2}").uniqueid

    print("call list page (count + page + render):")
    all_ms = []
    for f in FILTERS:
        ms = timed(c, "/calls?" + f.format(**dates))
        all_ms += ms
        print(line(f.format(**dates) or "(no filter)", ms))
    print(line(f"all {len(FILTERS)} filters", all_ms))
    print("search:")
    for label, q in SEARCHES.items():
        print(line(label, timed(c, "/calls?" + q.format(uid=uid))))

    print("dashboard:")
    t = time.perf_counter()
    with app.app_context():
        days = stats.refresh(log, localtime.zone())
    print(f"  first build of the daily figures ({days} days): {(time.perf_counter() - t) * 1000:.0f} ms")
    wait = 61 - (time.monotonic() - seeded_at)
    if wait > 0:  # the refresh re-reads calls written within a minute of it (stats.SLACK)
        print(f"  (waiting {wait:.0f} s until the seeded calls are older than the refresh slack)")
        time.sleep(wait)
    c.get("/dashboard")
    for days in (30, 90):
        first = f"{today - timedelta(days=days - 1):%Y-%m-%d}"
        print(line(f"{days} days", timed(c, f"/dashboard?from={first}&to={today:%Y-%m-%d}")))
    # a call written between two views: its hour is recomputed on the next one
    ms = []
    for i in range(10):
        log.open_call(f"live-{i}", "110", "13900000000", "national")
        log.update(f"live-{i}", action="accept", target="110", outcome="accepted:110")
        t = time.perf_counter()
        c.get(f"/dashboard?from={today - timedelta(days=89):%Y-%m-%d}&to={today:%Y-%m-%d}")
        ms.append((time.perf_counter() - t) * 1000)
    print(line("90 days, a new call written before each view", ms))

    print("export:")
    for label, q in (("CSV, all calls", ""), ("CSV, platform=110", "platform=110")):
        t = time.perf_counter()
        r = c.get("/calls.csv?" + q)
        rows = r.get_data().count(b"\n") - 1
        s = time.perf_counter() - t
        print(f"  {label:<52} {rows} rows in {s:.1f} s ({rows / s:,.0f} rows/s)")
    if "--no-xlsx" not in sys.argv:
        with app.test_request_context():
            f = CallFilter.from_args({"platform": "110"})
            t = time.perf_counter()
            path = tmp / "bench.xlsx"
            rows = exports.write_xlsx(exports.iter_calls(f), path, "bench")
            s = time.perf_counter() - t
        print(
            f"  {'xlsx (write-only), platform=110':<52} {rows} rows in {s:.1f} s ({rows / s:,.0f} rows/s), "
            f"{path.stat().st_size / 1e6:.1f} MB"
        )
    size = sum(p.stat().st_size for p in tmp.glob("bench.db*"))
    print(f"database: {size / 1e6:.0f} MB ({datetime.now(UTC):%Y-%m-%d})")


if __name__ == "__main__":
    main()

"""Order delivery between two installations: deliveries per second and order end-to-end latency.

The 110 side writes orders (each with its outbox row, one transaction) into its own SQLite database and
its relay signs and delivers them; the 12345 side is `hotline admin` (waitress) with its own database,
verifying each signature, applying the order and recording the delivery id. Both on this machine.

  backlog:  N orders written first, then the relay drains them  -> deliveries/s
  steady:   N orders written at a fixed rate while the relay runs -> end-to-end latency p50/p95
            (order written at 110 -> applied at 12345: the receiver's inbox time - the order's time)

usage: flock /work/e2e.lock .venv/bin/python benchmarks/bench_linkage.py [--orders 10000] [--concurrency 4]
       [--rate R]   (steady rate in orders/s; default: half the backlog throughput)   prints figures
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml
from percentile import pct  # benchmarks/percentile.py: run as benchmarks/<name>.py
from sqlalchemy import func, select

from hotline.linkage.models import InboxDelivery, Order, OutboxMessage
from hotline.linkage.orders import OrderBook
from hotline.linkage.peers import load_peers
from hotline.linkage.relay import Relay
from hotline.linkage.signing import new_secret
from hotline.store import CallLog, migrate


def store(url: str) -> CallLog:
    migrate(url)
    return CallLog(url)


TEXTS = ["人民路和解放路路口的路灯坏了", "幸福小区的垃圾好几天没人清理", "工地晚上施工太吵", "楼上漏水物业不管"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_orders(log: CallLog, book: OrderBook, n: int, rate: float | None = None) -> float:
    """n orders (one transaction each, as at decision time); at `rate` per second when given."""
    t0 = time.perf_counter()
    for i in range(n):
        if rate:
            wait = t0 + i / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        with log.session() as s:
            book.create(
                s,
                origin="110",
                target="12345",
                request_text=TEXTS[i % len(TEXTS)] + f" #{i}",
                by="110/bench",
                caller_number="13800138000",
                location="人民路",
                category="public_facilities",
            )
    return time.perf_counter() - t0


def delivered(log: CallLog) -> int:
    with log.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.delivered_at.isnot(None)))


def run_relay(relay: Relay, stop: threading.Event) -> threading.Thread:
    t = threading.Thread(target=relay.run, args=(stop, 0.02), daemon=True)
    t.start()
    return t


def latencies_ms(log110: CallLog, log12345: CallLog, since_number: int) -> list[float]:
    with log110.session() as s:
        created = {o.id: o.created_at for o in s.scalars(select(Order))}
    with log12345.session() as s:
        got = {d.order_id: d.received_at for d in s.scalars(select(InboxDelivery))}
    return [(got[k] - created[k]).total_seconds() * 1000 for k in list(created)[since_number:] if k in got]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=10_000)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--rate", type=float, default=None)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-linkage-"))
    secret, port = new_secret(), free_port()
    peers12345 = tmp / "p12345.yaml"
    peers12345.write_text(
        yaml.safe_dump({"peers": [{"platform": "110", "url": "http://127.0.0.1:9/", "secret": secret}]})
    )
    peers110 = tmp / "p110.yaml"
    peers110.write_text(
        yaml.safe_dump(
            {"peers": [{"platform": "12345", "url": f"http://127.0.0.1:{port}/api/linkage/v1", "secret": secret}]}
        )
    )
    db110, db12345 = f"sqlite:///{tmp / '110.db'}", f"sqlite:///{tmp / '12345.db'}"
    log110, log12345 = store(db110), store(db12345)
    env = {
        **os.environ,
        "HOTLINE_PLATFORM": "12345",
        "HOTLINE_DB_URL": db12345,
        "HOTLINE_LINKAGE_PEERS": str(peers12345),
    }
    exe = Path(sys.executable).with_name("hotline")
    receiver = subprocess.Popen(
        [str(exe), "admin", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        book = OrderBook("110")
        relay = Relay(log110, load_peers(peers110), schedule=(0, 1, 2), concurrency=a.concurrency, timeout_s=10)

        # backlog: write, then drain
        w = write_orders(log110, book, a.orders)
        print(
            f"orders written (order + outbox row, one transaction each): {a.orders} in {w:.1f} s = {a.orders / w:.0f}/s"
        )
        stop = threading.Event()
        t0 = time.perf_counter()
        th = run_relay(relay, stop)
        while delivered(log110) < a.orders:
            time.sleep(0.2)
        drain = time.perf_counter() - t0
        stop.set()
        th.join()
        tput = a.orders / drain
        print(f"backlog of {a.orders}: delivered in {drain:.1f} s = {tput:.0f} deliveries/s "
              f"(relay concurrency {a.concurrency}; each verified, applied and recorded at 12345)")  # fmt: skip

        # steady: write at a rate the pair keeps up with, relay running
        rate = a.rate or round(tput / 2)
        stop = threading.Event()
        th = run_relay(relay, stop)
        w = write_orders(log110, book, a.orders, rate=rate)
        while delivered(log110) < 2 * a.orders:
            time.sleep(0.2)
        stop.set()
        th.join()
        relay.close()
        lat = latencies_ms(log110, log12345, a.orders)
        p50, p95 = pct(lat, 0.5), pct(lat, 0.95)
        print(f"steady {a.orders} orders at {rate:.0f}/s (written in {w:.1f} s): end-to-end latency "
              f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(lat):.0f} ms ({len(lat)} orders)")  # fmt: skip
        with log12345.session() as s:
            n_orders = s.scalar(select(func.count()).select_from(Order))
            n_inbox = s.scalar(select(func.count()).select_from(InboxDelivery))
        print(f"at 12345: {n_orders} orders, {n_inbox} deliveries recorded (exactly once: {n_inbox == 2 * a.orders})")
    finally:
        receiver.terminate()
        receiver.wait(15)


if __name__ == "__main__":
    main()

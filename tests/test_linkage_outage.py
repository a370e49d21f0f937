"""The receiving installation stopped for a while, the sending relay restarted meanwhile: once the
receiver is back, every delivery arrives exactly once and, per order, in the order it was written.

Real processes on one machine: 12345's `hotline admin` (the receiver) and 110's `hotline linkage relay`,
each with its own database. The relay's schedule is shortened by HOTLINE_RELAY_SCHEDULE;
HOTLINE_TEST_OUTAGE_S sets how long the receiver stays down (default 90 s: over four times the relay's
longest wait here, so it keeps retrying into a receiver that is still down).
"""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import func, select

from hotline.linkage.models import InboxDelivery, Order, OutboxMessage
from hotline.linkage.orders import OrderBook
from hotline.linkage.signing import new_secret
from hotline.store import CallLog
from tests.linkage_sides import Proc, free_port, store, wait_for, write_peers

pytestmark = [pytest.mark.slow]
OUTAGE_S = float(os.environ.get("HOTLINE_TEST_OUTAGE_S", "90"))


def _changes(log: CallLog, book: OrderBook, n: int, tag: str) -> None:
    with log.session() as s:
        for i in range(n):
            o = book.create(s, origin="110", target="12345", request_text=f"{tag} 路灯坏了 {i}", by="110/ivr")
            book.act(s, o, "edit", "alice", data={"location": f"{tag} 人民路{i}号"})
            book.act(s, o, "note", "alice", note=f"{tag} 补充 {i}")


def test_receiver_down_then_everything_exactly_once_in_order(tmp_path):
    secret = new_secret()
    port = free_port()
    db110, db12345 = f"sqlite:///{tmp_path / '110.db'}", f"sqlite:///{tmp_path / '12345.db'}"
    env110 = {
        "HOTLINE_PLATFORM": "110",
        "HOTLINE_DB_URL": db110,
        "HOTLINE_LINKAGE_PEERS": write_peers(
            tmp_path / "p110.yaml", "12345", f"http://127.0.0.1:{port}/api/linkage/v1", secret
        ),
        "HOTLINE_RELAY_SCHEDULE": "0,2,5,10,20",
        "HOTLINE_RELAY_INTERVAL_S": "0.5",
    }
    env12345 = {
        "HOTLINE_PLATFORM": "12345",
        "HOTLINE_DB_URL": db12345,
        "HOTLINE_LINKAGE_PEERS": write_peers(tmp_path / "p12345.yaml", "110", "http://127.0.0.1:9/", secret),
    }
    log110, log12345 = store(db110), store(db12345)
    book = OrderBook("110")
    receiver = Proc(["admin", "--port", str(port)], env12345, tmp_path / "receiver.log")
    relay = Proc(["linkage", "relay"], env110, tmp_path / "relay.log")
    receiver.start(port)
    relay.start()
    try:
        _changes(log110, book, 5, "before")
        wait_for(lambda: _delivered(log110) == 15, 30, what="the first deliveries")
        receiver.stop()
        _changes(log110, book, 20, "during")  # 60 deliveries written while 12345 is down
        half = time.time() + OUTAGE_S / 2
        while time.time() < half:
            time.sleep(1)
        relay.stop()  # the sending side restarts too
        relay.start()
        _changes(log110, book, 5, "after-restart")
        while time.time() < half + OUTAGE_S / 2:
            time.sleep(1)
        with log110.session() as s:
            retried = s.scalar(select(func.max(OutboxMessage.attempts)))
        assert _delivered(log110) == 15 and retried >= 3  # nothing got through, and it kept trying
        receiver.start(port)
        wait_for(lambda: _delivered(log110) == 90, 60, what="all 90 deliveries")
    finally:
        relay.stop()
        receiver.stop()
    with log110.session() as s:
        sent = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    with log12345.session() as s:
        got = list(s.scalars(select(InboxDelivery).order_by(InboxDelivery.id)))
        orders = {o.id: o for o in s.scalars(select(Order))}
    assert len(got) == len(sent) == 90  # exactly once: one inbox row per delivery
    assert len({g.msg_id for g in got}) == 90
    by_order: dict[str, list[str]] = {}
    for m in sent:
        by_order.setdefault(m.order_id, []).append(m.msg_id)
    for oid, ids in by_order.items():  # in order, per order
        assert [g.msg_id for g in got if g.order_id == oid] == ids
        o = orders[oid]
        assert [e["action"] for e in o.history] == ["created", "edited", "note"]
        assert o.location.endswith("号")


def _delivered(log) -> int:
    with log.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.delivered_at.isnot(None)))

"""The outbox relay against a real HTTP receiver (the other installation's admin app under waitress):
nothing lost while the receiver is down, in order per order, a lost acknowledgement applied once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hotline.admin import create_app
from hotline.linkage.models import InboxDelivery, Order, OutboxMessage, utcnow
from hotline.linkage.orders import OrderBook
from hotline.linkage.peers import load_peers
from hotline.linkage.relay import Relay
from hotline.linkage.signing import new_secret
from tests.linkage_sides import HttpSide, free_port, store, write_peers


@pytest.fixture
def pair(tmp_path, monkeypatch):
    """110 (sender: a database and a relay) and 12345 (receiver: admin app over HTTP)."""
    secret = new_secret()
    port = free_port()
    monkeypatch.setenv("HOTLINE_PLATFORM", "12345")
    recv_db = f"sqlite:///{tmp_path / '12345.db'}"
    peers12345 = write_peers(tmp_path / "peers-12345.yaml", "110", "http://127.0.0.1:9/api/linkage/v1", secret)
    recv_log = store(recv_db)  # migrated before the app starts, as `hotline admin` does
    receiver = HttpSide(create_app(recv_db, HOTLINE_LINKAGE_PEERS=peers12345), port)
    send_log = store(f"sqlite:///{tmp_path / '110.db'}")
    send_log._orders = OrderBook("110")
    peers110 = load_peers(write_peers(tmp_path / "peers-110.yaml", "12345", receiver.url, secret))
    relay = Relay(send_log, peers110, schedule=(0, 1, 2, 60), concurrency=4, timeout_s=3)
    yield send_log, recv_log, receiver, relay
    relay.close()
    receiver.stop()


def _orders_with_updates(log, n: int) -> list[str]:
    """n orders at 110, each then edited twice and noted: four deliveries per order, in a known order."""
    book = log.orders
    ids = []
    with log.session() as s:
        for i in range(n):
            o = book.create(s, origin="110", target="12345", request_text=f"路灯坏了 {i}", by="110/ivr")
            book.act(s, o, "edit", "alice", data={"location": f"人民路{i}号"})
            book.act(s, o, "note", "alice", note=f"补充 {i}-1")
            book.act(s, o, "note", "alice", note=f"补充 {i}-2")
            ids.append(o.id)
    return ids


def test_nothing_is_lost_while_the_receiver_is_down_and_order_is_kept(pair):
    send_log, recv_log, receiver, relay = pair
    ids = _orders_with_updates(send_log, 12)
    st = relay.run_once()
    assert st.sent == 0 and st.failed == 12 and st.waiting == 36  # each order's head failed; the rest waited
    with send_log.session() as s:
        heads = list(s.scalars(select(OutboxMessage).where(OutboxMessage.attempts == 1)))
        assert len(heads) == 12 and all(h.next_attempt_at > utcnow() for h in heads)  # backing off
        assert "ConnectionError" in heads[0].last_error
    receiver.start()
    later = utcnow() + timedelta(seconds=2)
    st = relay.run_once(now=later)
    assert (st.sent, st.failed) == (48, 0)
    with recv_log.session() as s:
        inbox = list(s.scalars(select(InboxDelivery).order_by(InboxDelivery.id)))
        orders = {o.id: o for o in s.scalars(select(Order))}
    with send_log.session() as s:
        sent = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert len(inbox) == 48 and set(orders) == set(ids)
    for oid in ids:  # per order, received in the order written
        assert [m.msg_id for m in inbox if m.order_id == oid] == [m.msg_id for m in sent if m.order_id == oid]
        o = orders[oid]
        assert [e["action"] for e in o.history] == ["created", "edited", "note", "note"]
        assert o.location.startswith("人民路")
    assert all(m.delivered_at is not None and m.latency_ms > 0 for m in sent)


def test_a_lost_acknowledgement_is_sent_again_and_applied_once(pair):
    send_log, recv_log, receiver, relay = pair
    receiver.start()
    _orders_with_updates(send_log, 2)
    assert relay.run_once().sent == 8
    with send_log.session() as s:  # as if the 200 never arrived: the relay still has them pending
        s.execute(update(OutboxMessage).values(delivered_at=None))
    assert relay.run_once().sent == 8
    with recv_log.session() as s:
        assert len(list(s.scalars(select(InboxDelivery)))) == 8
        assert all(len(o.history) == 4 for o in s.scalars(select(Order)))


def test_no_peer_configured_keeps_the_delivery(pair, tmp_path):
    send_log, _, _, _ = pair
    _orders_with_updates(send_log, 1)
    lonely = Relay(send_log, {}, schedule=(0,))
    st = lonely.run_once()
    lonely.close()
    assert st.no_peer == 4 and st.sent == 0
    with send_log.session() as s:
        assert all(m.delivered_at is None for m in s.scalars(select(OutboxMessage)))


def test_backoff_follows_the_schedule():
    r = Relay(None, {}, schedule=(0, 5, 300, 1800))
    assert [r.delay_after(n) for n in (1, 2, 3, 4, 9)] == [5, 300, 1800, 1800, 1800]
    r.close()

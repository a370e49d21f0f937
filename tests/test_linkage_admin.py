"""The order pages with Flask's test client: list, filters, overdue badge, cards, detail with both sides'
timeline and the source call, actions by role (CSRF, viewers read only), create, edit, CSV, hotspots."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hotline.admin import create_app
from hotline.admin.auth import create_user
from hotline.linkage.lifecycle import entry
from hotline.linkage.models import Order
from hotline.linkage.orders import OrderBook
from hotline.linkage.queries import orders_of_call
from hotline.router import route_call
from hotline.store.models import Call
from tests.linkage_sides import store

HOSTILE = "<script>alert(1)</script>路灯坏了"


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_PLATFORM", "12345")
    db = f"sqlite:///{tmp_path / 'a.db'}"
    log = store(db)
    create_user(log, "alice", "correct-horse-battery", "admin")
    create_user(log, "bob", "viewer-password-1", "viewer")
    # an order received from 110 (its history as 110 wrote it), one 12345 sent to 110, and a call of its own
    book110 = OrderBook("110")
    with log.session() as s:
        a = book110.create(
            s,
            origin="110",
            target="12345",
            request_text=HOSTILE,
            by="110/ivr",
            caller_number="13800138000",
            location="人民路",
            category="public_facilities",
            category_name="公共设施",
            source_call_id="c-1",
        )
        a.history = [*a.history, entry("note", "received", a.created_at + timedelta(minutes=1), "110/bob", 2, "请尽快")]
    with log.session() as s:
        o = s.get(Order, a.id)
        OrderBook("12345")._refold(o)
        b = OrderBook("12345").create(s, origin="12345", target="110", request_text="有人在小区里打架", by="12345/ivr")
        b.due_at = datetime.now(UTC) - timedelta(minutes=5)  # not accepted in time
        ids = (a.id, b.id)
    log.open_call("c-1", "110", "13800138000", "national")
    d = route_call("人民路的路灯坏了", platform="110")
    log.update("c-1", transcript="人民路的路灯坏了", route=d.to_dict(), action=d.action, target=d.target)
    app = create_app(db, TESTING=True, SESSION_COOKIE_SECURE=False)
    return app, log, ids


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login(c, user="alice", password="correct-horse-battery"):
    page = c.get("/login").get_data(as_text=True)
    c.post("/login", data={"username": user, "password": password, "csrf_token": _csrf(page)})
    return c


def test_anonymous_goes_to_login(site):
    app, _, (a, _) = site
    c = app.test_client()
    for path in ("/orders", f"/orders/{a}", "/orders.csv", "/orders/new", "/hotspots"):
        r = c.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"], path


def test_list_cards_filters_and_escaping(site):
    app, _, _ = site
    c = login(app.test_client())
    html = c.get("/orders").get_data(as_text=True)
    assert "共 2 件" in html and "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert re.search(r'id="card-overdue">1<', html) and re.search(r'id="card-open">2<', html)
    assert 'class="badge overdue"' in html
    html = c.get("/orders?due=overdue").get_data(as_text=True)
    assert "共 1 件" in html and "打架" in html and "人民路" not in html
    assert "共 1 件" in c.get("/orders?q=人民路").get_data(as_text=True)
    assert "共 1 件" in c.get("/orders?platform=110&status=received&target=12345").get_data(as_text=True)
    assert c.get("/orders?status=bogus").status_code == 400


def test_detail_shows_both_sides_and_the_source_call(site):
    app, _, (a, _) = site
    c = login(app.test_client())
    html = c.get(f"/orders/{a}").get_data(as_text=True)
    assert "110/ivr" in html and "110/bob" in html and "请尽快" in html
    assert "人民路的路灯坏了" in html and "recording.wav" in html  # the call's transcript and recording
    assert "13800138000" in html and "承办方" in html
    assert 'value="accept"' in html and 'value="resolve"' not in html  # only what the status allows
    assert c.get("/orders/nope").status_code == 404


def test_actions_by_role_with_csrf(site):
    app, log, (a, _) = site
    viewer = login(app.test_client(), "bob", "viewer-password-1")
    page = viewer.get(f"/orders/{a}").get_data(as_text=True)
    assert 'value="accept"' not in page  # no forms for viewers
    token = _csrf(viewer.get("/orders").get_data(as_text=True)) if "csrf_token" in page else "x"
    assert viewer.post(f"/orders/{a}/act", data={"action": "accept", "csrf_token": token}).status_code == 403
    admin = login(app.test_client())
    assert admin.post(f"/orders/{a}/act", data={"action": "accept"}).status_code == 400  # no CSRF token
    token = _csrf(admin.get(f"/orders/{a}").get_data(as_text=True))
    r = admin.post(f"/orders/{a}/act", data={"action": "accept", "note": "收到", "csrf_token": token})
    assert r.status_code == 302
    r = admin.post(f"/orders/{a}/act", data={"action": "resolve", "note": "", "csrf_token": token})
    html = admin.get(f"/orders/{a}").get_data(as_text=True)
    assert "无法执行" in html  # resolving needs the result
    admin.post(f"/orders/{a}/act", data={"action": "extend", "days": "8", "csrf_token": token})
    admin.post(f"/orders/{a}/act", data={"action": "resolve", "note": "已修复", "csrf_token": token})
    with log.session() as s:
        o = s.get(Order, a)
        assert o.status == "resolved" and o.result == "已修复"
        assert [e["by"] for e in o.history][-3:] == ["12345/alice"] * 3


def test_edit_and_create(site):
    app, log, (a, _) = site
    c = login(app.test_client())
    token = _csrf(c.get(f"/orders/{a}").get_data(as_text=True))
    c.post(
        f"/orders/{a}/edit",
        data={
            "caller_name": "王建国",
            "caller_number": "13800138000",
            "location": "人民路口",
            "region_code": "",
            "event_time_text": "",
            "csrf_token": token,
        },
    )
    with log.session() as s:
        o = s.get(Order, a)
        assert (o.caller_name, o.location) == ("王建国", "人民路口") and o.history[-1]["action"] == "edited"
    token = _csrf(c.get("/orders/new").get_data(as_text=True))
    r = c.post(
        "/orders/new",
        data={"target": "110", "request_text": "门口有人打架", "caller_number": "139", "csrf_token": token},
    )
    assert r.status_code == 302
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "门口有人打架" in html and "12345-" in html and "派单方" in html


def test_csv_export(site):
    app, _, _ = site
    c = login(app.test_client())
    r = c.get("/orders.csv?status=received")
    text = r.get_data(as_text=True)
    assert r.mimetype == "text/csv" and text.startswith("\ufeff工单号")
    assert len(text.strip().splitlines()) == 3 and "13800138000" in text


def test_hotspots_page(site):
    app, log, _ = site
    for i in range(3):
        uid = f"h{i}"
        log.open_call(uid, "12345", "138", "national")
        log.update(uid, transcript=f"幸福小区的垃圾好几天没人清理了{i}", category="city_appearance")
    c = login(app.test_client())
    html = c.get("/hotspots?days=7").get_data(as_text=True)
    assert "热度排名" in html and "幸福小区" in html
    assert c.get("/hotspots?days=5").status_code == 400


def test_call_page_shows_the_order_it_handed_over_and_the_callers_other_orders(site):
    app, log, (a, _) = site
    # the same caller rings again about the street light: the reviewer sees the order of the first call
    log.open_call("c-2", "12345", "13800138000", "national")
    log.update("c-2", transcript="我上次反映的路灯到现在还没修")
    log.open_call("c-3", "12345", "", "national")  # a withheld number matches nobody's orders
    with log.session() as s:
        ids = {uid: cid for uid, cid in s.execute(select(Call.uniqueid, Call.id))}
        number = s.get(Order, a).number
    c = login(app.test_client())
    first = c.get(f"/calls/{ids['c-1']}").get_data(as_text=True)
    assert number in first.split('id="orders-from-call"')[1].split("</div>")[0]
    assert 'id="caller-orders"' not in first  # the caller has no other order
    again = c.get(f"/calls/{ids['c-2']}").get_data(as_text=True)
    assert "本次通话没有派出工单" in again
    others = again.split('id="caller-orders"')[1].split("</div>")[0]
    assert number in others and f"/orders/{a}" in others and "&lt;script&gt;" in others and "<script>" not in others
    withheld = c.get(f"/calls/{ids['c-3']}").get_data(as_text=True)
    assert 'id="caller-orders"' not in withheld and number not in withheld


def test_orders_of_call_puts_open_orders_first(site):
    _, log, (a, _) = site
    book = OrderBook("12345")
    with log.session() as s:
        done = book.create(s, origin="12345", target="110", request_text="电动车被偷了", by="12345/ivr",
                           caller_number="13800138000")  # fmt: skip
        done.status = "closed"
        done.created_at = datetime.now(UTC) + timedelta(minutes=1)  # newer, but closed
        done_id = done.id
    with log.session() as s:
        from_call, others = orders_of_call(s, "c-9", "13800138000")
        assert from_call == [] and [o.id for o in others] == [a, done_id]
        from_call, others = orders_of_call(s, "c-1", "13800138000")
        assert [o.id for o in from_call] == [a] and [o.id for o in others] == [done_id]
        assert orders_of_call(s, "c-9", "anonymous") == ([], [])
        assert orders_of_call(s, "c-9", "13800138000", limit=1)[1][0].id == a

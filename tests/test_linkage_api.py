"""The linkage API through Flask's test client: signed deliveries applied once, bad ones refused with
nothing changed, the order list and detail, every response checked against the OpenAPI document."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from sqlalchemy import func, select

from hotline.admin import create_app
from hotline.admin.auth import create_user, issue_token
from hotline.linkage.documents import order_doc
from hotline.linkage.models import InboxDelivery, Order
from hotline.linkage.orders import OrderBook
from hotline.linkage.signing import new_secret, sign
from tests.linkage_sides import store

SECRET_110 = new_secret()


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    from importlib import resources

    doc = yaml.safe_load(resources.files("hotline.linkage").joinpath("openapi.yaml").read_text(encoding="utf-8"))
    return OpenAPI.from_dict(doc)


@pytest.fixture
def side(tmp_path, monkeypatch):
    """The 12345 installation: its database and admin app, with 110 as its peer."""
    monkeypatch.setenv("HOTLINE_PLATFORM", "12345")
    peers = tmp_path / "peers.yaml"
    peers.write_text(
        yaml.safe_dump(
            {"peers": [{"platform": "110", "url": "http://127.0.0.1:9/api/linkage/v1", "secret": SECRET_110}]}
        )
    )
    db = f"sqlite:///{tmp_path / '12345.db'}"
    log = store(db)
    create_user(log, "alice", "correct-horse-battery", "admin")
    token = issue_token(log, "alice")
    app = create_app(db, TESTING=True, HOTLINE_LINKAGE_PEERS=str(peers))
    return app, log, token


def _order_from_110(tmp_path) -> dict:
    """An order as the 110 installation makes it (its own database), as a document."""
    log110 = store(f"sqlite:///{tmp_path / '110.db'}")
    with log110.session() as s:
        o = OrderBook("110").create(
            s,
            origin="110",
            target="12345",
            request_text="人民路的路灯坏了",
            by="110/ivr",
            caller_number="13800138000",
            location="人民路",
            category="public_facilities",
            category_name="公共设施",
        )
        return order_doc(o)


def _deliver(client, doc, type_="order.created", secret=SECRET_110, msg_id=None, at=None, body=None, headers=None):
    body = (
        body
        if body is not None
        else json.dumps({"type": type_, "timestamp": datetime.now(UTC).isoformat(), "data": doc}, ensure_ascii=False)
    )
    h = sign(secret, msg_id or f"msg_{uuid.uuid4().hex}", body, at)
    h.update(headers or {})
    return client.post("/api/linkage/v1/events", data=body.encode(), headers=h)


def _check(spec, resp, path, method="get", query=""):
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    req = Request(
        EnvironBuilder(
            path=path, method=method.upper(), query_string=query, headers={"Authorization": "Bearer x"}
        ).get_environ()
    )
    spec.validate_response(WerkzeugOpenAPIRequest(req), WerkzeugOpenAPIResponse(resp))


def _count(log, model):
    with log.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_signed_delivery_creates_the_order_once(side, tmp_path, spec):
    app, log, _ = side
    c = app.test_client()
    doc = _order_from_110(tmp_path)
    r = _deliver(c, doc, msg_id="msg_first")
    assert r.status_code == 200 and r.json["status"] == "applied" and r.json["number"] == doc["number"]
    _check(spec, r, "/api/linkage/v1/events", "post")
    again = _deliver(c, doc, msg_id="msg_first")  # the relay did not hear the 200: same webhook-id
    assert again.status_code == 200 and again.json["status"] == "duplicate"
    _check(spec, again, "/api/linkage/v1/events", "post")
    with log.session() as s:
        o = s.get(Order, doc["id"])
        assert (o.status, o.origin_platform, o.caller_number, o.location) == (
            "received",
            "110",
            "13800138000",
            "人民路",
        )
        assert len(o.history) == 1
    assert _count(log, Order) == 1 and _count(log, InboxDelivery) == 1


def _state(log):
    with log.session() as s:
        return [(o.id, o.status, len(o.history), o.version) for o in s.scalars(select(Order))], _count(
            log, InboxDelivery
        )


@pytest.mark.parametrize(
    "case",
    ["wrong-secret", "tampered-body", "stale", "future", "no-signature", "malformed-signature"],
)
def test_forged_and_stale_deliveries_are_refused_with_nothing_changed(side, tmp_path, spec, case):
    app, log, _ = side
    c = app.test_client()
    doc = _order_from_110(tmp_path)
    assert _deliver(c, doc).status_code == 200
    before = _state(log)
    doc2 = dict(doc, request_text="被篡改的诉求")
    body = json.dumps({"type": "order.updated", "data": doc2}, ensure_ascii=False)
    if case == "wrong-secret":
        r = _deliver(c, doc2, "order.updated", secret=new_secret())
    elif case == "tampered-body":  # signed for one body, sent with another
        h = sign(SECRET_110, "msg_t", json.dumps({"type": "order.updated", "data": doc}))
        r = c.post("/api/linkage/v1/events", data=body.encode(), headers=h)
    elif case == "stale":
        r = _deliver(c, doc2, "order.updated", at=datetime.now(UTC) - timedelta(minutes=6))
    elif case == "future":
        r = _deliver(c, doc2, "order.updated", at=datetime.now(UTC) + timedelta(minutes=6))
    elif case == "no-signature":
        r = c.post("/api/linkage/v1/events", data=body.encode(), headers={"content-type": "application/json"})
    else:
        r = _deliver(c, doc2, "order.updated", headers={"webhook-signature": "v1"})
    assert r.status_code == 401 and "error" in r.json
    _check(spec, r, "/api/linkage/v1/events", "post")
    assert _state(log) == before


def test_a_replayed_old_delivery_is_stale(side, tmp_path):
    app, log, _ = side
    c = app.test_client()
    doc = _order_from_110(tmp_path)
    body = json.dumps({"type": "order.created", "data": doc})
    h = sign(SECRET_110, "msg_old", body, datetime.now(UTC) - timedelta(minutes=10))  # captured 10 minutes ago
    r = c.post("/api/linkage/v1/events", data=body.encode(), headers=h)
    assert r.status_code == 401 and "timestamp" in r.json["error"]
    assert _count(log, Order) == 0


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("origin_platform"), "data.origin_platform"),
        (lambda d: d.update(target_platform="119"), "data.target_platform"),
        (lambda d: d.update(id="not-a-uuid"), "data.id"),
        (lambda d: d["history"][0].update(at="2026-11-24T10:00:00"), "data.history[0].at"),  # no offset
        (lambda d: d.update(history=[]), "data.history"),
        (lambda d: d.update(region_code="12"), "data.region_code"),
    ],
)
def test_an_invalid_body_is_422_naming_the_field(side, tmp_path, spec, mutate, field):
    app, log, _ = side
    doc = _order_from_110(tmp_path)
    mutate(doc)
    r = _deliver(app.test_client(), doc)
    assert r.status_code == 422 and r.json["field"] == field, r.json
    _check(spec, r, "/api/linkage/v1/events", "post")
    assert _count(log, Order) == 0 and _count(log, InboxDelivery) == 0


def test_not_json_and_unknown_type_are_422(side, tmp_path):
    app, log, _ = side
    c = app.test_client()
    assert _deliver(c, {}, body="{not json").json["field"] == "(body)"
    r = _deliver(c, _order_from_110(tmp_path), type_="order.deleted")
    assert r.status_code == 422 and r.json["field"] == "type"
    assert _count(log, Order) == 0


def test_an_order_between_other_parties_is_refused(side, tmp_path):
    app, log, _ = side
    doc = _order_from_110(tmp_path)
    doc.update(origin_platform="110", target_platform="110")  # not 12345's business
    r = _deliver(app.test_client(), doc)
    assert r.status_code == 422 and _count(log, Order) == 0


def test_a_peer_cannot_write_history_in_another_platforms_name(side, tmp_path):
    app, log, _ = side
    c = app.test_client()
    doc = _order_from_110(tmp_path)
    _deliver(c, doc)
    before = _state(log)
    forged = {"id": str(uuid.uuid4()), "at": datetime.now(UTC).isoformat(), "by": "12345/alice", "status": "resolved",
              "action": "resolved", "note": "已办结"}  # fmt: skip
    r = _deliver(c, dict(doc, history=[*doc["history"], forged]), "order.updated")
    assert r.status_code == 422 and r.json["field"] == "data.history"
    assert _state(log) == before


def test_updates_merge_both_sides_histories(side, tmp_path):
    """12345 accepted (its own entry); 110 then adds a note: 12345 keeps both, in order."""
    app, log, _ = side
    c = app.test_client()
    doc = _order_from_110(tmp_path)
    _deliver(c, doc)
    with log.session() as s:
        o = s.get(Order, doc["id"])
        OrderBook("12345").act(s, o, "accept", "alice", note="已受理")
    later = dict(doc)
    note = {
        "id": str(uuid.uuid4()),
        "seq": 2,
        "at": datetime.now(UTC).isoformat(),
        "by": "110/bob",
        "action": "note",
        "status": "received",
        "note": "请尽快处理",
        "data": {},
    }
    later["history"] = [*doc["history"], note]
    assert _deliver(c, later, "order.updated").json["entries_taken"] == 1
    with log.session() as s:
        o = s.get(Order, doc["id"])
        assert [e["action"] for e in o.history] == ["created", "accepted", "note"]
        assert o.status == "accepted"  # the note (seq 2, concurrent with the acceptance) moves nothing


def test_order_list_and_detail_with_a_token(side, tmp_path, spec):
    app, log, token = side
    c = app.test_client()
    doc = _order_from_110(tmp_path)
    _deliver(c, doc)
    auth = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/linkage/v1/orders").status_code == 401
    r = c.get("/api/linkage/v1/orders?status=received&platform=110", headers=auth)
    assert r.status_code == 200 and r.json["total"] == 1 and "history" not in r.json["orders"][0]
    _check(spec, r, "/api/linkage/v1/orders", query="status=received&platform=110")
    r = c.get(f"/api/linkage/v1/orders/{doc['number']}", headers=auth)
    assert r.status_code == 200 and r.json["id"] == doc["id"] and r.json["history"][0]["action"] == "created"
    assert r.json["open311"]["service_request_id"] == doc["number"] and r.json["tracking_id"].endswith(doc["id"])
    _check(spec, r, f"/api/linkage/v1/orders/{doc['number']}")
    assert c.get("/api/linkage/v1/orders?status=bogus", headers=auth).status_code == 400
    assert c.get("/api/linkage/v1/orders/nope", headers=auth).status_code == 404
    # overdue: not accepted within the hour
    with log.session() as s:
        s.get(Order, doc["id"]).due_at = datetime.now(UTC) - timedelta(minutes=1)
    r = c.get("/api/linkage/v1/orders?due=overdue", headers=auth)
    assert r.json["total"] == 1 and r.json["orders"][0]["overdue"] is True


def test_the_openapi_document_is_served_and_valid(side):
    from openapi_spec_validator import validate

    app, _, _ = side
    r = app.test_client().get("/api/linkage/v1/openapi.json")
    assert r.status_code == 200
    validate(r.json)
    assert "/events" in r.json["paths"]

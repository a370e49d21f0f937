"""/api/linkage/v1: the interface between the platforms (开放服务接口), served by the admin application.

POST /events        signed deliveries from peers (Standard Webhooks): order.created | order.updated |
                    order.overdue. 401 bad/stale signature, 422 invalid body (naming the field),
                    200 applied, 200 duplicate (a webhook-id seen before: nothing applied twice)
GET  /orders        the orders (bearer token), filtered as the admin's list
GET  /orders/<ref>  one order by id or number, with its history (bearer token)
GET  /openapi.json  this interface described (OpenAPI 3.1; also /openapi.yaml)
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hotline.admin import calllog
from hotline.admin.api import token_required
from hotline.admin.scope import current_platform_scope
from hotline.linkage.documents import InvalidDocument, order_doc, parse_event
from hotline.linkage.lifecycle import LifecycleError
from hotline.linkage.models import InboxDelivery, Order, utcnow
from hotline.linkage.peers import Peer, load_peers
from hotline.linkage.queries import BadOrderFilter, OrderFilter
from hotline.linkage.signing import SignatureError, verify

log = logging.getLogger("hotline.linkage.api")
bp = Blueprint("linkage_api", __name__, url_prefix="/api/linkage/v1")
MAX_BODY = 2 * 1024 * 1024  # an order with a long history; the admin's forms keep their own small limit


def peers() -> dict[str, Peer]:
    path = current_app.config.get("HOTLINE_LINKAGE_PEERS")
    if path is None:
        from hotline.config import settings

        path = settings().linkage_peers
    if not path:
        return {}
    p = Path(path)
    return _peers_cached(str(p), p.stat().st_mtime if p.exists() else 0.0)


@lru_cache(maxsize=8)
def _peers_cached(path: str, mtime: float) -> dict[str, Peer]:
    return load_peers(path)


def _refuse(status: int, error: str, **extra):
    log.warning(
        "delivery refused (%d): %s",
        status,
        error,
        extra={"webhook_id": request.headers.get("webhook-id"), "remote": request.remote_addr, **extra},
    )
    return jsonify(error=error, **extra), status


@bp.post("/events")
def events():
    request.max_content_length = MAX_BODY
    body = request.get_data(cache=False)
    try:
        peer = verify(body, request.headers, [(p.platform, p.secret) for p in peers().values()])
    except SignatureError as e:
        return _refuse(401, f"signature not accepted: {e}")
    msg_id = request.headers.get("webhook-id", "")
    if len(msg_id) > 64:
        return _refuse(422, "webhook-id longer than 64 characters", field="webhook-id")
    try:
        raw = json.loads(body)
    except ValueError:
        return _refuse(422, "body is not JSON", field="(body)")
    try:
        ev = parse_event(raw)
    except InvalidDocument as e:
        return _refuse(422, e.message, field=e.field)
    book = calllog().orders
    try:
        with calllog().session() as s:
            if s.scalar(select(InboxDelivery.id).where(InboxDelivery.peer == peer, InboxDelivery.msg_id == msg_id)):
                return jsonify(status="duplicate", webhook_id=msg_id), 200
            order, taken = book.apply_remote(s, ev.data, peer)
            s.add(InboxDelivery(peer=peer, msg_id=msg_id, type=ev.type, order_id=order.id, received_at=utcnow()))
            s.flush()
            out = {"status": "applied", "order": order.id, "number": order.number, "entries_taken": taken}
    except LifecycleError as e:
        return _refuse(422, str(e), field="data.history" if "history entry" in str(e) else "data.origin_platform")
    except IntegrityError:  # the same delivery, twice at once: the other request applied it
        return jsonify(status="duplicate", webhook_id=msg_id), 200
    log.info("delivery %s from %s: %s %s (+%d entries)", msg_id, peer, ev.type, out["number"], taken)
    return jsonify(out), 200


@bp.get("/orders")
@token_required("view")
def list_orders():
    try:
        f = OrderFilter.from_args(request.args)
    except BadOrderFilter as e:
        return jsonify(error=str(e), field=e.field), 400
    if current_platform_scope():  # a token of a user limited to one platform sees its orders only
        f.platform = current_platform_scope()
    now = utcnow()
    with calllog().session() as s:
        total, rows = f.page_of(s, now)
        docs = []
        for o in rows:
            d = order_doc(o, now)
            d.pop("history")
            docs.append(d)
    return jsonify(total=total, page=f.page, per_page=f.per_page, orders=docs)


@bp.get("/orders/<ref>")
@token_required("view")
def get_order(ref: str):
    with calllog().session() as s:
        o = s.get(Order, ref) or s.scalar(select(Order).where(Order.number == ref))
        scope = current_platform_scope()
        if o is None or (scope and scope not in (o.origin_platform, o.target_platform)):
            return jsonify(error="no such order"), 404
        return jsonify(order_doc(o))


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    text = resources.files("hotline.linkage").joinpath("openapi.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@bp.get("/openapi.json")
def openapi_json():
    from hotline.config import settings

    doc = dict(openapi_document())
    # where peers reach this installation (HOTLINE_LINKAGE_URL), then the path on whatever host served this
    doc["servers"] = [{"url": settings().linkage_url}, {"url": "/api/linkage/v1"}]
    return jsonify(doc)


@bp.get("/openapi.yaml")
def openapi_yaml():
    text = resources.files("hotline.linkage").joinpath("openapi.yaml").read_text(encoding="utf-8")
    return Response(text, mimetype="application/yaml")

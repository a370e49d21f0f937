"""JSON API for other systems: /api/calls and /api/calls/<id> (with its events and the work orders of the call and
of its caller), with a bearer token (anonymous -> 401).

Tokens carry their user's role and platform scope; timestamps are ISO 8601 with the site's offset;
every error under /api/ is JSON (hotline.admin.create_app)."""

from __future__ import annotations

import functools

from flask import Blueprint, abort, g, jsonify, request

from hotline.admin import audit, calllog, localtime, tokens
from hotline.admin.auth import SessionUser
from hotline.admin.queries import BadFilter, CallFilter, call_with_events
from hotline.admin.scope import current_platform_scope
from hotline.linkage.models import Order
from hotline.linkage.queries import orders_of_call
from hotline.store.models import Call

bp = Blueprint("api", __name__, url_prefix="/api")


def token_required(permission: str = "view"):
    def deco(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            auth = request.headers.get("Authorization", "")
            token = auth[7:].strip() if auth.startswith("Bearer ") else ""
            if not token:
                return jsonify(error="authentication required: Authorization: Bearer <token>"), 401
            found = tokens.check_token(calllog(), token[:200], audit.client_ip())
            if found is None:
                return jsonify(error="invalid, expired or revoked token"), 401
            g.api_user = SessionUser(found[0])
            if not g.api_user.can(permission):
                return jsonify(error="forbidden"), 403
            return view(*args, **kwargs)

        return wrapped

    return deco


def _call_json(c: Call) -> dict:
    return {
        "id": c.id,
        "call_id": c.uniqueid,
        "caller": c.caller,
        "platform": c.platform,
        "profile": c.profile,
        "started_at": localtime.iso(c.started_at),
        "answered_at": localtime.iso(c.answered_at),
        "ended_at": localtime.iso(c.ended_at),
        "transcript": c.transcript,
        "action": c.action,
        "target": c.target,
        "category": c.category,
        "emergency": c.emergency,
        "matched": c.matched or [],
        "outcome": c.outcome,
        "handover_ms": c.handover_ms,
    }


def _order_ref(o: Order) -> dict:
    return {
        "id": o.id,
        "number": o.number,
        "status": o.status,
        "origin_platform": o.origin_platform,
        "target_platform": o.target_platform,
        "created_at": localtime.iso(o.created_at),
    }


@bp.route("/calls")
@token_required()
def calls():
    try:
        f = CallFilter.from_args(request.args)
    except BadFilter as e:
        return jsonify(error=str(e)), 400
    with calllog().session() as s:
        total, rows = f.page_of(s)
    return jsonify(total=total, page=f.page, per_page=f.per_page, calls=[_call_json(c) for c in rows])


@bp.route("/calls/<dbid:call_id>")
@token_required()
def call(call_id: int):
    with calllog().session() as s:
        found = call_with_events(s, call_id)
        if found is None:
            abort(404)
        c, events = found
        out = _call_json(c)
        out["route"] = c.route
        out["events"] = [
            {"at": localtime.iso(e.at, "milliseconds"), "kind": e.kind, "detail": e.detail} for e in events
        ]
        from_call, caller_orders = orders_of_call(s, c.uniqueid, c.caller, current_platform_scope())
        # the order this call handed over, and the caller's other orders (a call about a matter handed in before)
        out["orders"] = {
            "from_call": [_order_ref(o) for o in from_call],
            "caller": [_order_ref(o) for o in caller_orders],
        }
    audit.record("call_view", "call", c.uniqueid, {"id": c.id})
    return jsonify(out)

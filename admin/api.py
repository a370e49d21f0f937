"""JSON API for other systems: /api/calls and /api/calls/<id>, with a bearer token (anonymous -> 401)."""

from __future__ import annotations

import functools

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import select

from hotline.admin import calllog
from hotline.admin.auth import hash_token
from hotline.admin.queries import BadFilter, CallFilter, call_with_events
from hotline.store.models import Call, User

bp = Blueprint("api", __name__, url_prefix="/api")


def token_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.startswith("Bearer ") else ""
        if not token:
            return jsonify(error="authentication required: Authorization: Bearer <token>"), 401
        with calllog().session() as s:
            user = s.scalar(select(User).where(User.api_token_hash == hash_token(token)))
        if user is None:
            return jsonify(error="invalid token"), 401
        return view(*args, **kwargs)

    return wrapped


def _call_json(c: Call) -> dict:
    return {
        "id": c.id,
        "call_id": c.uniqueid,
        "caller": c.caller,
        "platform": c.platform,
        "profile": c.profile,
        "started_at": c.started_at.isoformat() if c.started_at else None,
        "ended_at": c.ended_at.isoformat() if c.ended_at else None,
        "transcript": c.transcript,
        "action": c.action,
        "target": c.target,
        "category": c.category,
        "emergency": c.emergency,
        "matched": c.matched or [],
        "outcome": c.outcome,
        "handover_ms": c.handover_ms,
    }


@bp.route("/calls")
@token_required
def calls():
    try:
        f = CallFilter.from_args(request.args)
    except BadFilter as e:
        return jsonify(error=str(e)), 400
    with calllog().session() as s:
        total, rows = f.page_of(s)
    return jsonify(total=total, page=f.page, per_page=f.per_page, calls=[_call_json(c) for c in rows])


@bp.route("/calls/<int:call_id>")
@token_required
def call(call_id: int):
    with calllog().session() as s:
        found = call_with_events(s, call_id)
        if found is None:
            abort(404)
        c, events = found
        out = _call_json(c)
        out["route"] = c.route
        out["events"] = [{"at": e.at.isoformat(), "kind": e.kind, "detail": e.detail} for e in events]
    return jsonify(out)


@bp.errorhandler(404)
def api_not_found(e):
    return jsonify(error="not found"), 404

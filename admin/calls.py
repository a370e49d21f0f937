"""Call list (filters, search, sortable columns, numbered pages), call detail and the recording.
Views of a call and plays of its recording are audited; a call outside the user's scope is a 404."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_login import current_user
from sqlalchemy import select

from hotline.admin import audit, calllog, labels, localtime, reviews, roles
from hotline.admin.exports import ExportForm
from hotline.admin.queries import PER_PAGE_CHOICES, BadFilter, CallFilter, call_with_events, page_numbers
from hotline.admin.scope import apply_platform_scope, current_platform_scope
from hotline.linkage.lifecycle import STATUS_NAMES
from hotline.linkage.queries import orders_of_call
from hotline.store.models import Call, CallReview

bp = Blueprint("calls", __name__)
view_required = roles.permission_required("view")


def _filter(args=None) -> CallFilter:
    try:
        return CallFilter.from_args(args if args is not None else request.args)
    except BadFilter as e:
        abort(400, description=str(e))


def duration_s(c: Call) -> float | None:
    start = c.answered_at or c.started_at
    if not (start and c.ended_at):
        return None
    return (c.ended_at - start).total_seconds()


@bp.route("/")
@bp.route("/calls")
@view_required
def list_calls():
    f = _filter()
    with calllog().session() as s:
        total, rows = f.page_of(s)
        reviewed = set(s.scalars(select(CallReview.call_id).where(CallReview.call_id.in_([c.id for c in rows]))))
    pages = max(1, -(-total // f.per_page))
    return render_template(
        "calls.html",
        calls=rows,
        f=f,
        total=total,
        pages=pages,
        page_links=page_numbers(f.page, pages),
        labels=labels,
        categories=labels.category_choices(),
        targets=labels.target_choices(),
        outcomes=labels.outcome_choices(),
        per_page_choices=PER_PAGE_CHOICES,
        duration_s=duration_s,
        reviewed=reviewed,
        export_form=ExportForm(),
        list_args=f.args(),
    )


@bp.route("/calls/<dbid:call_id>")
@view_required
def detail(call_id: int):
    with calllog().session() as s:
        found = call_with_events(s, call_id)
        if found is None:
            abort(404)
        call, events = found
        history = list(
            s.scalars(select(CallReview).where(CallReview.call_id == call.id).order_by(CallReview.id.desc()))
        )
        from_call, caller_orders = orders_of_call(s, call.uniqueid, call.caller, current_platform_scope())
    audit.record("call_view", "call", call.uniqueid, {"id": call.id})
    route = call.route or {}
    answered = call.answered_at or call.started_at
    timeline = [
        {
            "clock": localtime.fmt(e.at, "%H:%M:%S.%f")[:-3],
            "offset": (e.at - answered).total_seconds() if answered else None,
            "kind": labels.event_kind(e.kind),
            "detail": labels.event_detail(e.kind, e.detail, call.profile),
        }
        for e in events
    ]
    work_order = {
        "诉求人": call.caller or "（未知）",
        "联系方式": call.caller or "（未知）",
        "事发时间": localtime.fmt(call.started_at),
        "事发地": _place(call.transcript),
        "诉求内容": call.transcript or "（未识别到语音）",
        "分类": labels.category(call.category, call.profile),
        "受理平台": labels.PLATFORM.get(call.platform, call.platform),
        "目标平台": labels.target(call.target, call.profile),
    }
    # back to the list as it was filtered (the list passes its arguments along)
    try:
        back = CallFilter.from_args(request.args).args()
    except BadFilter:
        back = {}
    return render_template(
        "call_detail.html",
        call=call,
        route=route,
        labels=labels,
        localtime=localtime,
        timeline=timeline,
        work_order=work_order,
        has_recording=_recording_path(call) is not None and current_user.can("listen"),
        duration=duration_s(call),
        back=back,
        history=history,
        orders_from_call=from_call,
        caller_orders=caller_orders,
        status_names=STATUS_NAMES,
        review_form=reviews.ReviewForm.for_call(call, latest=history[0] if history else None)
        if current_user.can("review")
        else None,
    )


@bp.route("/calls/<dbid:call_id>/recording.wav")
@roles.permission_required("listen")
def recording(call_id: int):
    with calllog().session() as s:
        call = s.scalar(apply_platform_scope(select(Call).where(Call.id == call_id), Call.platform))
        if call is None:
            abort(404)
        path = _recording_path(call)
        uid = call.uniqueid
    if path is None:
        abort(404)
    # a player fetches in ranges: one play is the request that starts at the beginning
    rng = request.headers.get("Range", "")
    if not rng or rng.replace(" ", "").startswith("bytes=0-"):
        audit.record("recording_play", "call", uid, {"id": call_id})
    return send_file(path, mimetype="audio/wav", conditional=True)


def _recording_path(call: Call) -> Path | None:
    """The recording, only if it lies under a configured recordings folder (no path tricks)."""
    if not call.recording_path:
        return None
    p = Path(call.recording_path).resolve()
    roots = [Path(r).resolve() for r in current_app.config["HOTLINE_RECORDING_ROOTS"]]
    if not any(p.is_relative_to(r) for r in roots) or not p.is_file():
        return None
    return p


def _place(text: str) -> str:
    for marker in ("小区", "路口", "门口", "楼下", "街", "路", "村", "广场", "医院", "学校"):
        i = text.find(marker)
        if i >= 0:
            return text[max(0, i - 6) : i + len(marker)]
    return "（通话中未说明）"

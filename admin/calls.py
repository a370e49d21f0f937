"""Call list (filters, search, sort, pages, CSV export), call detail and the recording."""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file
from flask_login import login_required
from sqlalchemy import select

from hotline.admin import calllog, labels
from hotline.admin.queries import PER_PAGE_CHOICES, BadFilter, CallFilter, call_with_events
from hotline.store.models import Call

bp = Blueprint("calls", __name__)
CSV_LIMIT = 100_000


def _filter() -> CallFilter:
    try:
        return CallFilter.from_args(request.args)
    except BadFilter as e:
        abort(400, description=str(e))


@bp.route("/")
@bp.route("/calls")
@login_required
def list_calls():
    f = _filter()
    with calllog().session() as s:
        total, rows = f.page_of(s)
        pages = max(1, math.ceil(total / f.per_page))
        categories = [
            c
            for (c,) in s.execute(
                select(Call.category).distinct().where(Call.category.isnot(None)).order_by(Call.category).limit(300)
            )
        ]
    return render_template(
        "calls.html",
        calls=rows,
        f=f,
        total=total,
        pages=pages,
        labels=labels,
        categories=categories,
        per_page_choices=PER_PAGE_CHOICES,
    )


@bp.route("/calls.csv")
@login_required
def export_csv():
    f = _filter()
    buf = io.StringIO()
    buf.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese correctly only with a BOM
    w = csv.writer(buf)
    w.writerow(
        [
            "呼叫ID",
            "来电号码",
            "受理平台",
            "开始时间",
            "结束时间",
            "识别文本",
            "分类",
            "紧急",
            "动作",
            "目标",
            "结果",
            "转接耗时ms",
        ]
    )
    with calllog().session() as s:
        for c in s.scalars(f.query().limit(CSV_LIMIT)):
            w.writerow(
                [
                    c.uniqueid,
                    _csv_safe(c.caller),
                    c.platform,
                    _iso(c.started_at),
                    _iso(c.ended_at),
                    _csv_safe(c.transcript),
                    c.category or "",
                    "是" if c.emergency else "否",
                    c.action or "",
                    c.target or "",
                    c.outcome or "",
                    "" if c.handover_ms is None else round(c.handover_ms),
                ]
            )
    name = f"calls-{datetime.now():%Y%m%d-%H%M%S}.csv"
    return Response(
        buf.getvalue(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


@bp.route("/calls/<int:call_id>")
@login_required
def detail(call_id: int):
    with calllog().session() as s:
        found = call_with_events(s, call_id)
    if found is None:
        abort(404)
    call, events = found
    route = call.route or {}
    work_order = {
        "诉求人": call.caller or "（未知）",
        "联系方式": call.caller or "（未知）",
        "事发时间": _iso(call.started_at),
        "事发地": _place(call.transcript),
        "诉求内容": call.transcript or "（未识别到语音）",
        "分类": route.get("category_name") or call.category or "",
        "受理平台": labels.PLATFORM.get(call.platform, call.platform),
        "目标平台": labels.TARGET.get(call.target or "", call.target or ""),
    }
    return render_template(
        "call_detail.html",
        call=call,
        events=events,
        route=route,
        labels=labels,
        work_order=work_order,
        has_recording=_recording_path(call) is not None,
    )


@bp.route("/calls/<int:call_id>/recording.wav")
@login_required
def recording(call_id: int):
    with calllog().session() as s:
        call = s.get(Call, call_id)
        if call is None:
            abort(404)
        path = _recording_path(call)
    if path is None:
        abort(404)
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


def _iso(d: datetime | None) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%S") if d else ""


def _csv_safe(s: str | None) -> str:
    """Cells starting with = + - @ are formulas in spreadsheets: neutralise them."""
    s = s or ""
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def _place(text: str) -> str:
    for marker in ("小区", "路口", "门口", "楼下", "街", "路", "村", "广场", "医院", "学校"):
        i = text.find(marker)
        if i >= 0:
            return text[max(0, i - 6) : i + len(marker)]
    return "（通话中未说明）"

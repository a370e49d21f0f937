"""The audit trail for admins: browse with filters, export as CSV (the export is itself audited)."""

from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from sqlalchemy import Select, func, select

from hotline.admin import calllog, labels, localtime, roles
from hotline.admin.audit import record
from hotline.admin.queries import BadFilter, _int, _text, _when, page_numbers
from hotline.store.models import AuditEntry

bp = Blueprint("audit", __name__)
PER_PAGE = 50
ARGS = ("from", "to", "user", "action", "object")


def _filtered() -> tuple[Select, int, dict[str, str]]:
    try:
        first, _ = _when(request.args.get("from", ""), "开始日期")
        last, _ = _when(request.args.get("to", ""), "结束日期")
        user = _text(request.args.get("user", ""), 64)
        action = request.args.get("action", "")
        if action and action not in labels.AUDIT_ACTION:
            raise BadFilter("操作类型的取值无效。")
        obj = _text(request.args.get("object", ""), 64)
        page = _int(request.args.get("page", "1"), 1, 1_000_000, "页码")
    except BadFilter as e:
        abort(400, description=str(e))
    stmt = select(AuditEntry)
    if first:
        stmt = stmt.where(AuditEntry.at >= localtime.start_of_day(first))
    if last:
        stmt = stmt.where(AuditEntry.at < localtime.day_span(last, last)[1])
    if user:
        stmt = stmt.where(AuditEntry.username == user)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if obj:
        stmt = stmt.where(AuditEntry.object_id == obj)
    return stmt, page, {k: v for k, v in request.args.items() if k in ARGS and v}


@bp.route("/audit")
@roles.permission_required("audit")
def browse():
    stmt, page, args = _filtered()
    with calllog().session() as s:
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        pages = max(1, -(-total // PER_PAGE))
        page = min(page, pages)
        rows = list(s.scalars(stmt.order_by(AuditEntry.id.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    return render_template(
        "audit.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        page_links=page_numbers(page, pages),
        args=args,
        labels=labels,
        localtime=localtime,
    )


def detail_text(e: AuditEntry) -> str:
    return "" if not e.detail else json.dumps(e.detail, ensure_ascii=False, sort_keys=True)


@bp.route("/audit.csv")
@roles.permission_required("audit")
def export():
    stmt, _, args = _filtered()
    record("audit_export", "audit", "", {"filter": args})
    zone = localtime.zone_label()

    def lines():
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow([f"时间（{zone}）", "用户", "操作", "对象类型", "对象", "来源地址", "途径", "详情"])
        yield "\ufeff" + buf.getvalue()
        with calllog().session() as s:
            for e in s.scalars(stmt.order_by(AuditEntry.id).execution_options(yield_per=2000)):
                buf.seek(0)
                buf.truncate()
                w.writerow(
                    [
                        localtime.fmt(e.at),
                        e.username,
                        labels.audit_action(e.action),
                        labels.AUDIT_OBJECT.get(e.object_type, e.object_type),
                        e.object_id,
                        e.ip,
                        labels.AUDIT_VIA.get(e.via, e.via),
                        detail_text(e),
                    ]
                )
                yield buf.getvalue()

    name = f"audit-{localtime.now():%Y%m%d-%H%M%S}.csv"
    return Response(
        stream_with_context(lines()),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )

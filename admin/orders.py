"""Work orders in the admin: list (status, overdue, platform, category, date, text), detail with the
two-sided timeline and the source call, actions by role, create and edit, CSV, and the orders' cards."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from hotline.admin import calllog
from hotline.admin.scope import current_platform_scope
from hotline.linkage.documents import order_doc
from hotline.linkage.lifecycle import OPEN, RATINGS, RULES, STATUS_NAMES, LifecycleError, side_of
from hotline.linkage.models import Order
from hotline.linkage.queries import BadOrderFilter, OrderFilter, involving
from hotline.linkage.supervision import near_due
from hotline.store.models import Call

bp = Blueprint("orders", __name__)
CSV_LIMIT = 100_000
ACTION_NAMES = {
    "accept": "受理",
    "return": "退回（错派）",
    "feedback": "反馈办理情况",
    "extend": "申请延期",
    "resolve": "办结",
    "close": "关闭",
    "note": "备注",
}
HISTORY_NAMES = {
    "created": "派单",
    "accepted": "受理",
    "returned": "退回",
    "feedback": "反馈",
    "extended": "延期",
    "resolved": "办结",
    "followup": "回访未接通",
    "followed_up": "回访",
    "closed": "关闭",
    "overdue": "督办",
    "note": "备注",
    "edited": "修改",
}


def platform_scope() -> str | None:
    """The platform the current user's pages are limited to (None: all): the admin's one scope rule."""
    return current_platform_scope()


def can_act() -> bool:
    """Agents and admins act on orders; viewers and reviewers read them."""
    return current_user.is_authenticated and current_user.can("orders")


def _book():
    return calllog().orders


def _local(d: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return d.astimezone(ZoneInfo(_book().tz)).strftime(fmt) if d else ""


def _filter() -> OrderFilter:
    try:
        f = OrderFilter.from_args(request.args, tz=_book().tz)
    except BadOrderFilter as e:
        abort(400, description=str(e))
    scope = platform_scope()
    if scope:
        f.platform = scope
    return f


def cards(s, now: datetime) -> dict:
    """Open, overdue, average time to accept and to resolve, satisfaction (the orders' dashboard cards)."""
    scope = platform_scope()
    base = select(Order)
    if scope:
        base = base.where(involving(scope))
    q = base.subquery()
    open_n = s.scalar(select(func.count()).select_from(q).where(q.c.status.in_(OPEN))) or 0
    overdue = s.scalar(select(func.count()).select_from(q).where(q.c.status.in_(OPEN), q.c.due_at < now)) or 0
    accepted = s.execute(select(q.c.created_at, q.c.accepted_at).where(q.c.accepted_at.isnot(None))).all()
    resolved = s.execute(select(q.c.created_at, q.c.resolved_at).where(q.c.resolved_at.isnot(None))).all()
    ratings = [r for (r,) in s.execute(select(q.c.rating).where(q.c.rating.isnot(None)))]

    def avg_hours(rows) -> str:
        if not rows:
            return "—"
        secs = [(_aware(b) - _aware(a)).total_seconds() for a, b in rows]
        h = sum(secs) / len(secs) / 3600
        return f"{h * 60:.0f} 分钟" if h < 1 else f"{h:.1f} 小时"

    sat = sum(1 for r in ratings if r in (1, 2)) / len(ratings) if ratings else None
    return {
        "open": open_n,
        "overdue": overdue,
        "to_accept": avg_hours(accepted),
        "to_resolve": avg_hours(resolved),
        "satisfaction": f"{sat:.0%}" if sat is not None else "—",
        "rated": len(ratings),
    }


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=UTC)


@bp.route("/orders")
@login_required
def list_orders():
    f = _filter()
    now = datetime.now(UTC)
    with calllog().session() as s:
        total, rows = f.page_of(s, now)
        summary = cards(s, now)
        categories = [
            c for (c,) in s.execute(select(Order.category).distinct().where(Order.category.isnot(None)).limit(300))
        ]
    pages = max(1, math.ceil(total / f.per_page))
    shown = [
        {
            "o": o,
            "overdue": bool(o.due_at and o.status in OPEN and o.due_at < now),
            "near": near_due(o, now),
            "created": _local(o.created_at),
            "due": _local(o.due_at),
        }
        for o in rows
    ]
    return render_template(
        "orders.html",
        rows=shown,
        f=f,
        total=total,
        pages=pages,
        cards=summary,
        categories=sorted(categories),
        statuses=STATUS_NAMES,
        can_act=can_act(),
    )


@bp.route("/orders.csv")
@login_required
def export_csv():
    f = _filter()
    now = datetime.now(UTC)
    buf = io.StringIO()
    buf.write("\ufeff")  # Excel reads UTF-8 CSV with Chinese only with a BOM
    w = csv.writer(buf)
    w.writerow(
        ["工单号", "来源平台", "承办平台", "状态", "超时", "诉求人", "联系方式", "事发时间", "事发地", "区划代码",
         "诉求内容", "分类", "紧急", "派单时间", "时限", "受理时间", "办结时间", "办理结果", "评价", "督办次数"]
    )  # fmt: skip
    with calllog().session() as s:
        for o in s.scalars(f.query(now).limit(CSV_LIMIT)):
            w.writerow(
                [
                    o.number,
                    o.origin_platform,
                    o.target_platform,
                    STATUS_NAMES.get(o.status, o.status),
                    "是" if o.due_at and o.status in OPEN and o.due_at < now else "",
                    _csv_safe(o.caller_name),
                    _csv_safe(o.caller_number),
                    _local(o.event_time),
                    _csv_safe(o.location),
                    o.region_code or "",
                    _csv_safe(o.request_text),
                    o.category_name or o.category or "",
                    "是" if o.emergency else "否",
                    _local(o.created_at),
                    _local(o.due_at),
                    _local(o.accepted_at),
                    _local(o.resolved_at),
                    _csv_safe(o.result),
                    RATINGS.get(o.rating or 0, ""),
                    o.escalations,
                ]
            )
    return Response(
        buf.getvalue(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=orders-{datetime.now():%Y%m%d-%H%M%S}.csv"},
    )


def _csv_safe(s: str | None) -> str:
    s = s or ""
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def _get(s, order_id: str) -> Order:
    o = s.get(Order, order_id)
    scope = platform_scope()
    if o is None or (scope and scope not in (o.origin_platform, o.target_platform)):
        abort(404)
    return o


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(v, label) for v, label in pairs]


class ActionForm(FlaskForm):
    action = SelectField("操作", choices=_choices(ACTION_NAMES.items()), validators=[DataRequired()])
    note = TextAreaField("说明", validators=[Optional(), Length(max=4000)])
    days = StringField("延期至（工作日）", validators=[Optional(), Length(max=4)])


class EditForm(FlaskForm):
    caller_name = StringField("诉求人", validators=[Optional(), Length(max=64)])
    caller_number = StringField("联系方式", validators=[Optional(), Length(max=64)])
    location = StringField("事发地", validators=[Optional(), Length(max=500)])
    region_code = StringField("区划代码", validators=[Optional(), Length(min=6, max=6)])
    event_time_text = StringField("事发时间（口述）", validators=[Optional(), Length(max=64)])


class NewOrderForm(FlaskForm):
    target = SelectField("承办平台", choices=_choices([("110", "110 报警台"), ("12345", "12345 政务热线")]))
    request_text = TextAreaField("诉求内容", validators=[DataRequired(), Length(max=20000)])
    caller_name = StringField("诉求人", validators=[Optional(), Length(max=64)])
    caller_number = StringField("联系方式", validators=[Optional(), Length(max=64)])
    location = StringField("事发地", validators=[Optional(), Length(max=500)])
    category_name = StringField("分类", validators=[Optional(), Length(max=128)])


@bp.route("/orders/<order_id>")
@login_required
def detail(order_id: str):
    now = datetime.now(UTC)
    book = _book()
    with calllog().session() as s:
        o = _get(s, order_id)
        doc = order_doc(o, now)
        call = s.scalar(select(Call).where(Call.uniqueid == o.source_call_id)) if o.source_call_id else None
    try:
        side = side_of(book.platform, o.origin_platform, o.target_platform)
    except LifecycleError:
        side = None
    allowed = [
        a
        for a, r in RULES.items()
        if a in ACTION_NAMES and side and (r.side in ("any", side)) and o.status in r.allowed_from
    ]
    form = ActionForm()
    form.action.choices = _choices((a, ACTION_NAMES[a]) for a in allowed)
    edit = EditForm(obj=o)
    timeline = [
        {
            "at": _local(datetime.fromisoformat(e["at"]), "%m-%d %H:%M:%S"),
            "platform": e["by"].split("/", 1)[0],
            "who": e["by"],
            "what": HISTORY_NAMES.get(e.get("action") or "", e.get("action") or ""),
            "status": STATUS_NAMES.get(e["status"], e["status"]),
            "note": e.get("note") or "",
            "data": {k: v for k, v in (e.get("data") or {}).items() if v not in (None, "", [])},
        }
        for e in doc["history"]
    ]
    return render_template(
        "order_detail.html",
        o=o,
        doc=doc,
        call=call,
        timeline=timeline,
        form=form,
        edit=edit,
        can_act=can_act() and bool(allowed),
        can_edit=can_act() and o.status != "closed",
        side=side,
        statuses=STATUS_NAMES,
        ratings=RATINGS,
        local=_local,
        own=book.platform,
    )


@bp.route("/orders/<order_id>/act", methods=["POST"])
@login_required
def act(order_id: str):
    if not can_act():
        abort(403)
    form = ActionForm()
    form.action.choices = _choices(ACTION_NAMES.items())
    if not form.validate_on_submit():
        abort(400, description="操作无效")
    data = None
    if form.action.data == "extend":
        try:
            data = {"reply_working_days": float(form.days.data or "")}
        except ValueError:
            abort(400, description="延期需填写工作日数")
    try:
        with calllog().session() as s:
            o = _get(s, order_id)
            _book().act(s, o, form.action.data, current_user.username, note=(form.note.data or "").strip(), data=data)
        flash(f"已{ACTION_NAMES[form.action.data]}。", "ok")
    except LifecycleError as e:
        flash(f"无法执行：{e}", "error")
    return redirect(url_for("orders.detail", order_id=order_id))


@bp.route("/orders/<order_id>/edit", methods=["POST"])
@login_required
def edit(order_id: str):
    if not can_act():
        abort(403)
    form = EditForm()
    if not form.validate_on_submit():
        abort(400, description="字段无效")
    try:
        with calllog().session() as s:
            o = _get(s, order_id)
            changes = {
                k: (getattr(form, k).data or "").strip() or None
                for k in ("caller_name", "caller_number", "location", "region_code", "event_time_text")
                if ((getattr(form, k).data or "").strip() or None) != getattr(o, k)
            }
            if changes.get("caller_number") is None and "caller_number" in changes:
                changes["caller_number"] = ""
            if changes:
                _book().act(s, o, "edit", current_user.username, note="修改工单信息", data=changes)
        flash("已保存。" if changes else "没有修改。", "ok")
    except LifecycleError as e:
        flash(f"无法保存：{e}", "error")
    return redirect(url_for("orders.detail", order_id=order_id))


@bp.route("/orders/new", methods=["GET", "POST"])
@login_required
def new():
    if not can_act():
        abort(403)
    form = NewOrderForm()
    book = _book()
    form.target.choices = _choices((p, p) for p in ("110", "12345") if p != book.platform)
    if form.validate_on_submit():
        with calllog().session() as s:
            o = book.create(
                s,
                origin=book.platform,
                target=form.target.data,
                request_text=form.request_text.data.strip(),
                by=f"{book.platform}/{current_user.username}",
                caller_name=(form.caller_name.data or "").strip() or None,
                caller_number=(form.caller_number.data or "").strip(),
                location=(form.location.data or "").strip() or None,
                category_name=(form.category_name.data or "").strip() or None,
            )
            oid = o.id
        flash(f"已派单 {o.number}。", "ok")
        return redirect(url_for("orders.detail", order_id=oid))
    return render_template("order_new.html", form=form), (400 if request.method == "POST" else 200)

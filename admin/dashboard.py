"""Dashboard: calls per day by action, 12345<->110 flows, top categories, emergencies, handovers."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime, timedelta

from flask import Blueprint, abort, render_template, request
from flask_login import login_required
from sqlalchemy import func, select

from hotline.admin import calllog, charts, labels
from hotline.admin.queries import BadFilter, _int
from hotline.store.models import Call

bp = Blueprint("dashboard", __name__)


def _category_name(cid: str) -> str:
    from hotline.profile import load_profile

    for c in load_profile("national").categories:
        if c.id == cid:
            return c.name.split("（")[0]
    return cid


@bp.route("/dashboard")
@login_required
def dashboard():
    try:
        days = _int(request.args.get("days", "30"), 1, 366, "天数")
    except BadFilter as e:
        abort(400, description=str(e))
    with calllog().session() as s:
        last = s.scalar(select(func.max(Call.started_at))) or datetime.now()
        since = datetime(last.year, last.month, last.day) - timedelta(days=days - 1)
        in_range = Call.started_at >= since
        day = (
            func.strftime("%Y-%m-%d", Call.started_at)
            if s.bind.dialect.name == "sqlite"
            else func.to_char(Call.started_at, "YYYY-MM-DD")
        )
        per_day = s.execute(select(day, Call.action, func.count()).where(in_range).group_by(day, Call.action)).all()
        total = s.scalar(select(func.count()).where(in_range)) or 0
        emergencies = s.scalar(select(func.count()).where(in_range, Call.emergency.is_(True))) or 0
        flows = dict(
            s.execute(
                select(Call.platform, func.count())
                .where(
                    in_range,
                    Call.action.in_(("transfer", "conference")),
                    Call.target.in_(("110", "12345")),
                    Call.target != Call.platform,
                )
                .group_by(Call.platform)
            ).all()
        )
        top_cats = s.execute(
            select(Call.category, func.count())
            .where(in_range, Call.category.isnot(None))
            .group_by(Call.category)
            .order_by(func.count().desc())
            .limit(10)
        ).all()
        handovers = (
            s.execute(
                select(Call.outcome).where(
                    in_range, Call.action.in_(("transfer", "conference")), Call.ended_at.isnot(None)
                )
            )
            .scalars()
            .all()
        )
        latencies = s.execute(select(Call.handover_ms).where(in_range, Call.handover_ms.isnot(None))).scalars().all()
    day_list = [(since + timedelta(days=i)).strftime("%Y-%m-%d") for i in range(days)]
    index = {d: i for i, d in enumerate(day_list)}
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(day_list))
    for d, action, n in per_day:
        if d in index:
            series[action or "clarify"][index[d]] += n
    order = ["accept", "transfer", "conference", "guide", "agent", "clarify"]
    series = {k: series[k] for k in order if k in series}
    ok = sum(1 for o in handovers if o and (o.startswith("reached:") or o.startswith("conference:")))
    stats = {
        "total": total,
        "emergencies": emergencies,
        "flow_12345_110": flows.get("12345", 0),
        "flow_110_12345": flows.get("110", 0),
        "handover_rate": (ok / len(handovers)) if handovers else None,
        "handover_n": len(handovers),
        "median_handover_ms": statistics.median(latencies) if latencies else None,
    }
    return render_template(
        "dashboard.html",
        days=days,
        stats=stats,
        per_day=charts.stacked_bars(day_list, series, labels.ACTION),
        categories=charts.hbars([(_category_name(c), n) for c, n in top_cats]),
        flows=charts.hbars(
            [("12345 → 110", stats["flow_12345_110"]), ("110 → 12345", stats["flow_110_12345"])], color="#c62828"
        ),
    )

"""Dashboard an operations lead can act on: calls per day and per hour of the day, decision and handover
latency p50/p95 per day and platform, flows between the platforms, top categories, emergencies.

A date range of local days, ending today by default; every card, bar, point and table row links to
the matching calls. Figures come from the daily pre-aggregation (hotline.admin.stats).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from urllib.parse import urlencode

from flask import Blueprint, abort, render_template, request, url_for

from hotline.admin import calllog, charts, labels, localtime, roles, stats
from hotline.admin.queries import BadFilter, _when
from hotline.admin.scope import current_platform_scope

bp = Blueprint("dashboard", __name__)
DEFAULT_DAYS = 30
MAX_DAYS = 400


def _range() -> tuple[date, date, str]:
    try:
        first, _ = _when(request.args.get("from", ""), "开始日期")
        last, _ = _when(request.args.get("to", ""), "结束日期")
    except BadFilter as e:
        abort(400, description=str(e))
    last = last or localtime.today()
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        abort(400, description="结束日期早于开始日期。")
    if (last - first).days >= MAX_DAYS:
        abort(400, description=f"日期范围最多 {MAX_DAYS} 天。")
    platform = request.args.get("platform", "")
    if platform not in ("", *stats.PLATFORMS):
        abort(400, description="受理平台的取值无效。")
    scope = current_platform_scope()
    if scope:
        platform = scope  # a scoped user sees their platform only
    return first, last, platform


@bp.route("/dashboard")
@roles.permission_required("view")
def dashboard():
    first, last, platform = _range()
    stats.refresh(calllog(), localtime.zone())
    with calllog().session() as s:
        rows = stats.days_between(s, first, last, platform or None)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    platforms = [platform] if platform else list(stats.PLATFORMS)

    per_day: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    per_hour: dict[str, list[int]] = {p: [0] * 24 for p in platforms}
    hist = {(k, p, i): Counter() for k in ("decision", "handover") for p in platforms for i in range(len(days))}
    all_hist = {"decision": Counter(), "handover": Counter()}
    totals = Counter()
    categories: Counter = Counter()
    flows = Counter()
    for row in rows:
        i = index.get(row.day)
        if i is None or row.platform not in per_hour:  # "?" = a call recorded from the CDR only
            continue
        fig = row.figures
        for action, n in fig["actions"].items():
            per_day[action][i] += n
        per_hour[row.platform] = [a + b for a, b in zip(per_hour[row.platform], fig["hours"], strict=True)]
        totals.update(calls=row.calls, emergencies=row.emergencies, handovers=row.handovers, ok=row.handovers_ok)
        flows[row.platform] += row.to_other_platform
        categories.update(fig["categories"])
        for kind in ("decision", "handover"):
            c = Counter({int(b): n for b, n in fig[f"{kind}_hist"].items()})
            hist[(kind, row.platform, i)].update(c)
            all_hist[kind].update(c)

    span = {"from": f"{first:%Y-%m-%d}", "to": f"{last:%Y-%m-%d}"}
    if platform:
        span["platform"] = platform
    list_url = url_for("calls.list_calls")

    def calls_url(**kw) -> str:
        # built by hand: a 90-day page has ~1,500 links and url_for costs ~0.15 ms each
        args = {**span, **{k: v for k, v in kw.items() if v not in (None, "")}}
        return f"{list_url}?{urlencode(args)}"

    def day_url(i: int, **kw) -> str:
        d = f"{days[i]:%Y-%m-%d}"
        return calls_url(**{"from": d, "to": d}, **kw)

    label_day = (lambda d: d[5:]) if len({d.year for d in days}) == 1 else (lambda d: d)
    day_keys = [f"{d:%Y-%m-%d}" for d in days]
    order = ["accept", "transfer", "conference", "guide", "agent", "clarify"]
    series = {k: per_day[k] for k in order if k in per_day}
    per_day_chart = charts.stacked_bars(
        "每日来电（按处置动作）",
        day_keys,
        series,
        labels.ACTION,
        lambda i, k: day_url(i, action=k),
        label_day,
    )
    per_hour_chart = charts.stacked_bars(
        "各时段来电（按受理平台，所选日期合计）",
        [f"{h:02d}" for h in range(24)],
        per_hour,
        labels.PLATFORM,
        lambda i, k: calls_url(hour=i, platform=k),
        lambda x: f"{x} 时",
    )

    def latency_chart(kind: str, title: str, sort: str | None):
        series, names, colors, dashed = {}, {}, {}, set()
        for p in platforms:
            for q, tag in ((0.5, "p50"), (0.95, "p95")):
                key = f"{p}-{tag}"
                series[key] = [stats.percentile(hist[(kind, p, i)], q) for i in range(len(days))]
                names[key] = f"{p} {tag}"
                colors[key] = charts.PALETTE[p]
                if tag == "p95":
                    dashed.add(key)
        return charts.lines(
            title,
            day_keys,
            series,
            names,
            colors,
            dashed,
            lambda i, key: day_url(i, platform=key.split("-")[0], sort=sort),
            x_label=label_day,
        )

    decision_chart = latency_chart("decision", "分流决定耗时（说完 → 决定，毫秒）", None)
    handover_chart = latency_chart("handover", "转接耗时（说完 → 对方接听，毫秒）", "-handover")
    top = categories.most_common(10)
    category_chart = charts.hbars("分类前十", [(labels.short_category(c), n, calls_url(category=c)) for c, n in top])
    flow_rows = []
    if not platform or platform == "12345":
        flow_rows.append(("12345 → 110", flows["12345"], calls_url(platform="12345", target="110", action="handover")))
    if not platform or platform == "110":
        flow_rows.append(("110 → 12345", flows["110"], calls_url(platform="110", target="12345", action="handover")))
    flow_chart = charts.hbars("双向流转", flow_rows, color="#c62828")
    cards = {
        "total": (totals["calls"], calls_url()),
        "emergencies": (totals["emergencies"], calls_url(emergency="1")),
        "handover_rate": (
            totals["ok"] / totals["handovers"] if totals["handovers"] else None,
            calls_url(action="handover"),
        ),
        "handovers": totals["handovers"],
        "decision_p50": stats.percentile(all_hist["decision"], 0.5),
        "decision_p95": stats.percentile(all_hist["decision"], 0.95),
        "handover_p50": stats.percentile(all_hist["handover"], 0.5),
        "handover_p95": stats.percentile(all_hist["handover"], 0.95),
        "latency_url": calls_url(sort="-handover", action="handover"),
    }
    return render_template(
        "dashboard.html",
        first=first,
        last=last,
        platform=platform,
        scoped=bool(current_platform_scope()),
        cards=cards,
        flows=flow_rows,
        per_day=per_day_chart,
        per_hour=per_hour_chart,
        decision=decision_chart,
        handover=handover_chart,
        categories=category_chart,
        flow_chart=flow_chart,
        labels=labels,
    )

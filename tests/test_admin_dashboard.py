"""The dashboard: hourly pre-aggregated figures equal what the calls say (counts, flows, success rate,
latency percentiles), stay current as calls are written, and every card and chart links to calls
whose count is the figure shown."""

from __future__ import annotations

import html
import math
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hotline.admin import stats
from hotline.store.models import Call, CallStatsDay
from tests.admin_support import login, make_app, make_log

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def app(tmp_path):
    db, _ = make_log(tmp_path, calls=1500, events=False)
    return make_app(tmp_path, db)


def nearest_rank(values, q):
    v = sorted(values)
    return v[max(1, math.ceil(q * len(v))) - 1]


def test_hourly_figures_match_the_calls(app):
    log = app.extensions["calllog"]
    stats.refresh(log, SHANGHAI)
    with log.session() as s:
        calls = list(s.scalars(select(Call)))
        hours = list(s.scalars(select(CallStatsDay)))
    assert sum(h.calls for h in hours) == len(calls) == sum(sum(h.figures["hours"]) for h in hours)
    assert sum(h.emergencies for h in hours) == sum(c.emergency for c in calls)
    flows = sum(
        1
        for c in calls
        if c.action in ("transfer", "conference") and c.target in ("110", "12345") and c.target != c.platform
    )
    assert sum(h.to_other_platform for h in hours) == flows
    for p in ("110", "12345"):
        lat = [c.handover_ms for c in calls if c.platform == p and c.handover_ms is not None]
        from collections import Counter

        merged = Counter()
        for h in hours:
            if h.platform == p:
                merged.update({int(k): v for k, v in h.figures["handover_hist"].items()})
        for q in (0.5, 0.95):
            est, exact = stats.percentile(merged, q), nearest_rank(lat, q)
            assert abs(est - exact) / exact < 0.011, (p, q, est, exact)  # buckets are 2 % wide


def test_refresh_follows_new_and_updated_calls(app):
    log = app.extensions["calllog"]
    stats.refresh(log, SHANGHAI)
    assert stats.refresh(log, SHANGHAI, slack=timedelta(0)) == 0  # nothing written since
    t = datetime(2026, 11, 15, 3, 10, tzinfo=UTC)
    log.open_call("late-1", "12345", "13900000000", "national")
    log.update("late-1", started_at=t, action="transfer", target="110", emergency=True)
    assert stats.refresh(log, SHANGHAI) >= 1
    day = t.astimezone(SHANGHAI).date()
    with log.session() as s:
        h = s.get(CallStatsDay, (day, "12345"))
        n, em, flows = h.calls, h.emergencies, h.to_other_platform
    log.update("late-1", emergency=False)  # an update of an older call moves the figures too
    stats.refresh(log, SHANGHAI)
    with log.session() as s:
        h = s.get(CallStatsDay, (day, "12345"))
        assert (h.calls, h.emergencies, h.to_other_platform) == (n, em - 1, flows)


def _total(c, url: str) -> int:
    page = c.get(html.unescape(url)).get_data(as_text=True)
    return int(re.search(r"共 (\d+) 通", page).group(1))


def test_a_new_zone_rebuilds_the_days(app):
    log = app.extensions["calllog"]
    stats.refresh(log, SHANGHAI)
    london = ZoneInfo("Europe/London")
    assert stats.refresh(log, london, slack=timedelta(0)) > 0
    with log.session() as s:
        night = s.scalars(select(CallStatsDay).where(CallStatsDay.day == datetime(2026, 11, 24).date())).all()
    assert sum(r.figures["hours"][17] for r in night) >= 1  # 17:32 UTC is 17:32 in London in November


def test_every_card_and_chart_links_to_its_calls(app):
    c = app.test_client()
    login(c)
    page = c.get("/dashboard?from=2026-11-10&to=2026-11-20").get_data(as_text=True)
    cards = re.findall(r'<a class="card[^"]*" href="([^"]+)"><b>([^<]+)</b><span>([^<]+)</span>', page)
    shown = {label: (href, value) for href, value, label in cards}
    for label in ("来电", "紧急", "12345 → 110", "110 → 12345"):
        href, value = shown[label]
        assert _total(c, href) == int(value), label
    rate_href, _ = shown[next(k for k in shown if k.startswith("转接成功率"))]
    assert "action=handover" in rate_href
    # the daily chart's table: each day's link finds that day's total
    daily = page.split("每日来电（按处置动作）")[-1].split("</table>")[0]
    rows = re.findall(r'<th scope="row"><a href="([^"]+)">[^<]+</a></th>(?:<td>\d+</td>)*<td>(\d+)</td></tr>', daily)
    assert len(rows) == 11
    for href, total in rows[:4]:
        assert _total(c, href) == int(total)
    # a bar segment: one day, one action
    seg = re.search(r'<a href="([^"]+action=transfer[^"]*)" aria-label="[^"]*一键转接：(\d+) 通"', page)
    assert _total(c, seg.group(1)) == int(seg.group(2))
    # the hour-of-day chart: all days of the range, that hour, that platform
    hour = re.search(r'<a href="([^"]+hour=\d+[^"]*)" aria-label="(\d\d) 时 [^：]+：(\d+) 通"', page)
    assert _total(c, hour.group(1)) == int(hour.group(3))
    # top categories
    cat = re.search(r'<a href="([^"]+category=[a-z_]+[^"]*)" aria-label="[^：]+：(\d+) 通"', page)
    assert _total(c, cat.group(1)) == int(cat.group(2))


def test_charts_have_names_and_table_views(app):
    c = app.test_client()
    login(c)
    page = c.get("/dashboard?from=2026-11-10&to=2026-11-20").get_data(as_text=True)
    figures = re.findall(r'<figure class="chart" aria-labelledby="([^"]+)"><figcaption id="\1">([^<]+)<', page)
    names = [n for _, n in figures]
    for title in ("每日来电（按处置动作）", "各时段来电", "分流决定耗时", "转接耗时", "双向流转", "分类前十"):
        assert any(n.startswith(title) for n in names), title
    assert page.count("<summary>以表格查看</summary>") == len(figures) == 6
    assert re.search(r'<svg class="chart"[^>]*aria-label="每日来电', page)
    assert "p95" in page and "12345 p50" in page and "110 p95" in page


def test_platform_filter_and_bad_ranges(app):
    c = app.test_client()
    login(c)
    only = c.get("/dashboard?from=2026-11-10&to=2026-11-20&platform=110").get_data(as_text=True)
    assert "110 → 12345" in only and "12345 → 110" not in only
    for q in ("from=2026-11-20&to=2026-11-01", "from=2024-01-01&to=2026-11-01", "platform=119", "from=x"):
        assert c.get("/dashboard?" + q).status_code == 400, q


def test_latency_points_lead_to_the_days_slowest_handovers(app):
    c = app.test_client()
    login(c)
    page = c.get("/dashboard?from=2026-11-12&to=2026-11-12&platform=12345").get_data(as_text=True)
    m = re.search(r'<a href="([^"]+sort=-handover[^"]*)" aria-label="[^"]*12345 p95：(\d+) 毫秒"', page)
    listing = c.get(html.unescape(m.group(1))).get_data(as_text=True)
    first = float(re.search(r'data-label="转接耗时">([\d.]+) 秒', listing).group(1)) * 1000
    assert first >= int(m.group(2)) * 0.98

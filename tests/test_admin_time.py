"""Local time: the database keeps aware UTC; the admin shows, filters and counts days in the site's
zone (Asia/Shanghai by default). A call at 01:32 Beijing time is on the 25th, not the 24th."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, select

from hotline.store.types import UTCDateTime
from tests.admin_support import NIGHT_CALLER, call_id, login, make_app, make_log


@pytest.fixture
def app(tmp_path):
    db, _ = make_log(tmp_path, calls=100)
    return make_app(tmp_path, db)


def test_utcdatetime_writes_utc_and_reads_aware(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 't.db'}")
    t = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))
    t.metadata.create_all(engine)
    beijing = timezone(timedelta(hours=8))
    with engine.begin() as conn:
        conn.execute(
            t.insert(),
            [
                {"id": 1, "at": datetime(2026, 11, 25, 1, 32, 5, tzinfo=beijing)},
                {"id": 2, "at": datetime(2026, 11, 24, 17, 32, 5)},  # naive: taken as UTC (older writers)
                {"id": 3, "at": None},
            ],
        )
        raw = conn.exec_driver_sql("SELECT at FROM t ORDER BY id").scalars().all()
        back = conn.execute(select(t.c.at).order_by(t.c.id)).scalars().all()
    assert raw[0] == raw[1] and raw[0].startswith("2026-11-24 17:32:05")  # stored as UTC wall time
    assert back[0] == back[1] == datetime(2026, 11, 24, 17, 32, 5, tzinfo=UTC)
    assert back[0].tzinfo is not None and back[2] is None
    with engine.begin() as conn:  # comparisons convert the bound value too
        n = conn.execute(select(t.c.id).where(t.c.at >= datetime(2026, 11, 25, 1, 0, tzinfo=beijing))).all()
    assert len(n) == 2


def test_night_call_is_listed_with_its_local_time(app):
    c = app.test_client()
    login(c)
    page = c.get("/calls?q=night-1").get_data(as_text=True)
    assert "2026-11-25 01:32:05" in page and "11-24 17:32" not in page
    detail = c.get(f"/calls/{call_id(app.extensions['calllog'], 'night-1')}").get_data(as_text=True)
    assert "2026-11-25 01:32:05（北京时间）" in detail


def test_filtering_by_the_local_day_finds_it(app):
    c = app.test_client()
    login(c)
    day = c.get("/calls?from=2026-11-25&to=2026-11-25").get_data(as_text=True)
    assert NIGHT_CALLER in day and "共 1 通" in day
    before = c.get("/calls?from=2026-11-24&to=2026-11-24").get_data(as_text=True)
    assert NIGHT_CALLER not in before  # 17:32 UTC on the 24th is not the 24th in Beijing
    hour = c.get("/calls?from=2026-11-25&to=2026-11-25&hour=1").get_data(as_text=True)
    assert NIGHT_CALLER in hour
    assert NIGHT_CALLER not in c.get("/calls?from=2026-11-25&to=2026-11-25&hour=17").get_data(as_text=True)
    minute = c.get("/calls?from=2026-11-25T01:32&to=2026-11-25T01:32").get_data(as_text=True)
    assert NIGHT_CALLER in minute


def test_dashboard_counts_it_on_the_25th_in_the_01_hour(app):
    c = app.test_client()
    login(c)
    page = c.get("/dashboard?from=2026-11-24&to=2026-11-25").get_data(as_text=True)
    daily = page.split("每日来电")[-1].split("</table>")[0]
    rows = dict(
        re.findall(r'<th scope="row"><a href="[^"]+">(11-2[45])</a></th>(?:<td>\d+</td>)*<td>(\d+)</td></tr>', daily)
    )
    assert rows == {"11-24": "0", "11-25": "1"}
    hourly = page.split("各时段来电")[-1].split("</table>")[0]
    hours = dict(re.findall(r">(\d\d) 时</a></th>(?:<td>\d+</td>)*<td>(\d+)</td></tr>", hourly))
    assert hours["01"] == "1" and sum(map(int, hours.values())) == 1


def test_dashboard_defaults_to_a_range_ending_today(app):
    from zoneinfo import ZoneInfo

    c = app.test_client()
    login(c)
    page = c.get("/dashboard").get_data(as_text=True)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert f'name="to" value="{today}"' in page
    assert f'name="from" value="{today - timedelta(days=29)}"' in page


def test_another_site_zone_moves_the_day(tmp_path):
    db, _ = make_log(tmp_path, calls=5, events=False)
    app = make_app(tmp_path, db, HOTLINE_TIMEZONE="Europe/London")
    c = app.test_client()
    login(c)
    page = c.get("/calls?from=2026-11-24&to=2026-11-24").get_data(as_text=True)
    assert NIGHT_CALLER in page and "2026-11-24 17:32:05" in page


def test_export_file_name_is_local(app):
    from zoneinfo import ZoneInfo

    c = app.test_client()
    login(c)
    r = c.get("/calls.csv?q=night-1")
    stamp = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d-%H")
    assert stamp in r.headers["Content-Disposition"].replace("%E9%80%9A%E8%AF%9D%E8%AE%B0%E5%BD%95-", "")

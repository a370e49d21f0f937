"""Exports: CSV and .xlsx of the filtered calls, Chinese headers and labels, caller numbers and call
ids kept as text, formulas neutralised, every row (no cap), a job with progress, owner-only files."""

from __future__ import annotations

import csv
import io
import time

import pytest
from openpyxl import load_workbook

from tests.admin_support import NIGHT_CALLER, csrf, login, make_app, make_log


@pytest.fixture
def app(tmp_path):
    db, log = make_log(tmp_path, calls=2500, events=False)
    log.open_call("formula-1", "12345", '=HYPERLINK("http://x")', "national")
    log.update("formula-1", transcript="=1+2 路灯坏了", action="accept", target="12345", outcome="accepted:12345")
    return make_app(tmp_path, db)


def start_export(c, fmt: str, query: str = "") -> str:
    page = c.get("/calls?" + query).get_data(as_text=True)
    r = c.post(f"/exports?format={fmt}&{query}", data={"csrf_token": csrf(page)})
    assert r.status_code == 302
    return r.headers["Location"]


def finish(c, location: str) -> dict:
    job = location.split("?")[0].rsplit("/", 1)[1]
    for _ in range(600):
        st = c.get(f"/exports/{job}.json").get_json()
        if st["state"] in ("done", "failed"):
            return st | {"job": job}
        time.sleep(0.05)
    raise AssertionError("export did not finish")


def test_xlsx_has_chinese_headers_labels_and_numbers_as_text(app):
    c = app.test_client()
    login(c)
    loc = start_export(c, "xlsx")
    page = c.get(loc).get_data(as_text=True)
    assert "<progress" in page and "导出" in page
    st = finish(c, loc)
    assert st["state"] == "done" and st["done"] == st["total"] == 2503
    r = c.get(f"/exports/{st['job']}/download")
    assert r.status_code == 200 and "filename*=UTF-8''" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data), read_only=True)
    ws = wb["通话记录"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("呼叫ID", "来电号码", "受理平台", "开始时间（北京时间）")
    assert len(rows) - 1 == 2503  # every call, no cap
    night = next(r for r in rows if r[0] == "night-1")
    assert night[1] == NIGHT_CALLER and isinstance(night[1], str)  # not 1.38E+10
    assert night[2] == "110 报警台" and night[3] == "2026-11-25 01:32:05"
    assert night[8] == "是" and night[7] == "打架斗殴、伤害（治安、刑事）" and night[11] == "已受理 110 报警台"
    codes = {"accept", "transfer", "conference", "reached:110", "emergency-first", "violence"}
    assert not codes & {v for r in rows[1:] for v in r}
    raw = load_workbook(io.BytesIO(r.data))["通话记录"]  # the cells' own types
    formula_row = next(row for row in raw.iter_rows() if row[0].value == "formula-1")
    assert all(cell.data_type == "s" for cell in formula_row if cell.value is not None)
    assert formula_row[6].value == "=1+2 路灯坏了"  # kept as text, never evaluated
    caller = next(row for row in raw.iter_rows() if row[0].value == "night-1")[1]
    assert caller.data_type == "s" and caller.value == NIGHT_CALLER


def test_csv_job_streams_every_row_of_the_filter(app):
    c = app.test_client()
    login(c)
    st = finish(c, start_export(c, "csv", "platform=110"))
    text = c.get(f"/exports/{st['job']}/download").get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "呼叫ID" and len(rows) - 1 == st["total"] > 1000
    assert {r[2] for r in rows[1:]} == {"110 报警台"}
    night = next(r for r in rows if r[0] == "night-1")
    assert night[1] == "\t" + NIGHT_CALLER  # Excel keeps it as text


def test_direct_csv_is_formula_safe(app):
    c = app.test_client()
    login(c)
    text = c.get("/calls.csv?q=formula-1").get_data(as_text=True)
    row = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1]
    assert row[1] == '\'=HYPERLINK("http://x")' and row[6] == "'=1+2 路灯坏了"


def test_export_jobs_belong_to_their_owner(app):
    c = app.test_client()
    login(c)
    st = finish(c, start_export(c, "csv", "emergency=1"))
    other = app.test_client()
    login(other, "rita")
    assert other.get(f"/exports/{st['job']}").status_code == 404
    assert other.get(f"/exports/{st['job']}/download").status_code == 404
    assert c.get("/exports/not-a-job").status_code == 404


def test_export_needs_csrf_and_a_known_format(app):
    c = app.test_client()
    login(c)
    assert c.post("/exports?format=xlsx").status_code == 400
    page = c.get("/calls").get_data(as_text=True)
    assert c.post("/exports?format=pdf", data={"csrf_token": csrf(page)}).status_code == 400

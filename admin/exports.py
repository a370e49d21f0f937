"""Exports of the filtered call list to CSV and Excel (.xlsx): Chinese headers and labels, local times,
caller numbers and call ids as text, no row cap, rows streamed from the database.

The pages start an export job (a thread of the admin process) and show its progress; the file is
then downloaded by its owner. `/calls.csv` and `/calls.xlsx` answer directly for scripts.
"""

from __future__ import annotations

import csv
import io
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm

from hotline.admin import audit, calllog, labels, localtime, roles
from hotline.admin.queries import BadFilter, CallFilter
from hotline.store.models import Call

bp = Blueprint("exports", __name__)
export_required = roles.permission_required("export")
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BATCH = 2000
KEEP_S = 6 * 3600  # finished export files are removed after this long


# ------------------------------------------------------------------------------- columns
def _duration_s(c: Call) -> str:
    start = c.answered_at or c.started_at
    if not (start and c.ended_at):
        return ""
    return str(round((c.ended_at - start).total_seconds()))


def _clock(zone):
    """An instant as 'YYYY-MM-DD HH:MM:SS' in the zone (isoformat: several times faster than strftime)."""

    def fmt(dt) -> str:
        return dt.astimezone(zone).isoformat(" ", "seconds")[:19] if dt is not None else ""

    return fmt


def columns() -> list[tuple[str, Callable[[Call], str], bool]]:
    """(header, value, is_identifier): identifiers are kept as text in spreadsheets."""
    zone = localtime.zone_label()
    clock = _clock(localtime.zone())
    return [
        ("呼叫ID", lambda c: c.uniqueid, True),
        ("来电号码", lambda c: c.caller or "", True),
        ("受理平台", lambda c: labels.PLATFORM.get(c.platform, c.platform), False),
        (f"开始时间（{zone}）", lambda c: clock(c.started_at), False),
        (f"结束时间（{zone}）", lambda c: clock(c.ended_at), False),
        ("通话时长（秒）", _duration_s, False),
        ("识别文本", lambda c: c.transcript or "", False),
        ("分类", lambda c: labels.category(c.category, c.profile), False),
        ("紧急", lambda c: "是" if c.emergency else "否", False),
        ("处置动作", lambda c: labels.ACTION.get(c.action or "", c.action or ""), False),
        ("目标", lambda c: labels.target(c.target, c.profile), False),
        ("结果", lambda c: labels.outcome(c.outcome, c.profile), False),
        ("分流规则", lambda c: labels.rule(c.rule), False),
        ("转接耗时（毫秒）", lambda c: "" if c.handover_ms is None else str(round(c.handover_ms)), False),
    ]


def formula_safe(s: str) -> str:
    """Cells starting with = + - @ are formulas in spreadsheets: neutralise them."""
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def csv_cell(value: str, identifier: bool) -> str:
    # Excel reads a CSV cell of digits as a number (13812345678 -> 1.38E+10, leading zeros lost);
    # a leading tab keeps it text. Other text is made formula-safe.
    if identifier and value[:1].isdigit():
        return "\t" + value
    return formula_safe(value)


# only what the columns show: whole ORM objects (with the route's JSON) would be ~3x slower
EXPORT_FIELDS = (
    Call.uniqueid,
    Call.caller,
    Call.platform,
    Call.profile,
    Call.started_at,
    Call.answered_at,
    Call.ended_at,
    Call.transcript,
    Call.category,
    Call.emergency,
    Call.action,
    Call.target,
    Call.outcome,
    Call.handover_ms,
    Call.route["rule"].as_string().label("rule"),
)


def export_query(f: CallFilter, scope: str | None = None):
    stmt = f.rows(*EXPORT_FIELDS)
    return stmt if scope is None else stmt.where(Call.platform == scope)


def iter_calls(f: CallFilter, session=None, scope: str | None = None) -> Iterator:
    """Every call of the filter, read in batches (no cap)."""
    if session is not None:
        yield from session.execute(export_query(f, scope).execution_options(yield_per=BATCH))
        return
    with calllog().session() as s:
        yield from s.execute(export_query(f, scope).execution_options(yield_per=BATCH))


def csv_lines(calls: Iterator[Call], on_row: Callable[[int], None] | None = None) -> Iterator[str]:
    cols = columns()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([h for h, _, _ in cols])
    yield "\ufeff" + buf.getvalue()  # Excel opens UTF-8 CSV with Chinese correctly only with a BOM
    n = 0
    for c in calls:
        buf.seek(0)
        buf.truncate()
        w.writerow([csv_cell(fn(c), ident) for _, fn, ident in cols])
        n += 1
        if on_row and n % 500 == 0:
            on_row(n)
        yield buf.getvalue()
    if on_row:
        on_row(n)


def write_xlsx(calls: Iterator[Call], path: Path, title: str, on_row: Callable[[int], None] | None = None) -> int:
    """Write-only (streaming) workbook: rows go to disk as they come, memory stays flat."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("通话记录")
    cols = columns()
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["G"].width = 60
    bold = Font(bold=True)
    header = []
    for h, _, _ in cols:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    n = 0
    for c in calls:
        row = []
        for _, fn, _ in cols:
            value = fn(c) or None  # an empty cell, not an empty string
            if value is not None and value[0] == "=":
                # openpyxl would store it as a formula: keep it text
                cell = WriteOnlyCell(ws, value=value)
                cell.data_type = "s"
                value = cell
            row.append(value)  # a str is a text cell: 13812345678 stays 13812345678, never 1.38E+10
        ws.append(row)
        n += 1
        if on_row and n % 500 == 0:
            on_row(n)
    info = wb.create_sheet("说明")
    info.append(["导出说明", title])
    wb.save(path)
    if on_row:
        on_row(n)
    return n


def file_name(fmt: str) -> str:
    return f"通话记录-{localtime.now():%Y%m%d-%H%M%S}.{fmt}"


def _content_disposition(name: str) -> str:
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "ignore").decode().lstrip("-.") or f"calls.{name.rsplit('.', 1)[-1]}"
    return f"attachment; filename=\"calls-{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _filter() -> CallFilter:
    try:
        return CallFilter.from_args(request.args)
    except BadFilter as e:
        abort(400, description=str(e))


# ------------------------------------------------------------------------------- direct
@bp.route("/calls.csv")
@export_required
def direct_csv():
    """The filtered calls as CSV, streamed as they are read (for scripts; pages use export jobs)."""
    f = _filter()
    audit.record("export", "calls", "", {"format": "csv", "filter": f.describe(), "mode": "direct"})
    name = file_name("csv")
    return Response(
        stream_with_context(csv_lines(iter_calls(f))),
        mimetype=FORMATS["csv"],
        headers={"Content-Disposition": _content_disposition(name)},
    )


@bp.route("/calls.xlsx")
@export_required
def direct_xlsx():
    f = _filter()
    audit.record("export", "calls", "", {"format": "xlsx", "filter": f.describe(), "mode": "direct"})
    folder = _folder()
    path = folder / f"direct-{secrets.token_hex(8)}.xlsx"
    write_xlsx(iter_calls(f), path, _title(f))
    resp = send_file(path, mimetype=FORMATS["xlsx"], as_attachment=True, download_name=file_name("xlsx"))
    resp.call_on_close(lambda: path.unlink(missing_ok=True))
    return resp


# ------------------------------------------------------------------------------- jobs
@dataclass
class Job:
    id: str
    user_id: str
    fmt: str
    total: int
    filter: dict[str, str]
    path: Path
    name: str
    done: int = 0
    state: str = "running"  # running | packing | done | failed
    error: str = ""
    started: float = field(default_factory=time.time)
    finished: float | None = None


def _jobs() -> dict[str, Job]:
    return current_app.extensions.setdefault("export_jobs", {})


def _folder() -> Path:
    folder = Path(current_app.config["HOTLINE_EXPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _title(f: CallFilter) -> str:
    d = f.describe()
    return "筛选条件：" + ("，".join(f"{k}={v}" for k, v in d.items()) or "全部通话")


def _sweep(jobs: dict[str, Job]) -> None:
    now = time.time()
    for jid, job in list(jobs.items()):
        if job.finished and now - job.finished > KEEP_S:
            job.path.unlink(missing_ok=True)
            jobs.pop(jid, None)


class ExportForm(FlaskForm):
    """CSRF only; the filter and format come as URL arguments."""


@bp.route("/exports", methods=["POST"])
@export_required
def start():
    if not ExportForm().validate_on_submit():
        abort(400, description="表单已过期，请刷新页面后重试。")
    fmt = request.args.get("format", "xlsx")
    if fmt not in FORMATS:
        abort(400, description="导出格式应为 csv 或 xlsx。")
    f = _filter()
    with calllog().session() as s:
        total = s.scalar(f.count()) or 0
    jobs = _jobs()
    _sweep(jobs)
    jid = secrets.token_urlsafe(12)
    job = Job(jid, current_user.id, fmt, total, f.describe(), _folder() / f"{jid}.{fmt}", file_name(fmt))
    jobs[jid] = job
    audit.record("export", "export", jid, {"format": fmt, "rows": total, "filter": job.filter})
    app = current_app._get_current_object()
    scope = current_user.scope or None
    threading.Thread(target=_run, args=(app, job, f, scope), name=f"export-{jid}", daemon=True).start()
    return redirect(url_for("exports.status", job_id=jid, auto=1))  # the download starts when ready


def _run(app, job: Job, f: CallFilter, scope: str | None) -> None:
    def progress(n: int) -> None:
        job.done = n

    try:
        # the thread has no signed-in user: the scope captured at the start applies
        with app.app_context(), calllog(app).session() as s:
            calls = iter_calls(f, s, scope)
            if job.fmt == "csv":
                with job.path.open("w", encoding="utf-8", newline="") as out:
                    for chunk in csv_lines(calls, progress):
                        out.write(chunk)
            else:
                write_xlsx(calls, job.path, _title(f), progress)
                job.state = "packing"
        job.state = "done"
    except Exception as e:  # shown on the progress page; the file is removed
        job.state, job.error = "failed", f"{type(e).__name__}: {e}"[:300]
        job.path.unlink(missing_ok=True)
        app.logger.exception("export %s failed", job.id)
    finally:
        job.finished = time.time()


def _own_job(job_id: str) -> Job:
    job = _jobs().get(job_id)
    if job is None or job.user_id != current_user.id:
        abort(404)
    return job


@bp.route("/exports/<job_id>")
@export_required
def status(job_id: str):
    job = _own_job(job_id)
    auto = request.args.get("auto") == "1"
    return render_template("export.html", job=job, auto=auto)


@bp.route("/exports/<job_id>.json")
@export_required
def status_json(job_id: str):
    job = _own_job(job_id)
    return {"state": job.state, "done": job.done, "total": job.total, "error": job.error}


@bp.route("/exports/<job_id>/download")
@export_required
def download(job_id: str):
    job = _own_job(job_id)
    if job.state != "done" or not job.path.is_file():
        abort(404)
    audit.record("export_download", "export", job.id, {"format": job.fmt, "rows": job.done})
    return send_file(job.path, mimetype=FORMATS[job.fmt], as_attachment=True, download_name=job.name)

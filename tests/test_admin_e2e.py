"""End to end: a real SIP call through the real Asterisk and the FastAGI service, then a reviewer's
correction in the admin (Flask client on the same call log), then `hotline corpus export-reviews`
contains it as a labeled row with the call's transcript, the reviewer and the date (issue 10, item 6). The call's
page lists the work order the call handed over.

Run under the lock: flock /work/e2e.lock .venv/bin/python -m pytest -q tests/test_admin_e2e.py
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from hotline.admin import create_app
from hotline.admin.auth import create_user
from hotline.config import REPO
from hotline.linkage.models import Order
from hotline.sim.sipcall import place_call
from hotline.store import CallLog
from hotline.store.models import AuditEntry

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_a_real_call_corrected_by_a_reviewer_is_exported_for_training(pbx, service, hotline_cli, tmp_path):
    r = place_call(REPO / "sounds" / "samples" / "caller-fight.wav", platform="12345", config=pbx)
    assert r["transcript"] and r["action"] in ("transfer", "conference")
    log = CallLog(pbx.db_url)
    call = log.get(r["call_id"])
    assert call is not None and call.started_at.tzinfo is not None  # read back as aware UTC

    create_user(log, "e2e-reviewer", "reviewer-password-e2e", "reviewer")
    app = create_app(pbx.db_url, TESTING=True, SESSION_COOKIE_SECURE=False, HOTLINE_EXPORT_DIR=str(tmp_path))
    c = app.test_client()
    page = c.get("/login").get_data(as_text=True)
    c.post("/login", data={"username": "e2e-reviewer", "password": "reviewer-password-e2e", "csrf_token": _csrf(page)})
    detail = c.get(f"/calls/{call.id}")
    assert detail.status_code == 200
    text = detail.get_data(as_text=True)
    assert call.transcript in text and "过程记录" in text and "+0.0 秒" in text
    # the order the call handed over to 110, listed on the call's page with a link to it
    with log.session() as s:
        order = s.scalar(select(Order).where(Order.source_call_id == r["call_id"]))
    assert order is not None and order.target_platform == "110"
    handed = text.split('id="orders-from-call"')[1].split("</div>")[0]
    assert order.number in handed and f"/orders/{order.id}" in handed
    # the reviewer says: someone is hurt, this needed an ambulance with the police
    resp = c.post(
        f"/calls/{call.id}/review",
        data={
            "csrf_token": _csrf(text),
            "verdict": "wrong",
            "destination": "number|120,110",
            "emergency": "y",
            "category": "violence",
            "note": "端到端测试",
        },
    )
    assert resp.status_code == 302

    out = tmp_path / "reviews.tsv"
    exported = hotline_cli("corpus", "export-reviews", "-o", str(out), env={"HOTLINE_DB_URL": pbx.db_url})
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")), delimiter="\t"))
    mine = [row for row in rows if row["source"] == "review:e2e-reviewer"]
    assert len(mine) == 1
    row = mine[0]
    assert row["text"] == " ".join(call.transcript.split())
    assert (row["kind"], row["targets"], row["emergency"], row["category"]) == ("number", "120,110", "1", "violence")
    assert row["platform"] == "12345" and row["reviewer"] == "e2e-reviewer"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$", row["reviewed_at"])
    with log.session() as s:
        trail = [
            (e.action, e.object_id) for e in s.scalars(select(AuditEntry).where(AuditEntry.username == "e2e-reviewer"))
        ]
    assert ("call_view", r["call_id"]) in trail and ("review", r["call_id"]) in trail

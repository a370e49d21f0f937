"""The audit log: every sign-in, call view, recording play, export, review and user / token change is
recorded with who, what, when and from where; it is append-only, browsable and exportable by admins."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from hotline.admin.tokens import issue_token
from hotline.store.models import AuditEntry
from tests.admin_support import call_id, csrf, login, make_app, make_log


@pytest.fixture
def app(tmp_path):
    db, _ = make_log(tmp_path, calls=60)
    return make_app(tmp_path, db)


def entries(log, action=None):
    with log.session() as s:
        q = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            q = q.where(AuditEntry.action == action)
        return list(s.scalars(q))


def wait_export(c, location, tries=100):
    for _ in range(tries):
        page = c.get(location).get_data(as_text=True)
        if 'data-state="done"' in page:
            return page
        time.sleep(0.05)
    raise AssertionError("export did not finish")


def test_views_plays_exports_and_sign_ins_are_recorded(app):
    log = app.extensions["calllog"]
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    login(c, "rita", "wrong-password!")
    login(c, "rita")
    night = call_id(log, "night-1")
    c.get(f"/calls/{night}")
    c.get(f"/calls/{night}/recording.wav")
    c.get(f"/calls/{night}/recording.wav", headers={"Range": "bytes=4096-"})  # a seek is not a new play
    c.get("/calls.csv?platform=110")
    page = c.get("/calls?emergency=1").get_data(as_text=True)
    r = c.post("/exports?format=xlsx&emergency=1", data={"csrf_token": csrf(page)})
    wait_export(c, r.headers["Location"])
    job = r.headers["Location"].split("?")[0].rsplit("/", 1)[1]
    assert c.get(f"/exports/{job}/download").status_code == 200
    token = issue_token(log, "rita")
    app.test_client().get(f"/api/calls/{night}", headers={"Authorization": f"Bearer {token}"})

    trail = entries(log)
    kinds = [e.action for e in trail]
    assert kinds.count("login_failed") == 1 and kinds.count("login") == 1
    failed = next(e for e in trail if e.action == "login_failed")
    assert failed.detail == {"name": "rita"} and failed.ip == "192.0.2.44"
    views = [e for e in trail if e.action == "call_view"]
    assert [(v.object_id, v.via) for v in views] == [("night-1", "web"), ("night-1", "api")]
    assert all(v.username == "rita" and v.at.tzinfo is not None for v in views)
    plays = [e for e in trail if e.action == "recording_play"]
    assert len(plays) == 1 and plays[0].object_id == "night-1" and plays[0].ip == "192.0.2.44"
    exports = [e for e in trail if e.action == "export"]
    assert [e.detail["format"] for e in exports] == ["csv", "xlsx"]
    assert exports[0].detail["filter"] == {"platform": "110"}
    assert exports[1].detail["filter"] == {"emergency": "1"} and exports[1].detail["rows"] > 0
    assert kinds.count("export_download") == 1


def test_user_role_and_token_changes_are_recorded(app):
    log = app.extensions["calllog"]
    admin = app.test_client()
    login(admin)
    page = admin.get("/users").get_data(as_text=True)
    admin.post(
        "/users",
        data={"username": "zoe", "password": "long-enough-pw", "role": "viewer", "scope": "", "csrf_token": csrf(page)},
    )
    uid = next(e for e in entries(log, "user_create")).object_id
    with log.session() as s:
        from hotline.store.models import User

        zoe = s.scalar(select(User).where(User.username == "zoe")).id
    edit = admin.get(f"/users/{zoe}").get_data(as_text=True)
    admin.post(f"/users/{zoe}/role", data={"role": "reviewer", "scope": "12345", "csrf_token": csrf(edit)})
    admin.post(f"/users/{zoe}/password", data={"password": "new-long-password", "csrf_token": csrf(edit)})
    admin.post(f"/users/{zoe}/disable", data={"csrf_token": csrf(edit)})
    made = admin.post(f"/users/{zoe}/tokens", data={"name": "x", "days": "5", "csrf_token": csrf(edit)}).get_data(
        as_text=True
    )
    assert uid == "zoe"
    kinds = [e.action for e in entries(log)]
    for k in ("user_create", "user_update", "password_reset", "user_disable"):
        assert k in kinds, k
    upd = entries(log, "user_update")[0]
    assert upd.detail == {"before": {"role": "viewer", "scope": ""}, "after": {"role": "reviewer", "scope": "12345"}}
    assert upd.username == "alice"
    assert "无法签发" in made  # a disabled user gets no token, and none is recorded
    assert "token_create" not in kinds


def test_audit_log_is_append_only(app):
    log = app.extensions["calllog"]
    login(app.test_client())
    assert entries(log)
    for sql in ("UPDATE audit_log SET username = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), log.engine.begin() as conn:
            conn.execute(text(sql))
    assert all(e.username in ("alice", "") for e in entries(log))


def test_admins_browse_filter_and_export_the_trail(app):
    log = app.extensions["calllog"]
    admin = app.test_client()
    login(admin)
    viewer = app.test_client()
    login(viewer, "bob")
    viewer.get(f"/calls/{call_id(log, 'night-1')}")
    page = admin.get("/audit?user=bob&action=call_view").get_data(as_text=True)
    assert "共 1 条" in page and "查看通话" in page and "night-1" in page
    assert viewer.get("/audit").status_code == 403
    r = admin.get("/audit.csv?user=bob")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0].startswith("时间（北京时间）")
    assert [row[2] for row in rows[1:]] == ["登录", "查看通话"]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", rows[1][0])
    assert entries(log, "audit_export")[-1].username == "alice"

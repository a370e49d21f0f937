"""The admin site with Flask's test client: auth, roles, CSRF, filters, escaping, bad input, API."""

from __future__ import annotations

import re
import shutil
from datetime import datetime

import pytest

from hotline.admin import create_app
from hotline.admin.auth import create_user, issue_token
from hotline.admin.seed import seed_calls
from hotline.config import REPO
from hotline.store import CallLog, migrate

HOSTILE_CALLER = "<script>alert(1)</script>' OR 1=1 --"
HOSTILE_TEXT = "<img src=x onerror=alert(2)>路灯坏了"


@pytest.fixture
def app(tmp_path):
    db = f"sqlite:///{tmp_path / 'admin.db'}"
    migrate(db)
    log = CallLog(db)
    rec = tmp_path / "recordings" / "sample.wav"
    rec.parent.mkdir()
    shutil.copy2(REPO / "sounds" / "samples" / "caller-fight.wav", rec)
    seed_calls(log, 300, days=10, seed=7, end=datetime(2026, 11, 20, 12, 0, 0), recording=str(rec))
    log.open_call("hostile-1", "12345", HOSTILE_CALLER, "national")
    log.update(
        "hostile-1",
        transcript=HOSTILE_TEXT,
        action="accept",
        target="12345",
        outcome="accepted:12345",
        started_at=datetime(2026, 11, 20, 11, 0, 0),
    )
    create_user(log, "alice", "correct-horse-battery", "admin")
    create_user(log, "bob", "viewer-password-1", "viewer")
    app = create_app(db, TESTING=True, SESSION_COOKIE_SECURE=False, HOTLINE_RECORDING_ROOTS=[str(tmp_path)])
    return app


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login(client, user="alice", password="correct-horse-battery"):
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"username": user, "password": password, "csrf_token": _csrf(page)})


def test_anonymous_is_sent_to_login(app):
    c = app.test_client()
    for path in ("/calls", "/dashboard", "/profiles", "/calls/1", "/calls.csv"):
        r = c.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_login_needs_the_csrf_token(app):
    c = app.test_client()
    r = c.post("/login", data={"username": "alice", "password": "correct-horse-battery"})
    assert r.status_code in (200, 400) and b"/logout" not in r.data


def test_login_wrong_password_then_throttled(app):
    c = app.test_client()
    for _ in range(5):
        assert login(c, password="wrong-password").status_code == 401
    r = login(c)  # the right password, but the account is locked for now
    assert r.status_code == 429


def test_list_filters_search_and_pages(app):
    c = app.test_client()
    assert login(c).status_code == 302
    page = c.get("/calls").get_data(as_text=True)
    assert "共 301 通" in page
    p110 = c.get("/calls?platform=110&action=accept").get_data(as_text=True)
    assert "受理" in p110 and "12345 政务热线" not in p110.split("<tbody>")[1]
    em = c.get("/calls?emergency=1&per_page=100").get_data(as_text=True)
    assert em.count('class="emergency"') >= 1
    hit = c.get("/calls?q=路灯").get_data(as_text=True)
    assert "路灯" in hit.split("<tbody>")[1]
    assert c.get("/calls?page=2&per_page=50").status_code == 200


def test_hostile_strings_are_escaped(app):
    c = app.test_client()
    login(c)
    page = c.get("/calls?q=" + "%3Cscript%3E").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    page = c.get("/calls").get_data(as_text=True)
    assert "<img src=x" not in page
    sqli = c.get("/calls?q=%27%20OR%201%3D1%20--")
    assert sqli.status_code == 200 and "共 1 通" in sqli.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-40",
        "from=yesterday",
        "to=2026/11/01",
        "page=999999999",
        "page=abc",
        "page=-1",
        "per_page=100000",
        "platform=999",
        "sort=drop",
        "emergency=maybe",
        "q=" + "x" * 500,
    ],
)
def test_bad_filters_are_400_pages_not_500(app, query):
    c = app.test_client()
    login(c)
    r = c.get("/calls?" + query)
    assert r.status_code == 400
    assert "请求有误" in r.get_data(as_text=True)


def test_csv_export_of_the_filtered_set(app):
    c = app.test_client()
    login(c)
    r = c.get("/calls.csv?platform=110")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text = r.get_data(as_text=True).lstrip("\ufeff")
    lines = text.strip().splitlines()
    assert lines[0].startswith("呼叫ID")
    assert all(",110," in line for line in lines[1:])
    full = c.get("/calls.csv").get_data(as_text=True)
    assert "'<script>" not in full and "\"'" not in full.split("\n")[0]


def test_call_detail_shows_decision_timeline_work_order_and_recording(app):
    c = app.test_client()
    login(c)
    page = c.get("/calls/1").get_data(as_text=True)
    for label in ("分流决定", "命中短语", "工单信息", "诉求人", "事发时间", "事发地", "诉求内容", "过程记录"):
        assert label in page
    assert "<audio controls" in page
    audio = c.get("/calls/1/recording.wav")
    assert audio.status_code == 200 and audio.data[:4] == b"RIFF"
    assert c.get("/calls/999999").status_code == 404


def test_recordings_outside_the_recordings_folder_are_not_served(app):
    c = app.test_client()
    login(c)
    log = app.extensions["calllog"]
    log.update("hostile-1", recording_path="/etc/passwd")
    with log.session() as s:
        from sqlalchemy import select

        from hotline.store.models import Call

        cid = s.scalar(select(Call.id).where(Call.uniqueid == "hostile-1"))
    assert c.get(f"/calls/{cid}/recording.wav").status_code == 404


def test_dashboard_and_profiles(app):
    c = app.test_client()
    login(c, "bob", "viewer-password-1")  # a viewer may read
    d = c.get("/dashboard?days=30").get_data(as_text=True)
    for label in ("来电", "紧急", "12345 → 110", "110 → 12345", "转接成功率", "转接耗时中位数", "<svg"):
        assert label in d
    assert c.get("/dashboard?days=0").status_code == 400
    p = c.get("/profiles/guilin").get_data(as_text=True)
    assert "电力抢修" in p and "停电" in p
    assert c.get("/profiles/../../etc").status_code == 404


def test_viewer_cannot_reach_admin_pages_or_change_anything(app):
    c = app.test_client()
    login(c, "bob", "viewer-password-1")
    assert c.get("/users").status_code == 403
    page = c.get("/calls").get_data(as_text=True)
    r = c.post(
        "/users", data={"username": "eve", "password": "long-enough-pw", "role": "admin", "csrf_token": _csrf(page)}
    )
    assert r.status_code == 403
    admin = app.test_client()
    login(admin)
    users = admin.get("/users").get_data(as_text=True)
    assert "bob" in users and "eve" not in users
    r = admin.post(
        "/users", data={"username": "carol", "password": "long-enough-pw", "role": "viewer", "csrf_token": _csrf(users)}
    )
    assert r.status_code == 302 and "carol" in admin.get("/users").get_data(as_text=True)


def test_api_needs_a_token(app):
    c = app.test_client()
    assert c.get("/api/calls").status_code == 401
    assert c.get("/api/calls", headers={"Authorization": "Bearer nope"}).status_code == 401
    token = issue_token(app.extensions["calllog"], "bob")
    h = {"Authorization": f"Bearer {token}"}
    r = c.get("/api/calls?platform=12345&per_page=5", headers=h)
    assert r.status_code == 200
    body = r.get_json()
    assert body["total"] > 0 and len(body["calls"]) == 5 and all(x["platform"] == "12345" for x in body["calls"])
    one = c.get(f"/api/calls/{body['calls'][0]['id']}", headers=h).get_json()
    assert one["route"]["action"] == one["action"] and isinstance(one["events"], list)
    assert c.get("/api/calls?from=bad", headers=h).status_code == 400


def test_logout_is_a_csrf_protected_post(app):
    c = app.test_client()
    login(c)
    assert c.get("/logout").status_code == 405
    assert c.post("/logout").status_code == 400  # no CSRF token
    page = c.get("/calls").get_data(as_text=True)
    assert c.post("/logout", data={"csrf_token": _csrf(page)}).status_code == 302
    assert c.get("/calls").status_code == 302


def test_security_headers_and_cookie_flags(tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'a.db'}")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    r = app.test_client().get("/login")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"


def test_create_user_rejects_weak_passwords_and_bad_roles(tmp_path):
    migrate(f"sqlite:///{tmp_path / 'u.db'}")
    log = CallLog(f"sqlite:///{tmp_path / 'u.db'}")
    with pytest.raises(ValueError):
        create_user(log, "carol", "short", "admin")
    with pytest.raises(ValueError):
        create_user(log, "carol", "long-enough-password", "root")


def test_create_user_cli_reads_the_password_from_stdin(hotline_cli, tmp_path):
    env = {"HOTLINE_DB_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    r = hotline_cli("admin", "create-user", "dave", "--role", "viewer", stdin=b"a-long-password-1\n", env=env)
    assert r.returncode == 0, r.stderr
    again = hotline_cli("admin", "create-user", "dave", stdin=b"a-long-password-1\n", env=env)
    assert again.returncode == 2 and b"exists" in again.stderr

"""Roles (admin / reviewer / viewer), platform scopes, user management in the UI, API tokens."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.admin.tokens import issue_token
from hotline.store.models import ApiToken, Call, User
from tests.admin_support import csrf, login, make_app, make_log


@pytest.fixture
def app(tmp_path):
    db, _ = make_log(tmp_path, calls=200)
    return make_app(tmp_path, db)


def ids_of_platform(log, platform):
    with log.session() as s:
        return list(s.scalars(select(Call.id).where(Call.platform == platform)))


def user_id(log, name):
    with log.session() as s:
        return s.scalar(select(User.id).where(User.username == name))


def test_scoped_110_viewer_sees_only_110_calls(app):
    log = app.extensions["calllog"]
    c = app.test_client()
    login(c, "vic")
    page = c.get("/calls?per_page=100").get_data(as_text=True)
    cells = re.findall(r'data-label="受理">(\d+)<', page)
    assert cells and set(cells) == {"110"}
    total = int(re.search(r"共 (\d+) 通", page).group(1))
    assert total == len(ids_of_platform(log, "110"))
    # asking for 12345 explicitly finds nothing
    assert "共 0 通" in c.get("/calls?platform=12345").get_data(as_text=True)
    other = ids_of_platform(log, "12345")[0]
    assert c.get(f"/calls/{other}").status_code == 404  # not "forbidden": its existence is not revealed
    assert c.get(f"/calls/{other}/recording.wav").status_code == 404
    rows = list(csv.reader(io.StringIO(c.get("/calls.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][2] == "受理平台" and len(rows) - 1 == total
    assert {r[2] for r in rows[1:]} == {"110 报警台"}
    own = ids_of_platform(log, "110")[0]
    assert c.get(f"/calls/{own}").status_code == 200
    assert c.get(f"/calls/{own}/recording.wav").status_code == 200
    dash = c.get("/dashboard?from=2026-11-10&to=2026-11-20").get_data(as_text=True)
    assert "110 → 12345" in dash and "12345 → 110" not in dash


def test_scoped_token_sees_only_its_platform(app):
    log = app.extensions["calllog"]
    token = issue_token(log, "vic")
    h = {"Authorization": f"Bearer {token}"}
    c = app.test_client()
    body = c.get("/api/calls?per_page=100", headers=h).get_json()
    assert body["total"] == len(ids_of_platform(log, "110"))
    assert {x["platform"] for x in body["calls"]} == {"110"}
    assert c.get(f"/api/calls/{ids_of_platform(log, '12345')[0]}", headers=h).status_code == 404


def test_viewer_cannot_review_or_manage(app):
    c = app.test_client()
    login(c, "bob")
    assert c.get("/users").status_code == 403
    assert c.get("/audit").status_code == 403
    page = c.get("/calls/1").get_data(as_text=True)
    assert "保存复核" not in page
    r = c.post("/calls/1/review", data={"csrf_token": csrf(page), "verdict": "wrong", "destination": "platform|110"})
    assert r.status_code == 403
    r = c.post(
        "/users", data={"username": "eve", "password": "long-enough-pw", "role": "admin", "csrf_token": csrf(page)}
    )
    assert r.status_code == 403
    assert "用户管理" not in page.split("</header>")[0]


def test_reviewer_reviews_but_does_not_manage(app):
    c = app.test_client()
    login(c, "rita")
    page = c.get("/calls/1").get_data(as_text=True)
    assert "保存复核" in page
    assert c.get("/users").status_code == 403


def test_admin_creates_changes_disables_and_resets_users(app):
    log = app.extensions["calllog"]
    admin = app.test_client()
    login(admin)
    users = admin.get("/users").get_data(as_text=True)
    r = admin.post(
        "/users",
        data={
            "username": "carol",
            "password": "long-enough-pw",
            "role": "reviewer",
            "scope": "12345",
            "csrf_token": csrf(users),
        },
    )
    assert r.status_code == 302
    bad = admin.post(
        "/users",
        data={"username": "carol", "password": "short", "role": "viewer", "scope": "", "csrf_token": csrf(users)},
    )
    msg = re.search(r'class="flash error"[^>]*>([^<]+)<', bad.get_data(as_text=True)).group(1)
    assert bad.status_code == 400 and msg.startswith("无法创建用户") and not re.search("[A-Za-z]", msg)
    carol = app.test_client()
    assert login(carol, "carol", "long-enough-pw").status_code == 302
    assert "12345 政务热线" in carol.get("/calls").get_data(as_text=True)
    uid = user_id(log, "carol")
    edit = admin.get(f"/users/{uid}").get_data(as_text=True)
    # role and scope change take effect on carol's next request
    admin.post(f"/users/{uid}/role", data={"role": "viewer", "scope": "110", "csrf_token": csrf(edit)})
    page = carol.get("/calls?per_page=100").get_data(as_text=True)
    assert set(re.findall(r'data-label="受理">(\d+)<', page)) == {"110"}
    assert carol.get("/calls/1").get_data(as_text=True).count("保存复核") == 0
    # disabling ends carol's session at once
    admin.post(f"/users/{uid}/disable", data={"csrf_token": csrf(edit)})
    assert carol.get("/calls").status_code == 302
    assert login(app.test_client(), "carol", "long-enough-pw").status_code == 401
    admin.post(f"/users/{uid}/enable", data={"csrf_token": csrf(edit)})
    carol2 = app.test_client()
    assert login(carol2, "carol", "long-enough-pw").status_code == 302
    # a password reset ends sessions signed in with the old one
    admin.post(f"/users/{uid}/password", data={"password": "another-long-pw", "csrf_token": csrf(edit)})
    assert carol2.get("/calls").status_code == 302
    assert login(app.test_client(), "carol", "long-enough-pw").status_code == 401
    assert login(app.test_client(), "carol", "another-long-pw").status_code == 302


def test_the_last_admin_cannot_be_demoted_or_disabled(app):
    log = app.extensions["calllog"]
    admin = app.test_client()
    login(admin)
    uid = user_id(log, "alice")
    edit = admin.get(f"/users/{uid}").get_data(as_text=True)
    r = admin.post(
        f"/users/{uid}/role", data={"role": "viewer", "scope": "", "csrf_token": csrf(edit)}, follow_redirects=True
    )
    assert "至少要保留一名启用的管理员" in r.get_data(as_text=True)
    r = admin.post(f"/users/{uid}/disable", data={"csrf_token": csrf(edit)}, follow_redirects=True)
    assert "不能停用自己的账号" in r.get_data(as_text=True)
    with log.session() as s:
        u = s.get(User, uid)
        assert u.role == "admin" and not u.disabled


def test_tokens_in_the_ui_expire_record_last_use_and_revoke(app):
    log = app.extensions["calllog"]
    admin = app.test_client()
    login(admin)
    uid = user_id(log, "bob")
    edit = admin.get(f"/users/{uid}").get_data(as_text=True)
    tokens = []
    for name in ("报表系统", "值班大屏"):
        page = admin.post(f"/users/{uid}/tokens", data={"name": name, "days": "30", "csrf_token": csrf(edit)})
        tokens.append(re.search(r'id="new-token">([^<]+)<', page.get_data(as_text=True)).group(1))
    api = app.test_client()
    h0, h1 = ({"Authorization": f"Bearer {t}"} for t in tokens)
    assert api.get("/api/calls", headers=h0).status_code == 200
    assert api.get("/api/calls", headers=h1).status_code == 200
    with log.session() as s:
        rows = list(s.scalars(select(ApiToken).where(ApiToken.user_id == uid).order_by(ApiToken.id)))
        assert len(rows) == 2 and all(r.last_used_at is not None for r in rows)
        assert 29.9 < (rows[0].expires_at - rows[0].created_at).total_seconds() / 86400 < 30.1
        first_id = rows[0].id
    listing = admin.get(f"/users/{uid}").get_data(as_text=True)
    assert "报表系统" in listing and "从未使用" not in listing and tokens[0] not in listing  # shown once only
    admin.post(f"/users/{uid}/tokens/{first_id}/revoke", data={"csrf_token": csrf(listing)})
    assert api.get("/api/calls", headers=h0).status_code == 401
    assert api.get("/api/calls", headers=h1).status_code == 200  # the other token still works
    with log.session() as s:
        s.get(ApiToken, first_id + 1).expires_at = s.get(ApiToken, first_id + 1).created_at - timedelta(seconds=1)
    assert api.get("/api/calls", headers=h1).status_code == 401  # expired


def test_token_of_a_disabled_user_stops_working(app):
    log = app.extensions["calllog"]
    token = issue_token(log, "bob")
    h = {"Authorization": f"Bearer {token}"}
    c = app.test_client()
    assert c.get("/api/calls", headers=h).status_code == 200
    with log.session() as s:
        s.get(User, user_id(log, "bob")).disabled = True
    assert c.get("/api/calls", headers=h).status_code == 401

"""The admin site with Flask's test client: list, filters, sorting, paging, escaping, bad input, detail,
Chinese labels, the API's local timestamps, security headers and the CLI."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hotline.admin import create_app
from hotline.admin.auth import create_user
from hotline.admin.tokens import issue_token
from hotline.store import CallLog, migrate
from hotline.store.models import Call
from tests.admin_support import HOSTILE_TEXT, NIGHT_CALLER, call_id, login, make_app, make_log


@pytest.fixture
def app(tmp_path):
    db, _ = make_log(tmp_path)
    return make_app(tmp_path, db)


def body(html: str) -> str:
    return html.split("<tbody>")[1].split("</tbody>")[0]


def test_anonymous_is_sent_to_login(app):
    c = app.test_client()
    for path in ("/calls", "/dashboard", "/profiles", "/calls/1", "/calls.csv", "/users", "/audit"):
        r = c.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_login_needs_the_csrf_token(app):
    c = app.test_client()
    r = c.post("/login", data={"username": "alice", "password": "correct-horse-battery"})
    assert r.status_code == 400 and b"/logout" not in r.data


def test_list_filters_search_and_pages(app):
    c = app.test_client()
    assert login(c).status_code == 302
    page = c.get("/calls").get_data(as_text=True)
    assert "共 302 通" in page
    p110 = c.get("/calls?platform=110&action=accept").get_data(as_text=True)
    assert "受理" in p110 and "12345 政务热线" not in body(p110)
    em = c.get("/calls?emergency=1&per_page=100").get_data(as_text=True)
    assert em.count('class="emergency"') >= 1
    hit = c.get("/calls?q=路灯").get_data(as_text=True)
    assert "路灯" in body(hit)
    assert c.get("/calls?page=2&per_page=50").status_code == 200


def test_search_by_call_id_and_by_number(app):
    c = app.test_client()
    login(c)
    one = c.get("/calls?q=night-1").get_data(as_text=True)
    assert "共 1 通" in one and NIGHT_CALLER in body(one)
    prefix = c.get("/calls?q=1381234").get_data(as_text=True)
    assert NIGHT_CALLER in body(prefix)
    assert "共 0 通" in c.get("/calls?q=no-such-call-id").get_data(as_text=True)


def test_numbered_paging_stays_in_range(app):
    c = app.test_client()
    login(c)
    page = c.get("/calls?per_page=25&page=500").get_data(as_text=True)
    assert "第 13 / 13 页" in page  # 302 calls: page 500 shows the last page, not "第 500 / 13 页"
    assert 'aria-current="page">13<' in page
    first = c.get("/calls?page=6").get_data(as_text=True)
    numbers = re.findall(r'<a href="/calls\?[^"]*page=(\d+)">\d+</a>', first)
    assert {"1", "4", "5", "7", "8", "13"} <= set(numbers) and "2" not in numbers


def test_sortable_headers(app):
    c = app.test_client()
    login(c)
    page = c.get("/calls?sort=-handover&per_page=100").get_data(as_text=True)
    secs = [float(x) for x in re.findall(r'data-label="转接耗时">([\d.]+) 秒', page)]
    assert len(secs) > 10 and secs == sorted(secs, reverse=True)
    assert 'aria-sort="descending"' in page
    # the header of the sorted column flips the order
    assert re.search(r'href="/calls\?[^"]*sort=handover[^"]*">转接耗时 ▼', page)
    plat = c.get("/calls?sort=platform&per_page=100").get_data(as_text=True)
    cells = re.findall(r'data-label="受理">(\d+)<', plat)
    assert cells == sorted(cells)


def test_duration_and_recording_columns(app):
    c = app.test_client()
    login(c)
    page = c.get("/calls?per_page=100").get_data(as_text=True)
    assert re.search(r'data-label="时长">\d+:\d\d<', page)
    assert "▶ 录音" in page


def test_detail_link_keeps_the_list_filters(app):
    c = app.test_client()
    login(c)
    page = c.get("/calls?platform=110&emergency=1&page=2").get_data(as_text=True)
    link = re.search(r'href="(/calls/\d+\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert "platform=110" in link and "emergency=1" in link and "page=2" in link
    detail = c.get(link).get_data(as_text=True)
    back = re.search(r'href="([^"]+)">← 返回通话记录', detail).group(1).replace("&amp;", "&")
    assert back.startswith("/calls?") and "platform=110" in back and "emergency=1" in back and "page=2" in back


def test_hostile_strings_are_escaped(app):
    c = app.test_client()
    login(c)
    page = c.get("/calls?q=" + "%3Cscript%3E").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    page = c.get("/calls").get_data(as_text=True)
    assert "<img src=x" not in page and HOSTILE_TEXT not in page
    sqli = c.get("/calls?q=%27%20OR%201%3D1%20--")
    assert sqli.status_code == 200 and "共 1 通" in sqli.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-40",
        "from=yesterday",
        "to=2026/11/01",
        "from=2026-11-25T25:00",
        "from=2026-11-26&to=2026-11-25",
        "hour=3",
        "hour=24&from=2026-11-01&to=2026-11-02",
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


@pytest.mark.parametrize(
    "path",
    [
        "/calls/99999999999999999999",
        "/calls/2147483648",
        "/calls/0",
        "/calls/-1",
        "/calls/99999999999999999999/recording.wav",
        "/users/99999999999999999999",
    ],
)
def test_huge_or_bad_ids_are_404_not_500(app, path):
    c = app.test_client()
    login(c)
    assert c.get(path).status_code == 404


def test_call_detail_is_in_chinese_with_offsets_from_answer(app):
    c = app.test_client()
    login(c)
    page = c.get("/calls/1").get_data(as_text=True)
    for label in ("分流决定", "命中短语", "工单信息", "诉求人", "事发时间", "事发地", "诉求内容", "过程记录"):
        assert label in page
    assert "<audio controls" in page
    timeline = page.split('<ol class="timeline">')[1].split("</ol>")[0]
    assert "+0.0 秒" in timeline and re.search(r"\+1\d\.\d 秒", timeline)
    assert "=" not in re.sub(r"<[^>]+>", "", timeline)  # no key=value
    for code in ("emergency-first", "category", "accept", "transfer", "speech_end", "welcome-"):
        assert code not in re.sub(r"<[^>]+>", "", page.split("<main>")[1])
    assert "提示音：您好，" in timeline  # the prompt's own wording, from sounds/prompts.tsv
    audio = c.get("/calls/1/recording.wav")
    assert audio.status_code == 200 and audio.data[:4] == b"RIFF"


def test_a_danger_hint_beside_an_ordinary_matter_is_told_to_the_reviewer():
    from hotline.admin import labels

    route = {"rule": "category", "category_name": "楼道堆物", "target": "12345", "action": "conference"}
    kept = labels.explanation({**route, "emergency": False, "danger_hint": True})
    assert kept.startswith("属于「楼道堆物」") and "危险迹象" in kept and "三方通话" in kept
    assert "危险迹象" not in labels.explanation({**route, "emergency": False, "danger_hint": False})
    # an emergency's hint is the emergency itself: nothing more to say
    assert "危险迹象" not in labels.explanation({**route, "emergency": True, "danger_hint": True})


def test_an_emergency_told_at_the_end_of_a_long_story_shows_the_reviewer_where():
    from hotline.admin import labels

    route = {
        "rule": "emergency-first",
        "category_name": "火灾",
        "target": "119",
        "action": "conference",
        "emergency": True,
        "matched": ["拖欠工资", "冒黑烟"],
    }
    told = labels.explanation({**route, "told_last": "对面仓库在往外冒黑烟，有人在喊"})
    assert told.startswith("听到「拖欠工资、冒黑烟」") and "后面才说出：「对面仓库在往外冒黑烟，有人在喊」" in told
    assert "后面才说出" not in labels.explanation(route)
    assert "后面才说出" not in labels.explanation({**route, "told_last": None})  # the router's field when not told last


def test_conference_outcomes_and_categories_are_chinese(app):
    c = app.test_client()
    login(c)
    page = c.get("/calls?action=conference&per_page=100").get_data(as_text=True)
    assert "三方通话：来电人、" in page and "caller+agent" not in page
    filters = page.split('<form class="filters"')[1].split("</form>")[0]
    assert ">打架斗殴、伤害（治安、刑事）<" in filters and ">agriculture_forestry<" not in filters


def test_recordings_outside_the_recordings_folder_are_not_served(app):
    c = app.test_client()
    login(c)
    log = app.extensions["calllog"]
    log.update("hostile-1", recording_path="/etc/passwd")
    assert c.get(f"/calls/{call_id(log, 'hostile-1')}/recording.wav").status_code == 404


def test_profiles_page_in_chinese(app):
    c = app.test_client()
    login(c, "bob")
    p = c.get("/profiles/guilin").get_data(as_text=True)
    assert "电力抢修" in p and "停电" in p and "紧急，除非已过去" in p
    assert c.get("/profiles/../../etc").status_code == 404


def test_api_needs_a_valid_token_and_answers_local_iso_times(app):
    c = app.test_client()
    log = app.extensions["calllog"]
    assert c.get("/api/calls").status_code == 401
    assert c.get("/api/calls", headers={"Authorization": "Bearer nope"}).status_code == 401
    token = issue_token(log, "bob")
    h = {"Authorization": f"Bearer {token}"}
    r = c.get("/api/calls?platform=12345&per_page=5&action=transfer", headers=h)
    assert r.status_code == 200
    calls = r.get_json()["calls"]
    assert len(calls) == 5 and all(x["platform"] == "12345" for x in calls)
    one = c.get(f"/api/calls/{calls[0]['id']}", headers=h).get_json()
    assert one["route"]["action"] == one["action"] and isinstance(one["events"], list)
    night = c.get(f"/api/calls/{call_id(log, 'night-1')}", headers=h).get_json()
    assert night["started_at"] == "2026-11-25T01:32:05+08:00"  # ISO 8601 with the site's offset
    assert all(e["at"].endswith("+08:00") for e in night["events"])
    assert c.get("/api/calls?from=bad", headers=h).status_code == 400


@pytest.mark.parametrize("path", ["/api/nothing", "/api/calls/99999999999999999999", "/api/calls/0"])
def test_api_errors_are_json(app, path):
    token = issue_token(app.extensions["calllog"], "bob")
    r = app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404 and r.is_json and r.get_json()["error"]


def test_logout_is_a_csrf_protected_post(app):
    c = app.test_client()
    login(c)
    assert c.get("/logout").status_code == 405
    assert c.post("/logout").status_code == 400  # no CSRF token
    page = c.get("/calls").get_data(as_text=True)
    assert (
        c.post("/logout", data={"csrf_token": re.search(r'csrf_token" value="([^"]+)', page).group(1)}).status_code
        == 302
    )
    assert c.get("/calls").status_code == 302


def test_security_headers_favicon_and_cookie_flags(tmp_path):
    migrate(f"sqlite:///{tmp_path / 'a.db'}")
    app = create_app(f"sqlite:///{tmp_path / 'a.db'}")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    c = app.test_client()
    r = c.get("/login")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"
    assert 'rel="icon"' in r.get_data(as_text=True)
    icon = c.get("/favicon.ico", follow_redirects=True)
    assert icon.status_code == 200 and b"<svg" in icon.data


def test_create_user_rejects_weak_passwords_and_bad_roles(tmp_path):
    migrate(f"sqlite:///{tmp_path / 'u.db'}")
    log = CallLog(f"sqlite:///{tmp_path / 'u.db'}")
    with pytest.raises(ValueError, match="密码至少"):
        create_user(log, "carol", "short", "admin")
    with pytest.raises(ValueError, match="角色"):
        create_user(log, "carol", "long-enough-password", "root")
    with pytest.raises(ValueError, match="平台范围"):
        create_user(log, "carol", "long-enough-password", "viewer", "119")


@pytest.mark.slow  # the CLI as processes
def test_create_user_and_token_cli(hotline_cli, tmp_path):
    env = {"HOTLINE_DB_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    r = hotline_cli(
        "admin", "create-user", "dave", "--role", "reviewer", "--scope", "110", stdin=b"a-long-password-1\n", env=env
    )
    assert r.returncode == 0, r.stderr
    again = hotline_cli("admin", "create-user", "dave", stdin=b"a-long-password-1\n", env=env)
    assert again.returncode == 2 and "已存在" in again.stderr.decode()
    tok = hotline_cli("admin", "token", "dave", "--token-days", "7", env=env)
    assert tok.returncode == 0 and tok.stdout.decode().startswith("hl_")
    migrate(env["HOTLINE_DB_URL"])
    log = CallLog(env["HOTLINE_DB_URL"])
    from hotline.store.models import ApiToken, User

    with log.session() as s:
        u = s.scalar(select(User).where(User.username == "dave"))
        t = s.scalar(select(ApiToken))
        assert (u.role, u.scope) == ("reviewer", "110")
        assert 6.9 < (t.expires_at - t.created_at).total_seconds() / 86400 < 7.1


def test_seed_writes_aware_utc_like_the_service(tmp_path):
    _, log = make_log(tmp_path, calls=20)
    with log.session() as s:
        for c in s.scalars(select(Call)):
            assert c.started_at.utcoffset().total_seconds() == 0

"""The admin in a real headless Chromium (Debian's package) driven by Playwright, against a live
waitress server with seeded calls: issue 13's "Done when" list. Screenshots go to test-artifacts/."""

from __future__ import annotations

import concurrent.futures as cf
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotline.admin.auth import create_user
from hotline.admin.seed import seed_calls
from hotline.config import REPO
from hotline.store import CallLog, migrate
from tests.admin_support import NIGHT_CALLER, NIGHT_UTC

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="Debian's chromium is not installed"
    ),
]
PASSWORDS = {
    "alice": "correct-horse-battery",
    "rita": "reviewer-password-1",
    "vic": "viewer-110-password",
    "dora": "dora-long-password",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(db: str, tmp: Path):
    port = _free_port()
    # behind one (simulated) reverse proxy: the sign-in tests come from addresses of their own
    env = dict(os.environ, HOTLINE_DB_URL=db, HOTLINE_RECORDING_ROOTS=str(tmp), HOTLINE_ADMIN_TRUSTED_PROXIES="1")
    exe = Path(sys.executable).with_name("hotline")
    proc = subprocess.Popen(
        [str(exe), "admin", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.time() + 180  # a large database is ANALYZEd at start
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read().decode(errors="replace")[-2000:]) from None
            time.sleep(0.1)
    return proc, f"http://localhost:{port}"


@pytest.fixture(scope="module")
def live_admin(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    db = f"sqlite:///{tmp / 'admin.db'}"
    migrate(db)
    log = CallLog(db)
    rec = tmp / "rec" / "sample.wav"
    rec.parent.mkdir()
    shutil.copy2(REPO / "sounds" / "samples" / "caller-fight.wav", rec)
    seed_calls(log, 400, days=14, seed=3, end=datetime(2026, 11, 20, 12, tzinfo=UTC), recording=str(rec))
    log.open_call("night-1", "110", NIGHT_CALLER, "national")
    log.update(
        "night-1",
        started_at=NIGHT_UTC.replace(tzinfo=None),  # as the service writes it
        answered_at=NIGHT_UTC.replace(tzinfo=None),
        transcript="有人在砸车，快来",
        action="accept",
        target="110",
        emergency=True,
        category="violence",
        outcome="accepted:110",
        recording_path=str(rec),
    )
    log.open_call("hostile", "110", "<b>13800000000</b>", "national")
    log.update(
        "hostile",
        transcript="<script>document.title='pwned'</script>有人抢劫",
        action="accept",
        target="110",
        outcome="accepted:110",
        started_at=datetime(2026, 11, 20, 3, 59, tzinfo=UTC),
    )
    create_user(log, "alice", PASSWORDS["alice"], "admin")
    create_user(log, "rita", PASSWORDS["rita"], "reviewer")
    create_user(log, "vic", PASSWORDS["vic"], "viewer", "110")
    create_user(log, "dora", PASSWORDS["dora"], "viewer")
    proc, base = _serve(db, tmp)
    yield base, log
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1366, "height": 800}, accept_downloads=True, locale="zh-CN")
    pg = ctx.new_page()
    yield pg
    ctx.close()


def shot(pg, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(pg, base, user="alice", next_path="/calls"):
    pg.goto(f"{base}{next_path}")
    assert "/login" in pg.url  # anonymous -> login
    pg.fill("input[name=username]", user)
    pg.fill("input[name=password]", PASSWORDS[user])
    pg.click("button[type=submit]")
    pg.wait_for_load_state()


def cid(log, uniqueid: str) -> int:
    return log.get(uniqueid).id


def test_night_call_listed_filtered_and_charted_on_the_right_day(live_admin, page):
    base, _ = live_admin
    login(page, base)
    assert "共 402 通" in page.inner_text("h1")
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"
    shot(page, "calls")
    # filter by the local day with the date pickers
    page.fill("input[name=from]", "2026-11-25")
    page.fill("input[name=to]", "2026-11-25")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("table.calls tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").first.inner_text().startswith("2026-11-25 01:32:05")
    assert NIGHT_CALLER in rows.first.inner_text()
    page.fill("input[name=from]", "2026-11-24")
    page.fill("input[name=to]", "2026-11-24")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert NIGHT_CALLER not in page.inner_text("table.calls")
    # charted on the 25th, in the 01 hour; the bar leads back to it
    page.goto(f"{base}/dashboard?from=2026-11-24&to=2026-11-25")
    bar = page.locator('svg a[aria-label^="11-25 受理"]')
    assert bar.count() == 1 and page.locator('svg a[aria-label^="11-24"]').count() == 0
    assert page.locator('svg a[aria-label^="01 时 110 报警台：1 通"]').count() == 1
    bar.click()
    page.wait_for_load_state()
    assert "共 1 通" in page.inner_text("h1") and NIGHT_CALLER in page.inner_text("table.calls")


def test_open_redirect_and_huge_ids_answer_safely(live_admin, page):
    base, _ = live_admin
    login(page, base, next_path="/login?next=/%09/evil.example")
    assert page.url.startswith(base + "/") and "evil" not in page.url
    for path in ("/login?next=/%0a/evil.example", "/login?next=%2F%2Fevil.example"):
        resp = page.goto(base + path)
        assert resp.status == 200  # already signed in: the form again, never a 500
    resp = page.goto(f"{base}/calls/99999999999999999999")
    assert resp.status == 404 and "找不到" in page.inner_text("h1")
    resp = page.goto(f"{base}/api/calls/99999999999999999999")
    assert resp.status in (401, 404) and resp.headers["content-type"].startswith("application/json")
    resp = page.goto(f"{base}/api/no-such-thing")
    assert resp.headers["content-type"].startswith("application/json")


def _form_login(base: str, name: str, password: str, ip: str) -> int:
    """One sign-in as a separate browser-less client (own session cookie and CSRF token) from `ip`."""
    opener = urllib.request.build_opener(_NoRedirect)
    first = opener.open(urllib.request.Request(f"{base}/login", headers={"X-Forwarded-For": ip}), timeout=30)
    html = first.read().decode()
    # the session cookie is Secure; this plain-HTTP test client sends it back by hand
    cookie = "; ".join(c.split(";", 1)[0] for c in first.headers.get_all("Set-Cookie") or [])
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"username": name, "password": password, "csrf_token": token}).encode()
    req = urllib.request.Request(f"{base}/login", data=data, headers={"X-Forwarded-For": ip, "Cookie": cookie})
    try:
        return opener.open(req, timeout=60).status
    except urllib.error.HTTPError as e:
        return e.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def test_parallel_sign_ins_and_enumeration_answer_safely(live_admin, page):
    base, _ = live_admin
    passwords = [f"wrong-guess-{i:02d}" for i in range(39)] + [PASSWORDS["dora"]]
    with cf.ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(lambda pw: _form_login(base, "dora", pw, "203.0.113.7"), passwords))
    assert sum(1 for c in codes if c in (302, 401)) <= 5 and codes.count(429) >= 35, codes
    # the same answer for a name that does not exist, once throttled as well
    assert _form_login(base, "dora", PASSWORDS["dora"], "203.0.113.7") == 429  # the right one, too late
    assert _form_login(base, "dora", PASSWORDS["dora"], "198.51.100.30") == 302  # not locked out elsewhere
    unknown = [_form_login(base, "nobody-at-all", "wrong-guess", "203.0.113.8") for _ in range(6)]
    assert unknown == [401] * 5 + [429]
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "nobody-else")
    page.fill("input[name=password]", "wrong-guess")
    page.click("button[type=submit]")
    unknown_msg = page.inner_text(".flash")
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "wrong-guess")
    page.click("button[type=submit]")
    assert page.inner_text(".flash") == unknown_msg == "用户名或密码不正确。"


def test_scoped_110_viewer_cannot_see_play_or_export_12345_calls(live_admin, page):
    base, log = live_admin
    login(page, base, "vic")
    cells = page.locator('table.calls td[data-label="受理"]').all_inner_texts()
    assert cells and set(cells) == {"110"}
    with log.session() as s:
        from sqlalchemy import select

        from hotline.store.models import Call

        other = s.scalar(select(Call.id).where(Call.platform == "12345"))
    assert page.goto(f"{base}/calls/{other}").status == 404
    assert page.goto(f"{base}/calls/{other}/recording.wav").status == 404
    page.goto(f"{base}/calls?platform=12345")
    assert "共 0 通" in page.inner_text("h1")
    page.goto(f"{base}/calls")
    with page.expect_download(timeout=60_000) as dl:
        page.click("#export-xlsx")
    from openpyxl import load_workbook

    assert dl.value.suggested_filename.endswith(".xlsx")
    with open(dl.value.path(), "rb") as f:
        rows = list(load_workbook(f, read_only=True)["通话记录"].iter_rows(values_only=True))
    assert len(rows) > 50 and {r[2] for r in rows[1:]} == {"110 报警台"}


def test_views_plays_and_exports_appear_in_the_audit_log(live_admin, browser):
    base, log = live_admin
    ctx = browser.new_context(accept_downloads=True)
    pg = ctx.new_page()
    login(pg, base, "rita")
    night = cid(log, "night-1")
    pg.goto(f"{base}/calls/{night}")
    played = pg.evaluate("""() => new Promise((ok, bad) => {
        const a = document.querySelector('audio');
        a.addEventListener('playing', () => ok(true));
        a.addEventListener('error', () => bad('audio error'));
        a.play().catch(bad);
    })""")
    assert played
    pg.goto(f"{base}/calls?emergency=1")
    with pg.expect_download(timeout=60_000):
        pg.click("#export-csv")
    ctx.close()
    ctx = browser.new_context()
    pg = ctx.new_page()
    login(pg, base, "alice")
    pg.goto(f"{base}/audit?user=rita")
    text = pg.inner_text("table.audit")
    for label in ("登录", "查看通话", "播放录音", "导出数据", "下载导出文件"):
        assert label in text, label
    assert "night-1" in text
    shot(pg, "audit")
    ctx.close()


def test_reviewer_marks_a_decision_wrong(live_admin, page):
    base, log = live_admin
    login(page, base, "rita")
    page.goto(f"{base}/calls/{cid(log, 'demo-3-7')}")
    page.check("input[name=verdict][value=wrong]")
    page.select_option("select[name=destination]", "number|120,110")
    page.check("input[name=emergency]")
    page.fill("textarea[name=note]", "有人受伤")
    page.click("#save-review")
    page.wait_for_load_state()
    assert "已记录纠正" in page.inner_text(".flash")
    assert "120 急救" in page.inner_text("section.review")
    # the form now starts from that correction
    assert page.locator("select[name=destination]").input_value() == "number|120,110"
    shot(page, "call-detail")


def test_phone_width_has_no_horizontal_scroll(live_admin, browser):
    base, log = live_admin
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    pg = ctx.new_page()
    login(pg, base)
    for name, path in (
        ("calls", "/calls"),
        ("detail", f"/calls/{cid(log, 'night-1')}"),
        ("dashboard", "/dashboard?from=2026-11-06&to=2026-11-25"),
        ("users", "/users"),
        ("audit", "/audit"),
        ("profiles", "/profiles"),
    ):
        pg.goto(base + path)
        width = pg.evaluate("document.documentElement.scrollWidth")
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"))
        assert width <= 390, (name, width)
    ctx.close()


# WCAG 2.x relative luminance and contrast of every text against what is behind it
CONTRAST_JS = """() => {
  const lum = (c) => {
    const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const rgb = (s) => {
    const m = s.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(x => parseFloat(x));
    return p.length > 3 && p[3] === 0 ? null : p.slice(0, 3);
  };
  const bg = (el) => {
    for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c) return c; }
    return [255, 255, 255];
  };
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const t = walker.currentNode; if (!t.textContent.trim()) continue;
    const el = t.parentElement; const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.display === 'none') continue;
    if (el.closest('details:not([open])') && el.tagName !== 'SUMMARY') continue;
    const r = el.getBoundingClientRect(); if (!r.width || !r.height) continue;
    const fg = rgb(el instanceof SVGElement ? st.fill : st.color) || [0, 0, 0];
    const b = bg(el instanceof SVGElement ? el.closest('section, figure, body') : el);
    const [l1, l2] = [lum(fg), lum(b)].sort((x, y) => y - x);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    if (ratio < 4.5) bad.push(t.textContent.trim().slice(0, 20) + ' ' + ratio.toFixed(2));
  }
  return bad;
}"""


def test_text_contrast_meets_wcag_aa_and_charts_are_named(live_admin, page):
    base, log = live_admin
    login(page, base)
    for path in ("/calls", f"/calls/{cid(log, 'night-1')}", "/dashboard?from=2026-11-06&to=2026-11-25", "/users"):
        page.goto(base + path)
        assert page.evaluate(CONTRAST_JS) == [], path
    # the check itself finds grey text that is too light (#999 on white: 2.85:1)
    page.evaluate(
        "() => { const p = document.createElement('p'); p.textContent = '浅灰'; p.style.color = '#999';"
        " document.querySelector('main').append(p); }"
    )
    assert any(x.startswith("浅灰") for x in page.evaluate(CONTRAST_JS))
    page.goto(f"{base}/dashboard?from=2026-11-06&to=2026-11-25")
    figures = page.locator("figure.chart")
    assert figures.count() == 6
    for i in range(figures.count()):
        f = figures.nth(i)
        name = page.evaluate(
            "(el) => document.getElementById(el.getAttribute('aria-labelledby')).textContent", f.element_handle()
        )
        assert name.strip()
        assert f.locator("details summary").inner_text() == "以表格查看"
    page.locator("figure.chart details summary").first.click()
    assert page.locator("figure.chart details table").first.is_visible()
    shot(page, "dashboard")
    icon = page.goto(f"{base}/favicon.ico")
    assert icon.status == 200 and b"<svg" in icon.body()


@pytest.mark.slow
def test_xlsx_export_of_150000_calls_opens_with_numbers_and_chinese_labels(browser, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("big")
    db = f"sqlite:///{tmp / 'big.db'}"
    migrate(db)
    log = CallLog(db)
    seed_calls(log, 150_000, days=60, seed=5, events=False, end=datetime(2026, 11, 20, 12, tzinfo=UTC))
    create_user(log, "alice", PASSWORDS["alice"], "admin")
    proc, base = _serve(db, tmp)
    try:
        ctx = browser.new_context(accept_downloads=True)
        pg = ctx.new_page()
        login(pg, base)
        assert "共 150000 通" in pg.inner_text("h1")
        pg.click("#export-xlsx")
        pg.wait_for_url(re.compile(r".*/exports/"))
        progress = pg.locator("#export-progress")
        assert progress.get_attribute("max") == "150000"
        with pg.expect_download(timeout=600_000) as dl:
            pass  # the progress page refreshes itself and starts the download when the file is ready
        assert dl.value.suggested_filename.endswith(".xlsx")
        path = dl.value.path()
        data = Path(path).read_bytes()
        ctx.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(data), read_only=True)["通话记录"]
    n = 0
    callers = set()
    labels_seen = set()
    for i, row in enumerate(ws.iter_rows(values_only=True)):
        if i == 0:
            assert row[:3] == ("呼叫ID", "来电号码", "受理平台")
            continue
        n += 1
        if i < 2000:
            callers.add(row[1])
            labels_seen.update((row[2], row[9]))
    assert n == 150_000
    assert all(isinstance(c, str) and re.fullmatch(r"(1[3589]\d{9}|0\d{3}-\d{8})", c) for c in callers)
    assert {"110 报警台", "12345 政务热线", "受理", "一键转接"} <= labels_seen

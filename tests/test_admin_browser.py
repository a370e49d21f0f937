"""The admin in a real headless Chromium (Debian's package) driven by Playwright, against a live
waitress server with seeded calls. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from hotline.admin.auth import create_user
from hotline.admin.seed import seed_calls
from hotline.config import REPO
from hotline.store import CallLog, migrate

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="Debian's chromium is not installed"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_admin(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    db = f"sqlite:///{tmp / 'admin.db'}"
    migrate(db)
    log = CallLog(db)
    rec = tmp / "rec" / "sample.wav"
    rec.parent.mkdir()
    shutil.copy2(REPO / "sounds" / "samples" / "caller-fight.wav", rec)
    seed_calls(log, 400, days=14, seed=3, end=datetime(2026, 11, 20, 12), recording=str(rec))
    log.open_call("hostile", "110", "<b>13800000000</b>", "national")
    log.update(
        "hostile",
        transcript="<script>document.title='pwned'</script>有人抢劫",
        action="accept",
        target="110",
        outcome="accepted:110",
        started_at=datetime(2026, 11, 20, 11, 59),
    )
    create_user(log, "alice", "correct-horse-battery", "admin")
    create_user(log, "bob", "viewer-password-1", "viewer")
    port = _free_port()
    env = dict(os.environ, HOTLINE_DB_URL=db, HOTLINE_RECORDING_ROOTS=str(tmp))
    exe = Path(sys.executable).with_name("hotline")
    proc = subprocess.Popen(
        [str(exe), "admin", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://localhost:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield base
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


def login(pg, base, user="alice", password="correct-horse-battery"):
    pg.goto(f"{base}/calls")
    assert "/login" in pg.url  # anonymous -> login
    pg.fill("input[name=username]", user)
    pg.fill("input[name=password]", password)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{base}/calls")


def test_login_filter_search_open_call_and_listen(live_admin, page):
    base = live_admin
    login(page, base)
    assert "共 401 通" in page.inner_text("h1")
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"
    shot(page, "calls")
    page.select_option("select[name=platform]", "110")
    page.select_option("select[name=emergency]", "1")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("table.calls tbody tr")
    assert rows.count() > 0
    for i in range(rows.count()):
        assert rows.nth(i).locator("td").nth(2).inner_text() == "110"
        assert rows.nth(i).locator("td").nth(5).inner_text() == "紧急"
    page.goto(f"{base}/calls")
    page.fill("input[name=q]", "抢劫")
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state()
    assert page.locator("table.calls tbody tr").count() > 0
    assert page.title() != "pwned"  # the hostile transcript is text, not script
    assert "<script>" in page.locator("table.calls").inner_text()
    page.locator("table.calls tbody tr a").first.click()
    page.wait_for_load_state()
    assert "分流决定" in page.content() and "过程记录" in page.content()
    page.goto(f"{base}/calls/1")
    audio = page.locator("audio")
    src = audio.get_attribute("src")
    assert src and src.endswith("/recording.wav")
    # the browser really loads and decodes it
    duration = page.evaluate("""() => new Promise((ok, bad) => {
        const a = document.querySelector('audio');
        if (a.readyState >= 1) return ok(a.duration);
        a.addEventListener('loadedmetadata', () => ok(a.duration));
        a.addEventListener('error', () => bad('audio error'));
        a.load();
    })""")
    assert duration > 1.0
    shot(page, "call-detail")


def test_csv_export_downloads_the_filtered_set(live_admin, page):
    base = live_admin
    login(page, base)
    page.goto(f"{base}/calls?platform=12345")
    with page.expect_download() as dl:
        page.click("#csv")
    path = dl.value.path()
    text = Path(path).read_text(encoding="utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("呼叫ID") and len(lines) > 10
    assert all(",12345," in line for line in lines[1:])


def test_dashboard_renders_charts(live_admin, page):
    base = live_admin
    login(page, base)
    page.goto(f"{base}/dashboard")
    assert page.locator("svg.chart").count() >= 3
    assert page.locator("svg.chart rect").count() > 20
    assert "转接成功率" in page.inner_text("body")
    shot(page, "dashboard")


def test_viewer_is_refused_admin_pages(live_admin, page):
    base = live_admin
    login(page, base, "bob", "viewer-password-1")
    assert "用户管理" not in page.inner_text("header")
    resp = page.goto(f"{base}/users")
    assert resp.status == 403 and "没有权限" in page.inner_text("body")


def test_bad_dates_show_a_clear_page(live_admin, page):
    base = live_admin
    login(page, base)
    resp = page.goto(f"{base}/calls?from=2026-02-31")
    assert resp.status == 400 and "格式不正确" in page.inner_text("body")
    resp = page.goto(f"{base}/calls?page=99999999999")
    assert resp.status == 400

"""Shared set-up of the admin tests: a seeded call log, the users of each role, signing in."""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hotline.admin import create_app
from hotline.admin.auth import create_user
from hotline.admin.seed import seed_calls
from hotline.config import REPO
from hotline.store import CallLog, migrate
from tests.db_support import migrated_sqlite, settle_sqlite

HOSTILE_CALLER = "<script>alert(1)</script>' OR 1=1 --"
HOSTILE_TEXT = "<img src=x onerror=alert(2)>路灯坏了"
# 01:32:05 on 25 November in Beijing is 17:32:05 on 24 November in UTC
NIGHT_UTC = datetime(2026, 11, 24, 17, 32, 5, tzinfo=UTC)
NIGHT_CALLER = "13812345678"
USERS = {
    "alice": ("correct-horse-battery", "admin", ""),
    "rita": ("reviewer-password-1", "reviewer", ""),
    "bob": ("viewer-password-1", "viewer", ""),
    "vic": ("viewer-110-password", "viewer", "110"),
}


_TEMPLATES: dict[tuple[int, bool], Path] = {}


def make_log(tmp: Path, calls: int = 300, events: bool = True) -> tuple[str, CallLog]:
    """A call log in `tmp`, copied from a template built once per size (seeding and hashing the users'
    passwords is most of a test's time)."""
    key = (calls, events)
    if key not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="admin-template-"))
        # one per size and test process, kept for the whole session (tests copy from it), removed after
        atexit.register(shutil.rmtree, folder, True)
        _, log = _build(folder, calls, events)
        settle_sqlite(log.engine)
        _TEMPLATES[key] = folder
    shutil.copy2(_TEMPLATES[key] / "admin.db", tmp / "admin.db")
    db = f"sqlite:///{tmp / 'admin.db'}"
    migrate(db)
    return db, CallLog(db)


def template_dirs() -> list[str]:
    return [str(p) for p in _TEMPLATES.values()]


def _build(tmp: Path, calls: int, events: bool) -> tuple[str, CallLog]:
    db = migrated_sqlite(tmp / "admin.db")
    log = CallLog(db)
    rec = tmp / "recordings" / "sample.wav"
    rec.parent.mkdir(exist_ok=True)
    shutil.copy2(REPO / "sounds" / "samples" / "caller-fight.wav", rec)
    seed_calls(
        log, calls, days=10, seed=7, end=datetime(2026, 11, 20, 12, tzinfo=UTC), recording=str(rec), events=events
    )
    # the night call, written as the service writes it (naive UTC, as calllog.utcnow() gives)
    log.open_call("night-1", "110", NIGHT_CALLER, "national")
    naive = NIGHT_UTC.replace(tzinfo=None)
    log.update(
        "night-1",
        started_at=naive,
        answered_at=naive,
        transcript="有人在砸车，快来",
        action="accept",
        target="110",
        category="violence",
        emergency=True,
        outcome="accepted:110",
        recording_path=str(rec),
        route={"rule": "emergency-first", "target": "110", "action": "accept", "category": "violence"},
    )
    log.open_call("hostile-1", "12345", HOSTILE_CALLER, "national")
    log.update(
        "hostile-1",
        transcript=HOSTILE_TEXT,
        action="accept",
        target="12345",
        outcome="accepted:12345",
        started_at=datetime(2026, 11, 20, 3, 0, 0, tzinfo=UTC),
    )
    for name, (pw, role, scope) in USERS.items():
        create_user(log, name, pw, role, scope)
    return db, log


def make_app(tmp: Path, db: str, **over):
    return create_app(
        db,
        TESTING=True,
        SESSION_COOKIE_SECURE=False,
        HOTLINE_RECORDING_ROOTS=[str(tmp), *template_dirs()],
        HOTLINE_EXPORT_DIR=str(tmp / "exports"),
        **over,
    )


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login(client, user: str = "alice", password: str | None = None, next_url: str | None = None):
    password = password if password is not None else USERS[user][0]
    page = client.get("/login").get_data(as_text=True)
    url = "/login" + (f"?next={next_url}" if next_url is not None else "")
    return client.post(url, data={"username": user, "password": password, "csrf_token": csrf(page)})


def call_id(log: CallLog, uniqueid: str) -> int:
    return log.get(uniqueid).id

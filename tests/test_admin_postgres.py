"""The admin's schema and queries on PostgreSQL: revision 0004 turns the old naive-UTC columns into
timestamptz (values kept), the audit log refuses updates and deletes, throttling upserts, the JSON
rule in exports, the daily figures. A throw-away cluster is started with Debian's PostgreSQL binaries;
skipped where they (or psycopg) are missing."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DatabaseError

BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
pytestmark = pytest.mark.skipif(not BIN or os.geteuid() != 0, reason="needs Debian's PostgreSQL and root")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pg_url():
    pytest.importorskip("psycopg")
    if shutil.which("runuser") is None:
        pytest.skip("runuser is missing")
    # pytest's folders are root's alone: the cluster lives where the postgres user can reach it
    base = Path(tempfile.mkdtemp(prefix="hotline-admin-pg-"))
    os.chmod(base, 0o755)
    data = base / "data"
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")
    shutil.chown(base, "postgres", "postgres")
    port = _free_port()
    as_pg = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_pg, f"{BIN[-1]}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres"], check=True, capture_output=True
    )
    log = data.parent / "pg.log"
    subprocess.run(
        [
            *as_pg,
            f"{BIN[-1]}/pg_ctl",
            "-D",
            str(data),
            "-l",
            str(log),
            "-w",
            "-o",
            f"-p {port} -k {data.parent} -c listen_addresses=127.0.0.1",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    for _ in range(50):
        try:
            create_engine(url).connect().close()
            break
        except Exception:
            time.sleep(0.2)
    yield url
    subprocess.run([*as_pg, f"{BIN[-1]}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(base, ignore_errors=True)


def test_upgrade_from_0002_keeps_instants_and_admin_works(pg_url, tmp_path):
    from alembic import command
    from alembic.config import Config as AlembicConfig

    from hotline.store.calllog import MIGRATIONS, make_engine

    engine = make_engine(pg_url)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        conn.execute(
            text(
                "INSERT INTO calls (uniqueid, caller, platform, profile, started_at, transcript, asr_engine, emergency,"
                " dtmf, action, target, outcome, route) VALUES ('old-1', '13812345678', '110', 'national',"
                " '2026-11-24 17:32:05', '有人砸车', '', true, '', 'accept', '110', 'accepted:110',"
                ' \'{"rule": "emergency-first"}\')'
            )
        )
        conn.execute(
            text(
                "INSERT INTO users (username, password_hash, role, api_token_hash, created_at, failed_logins)"
                " VALUES ('old', 'x', 'admin', 'abc', '2026-11-01 00:00:00', 0)"
            )
        )
    from hotline.admin.auth import create_user
    from hotline.store import CallLog, migrate
    from hotline.store.models import ApiToken, AuditEntry, Call

    migrate(pg_url)  # upgrades to head
    log = CallLog(pg_url)
    with log.engine.connect() as conn:
        kind = conn.execute(
            text(
                "SELECT data_type FROM information_schema.columns WHERE table_name='calls' AND column_name='started_at'"
            )
        ).scalar()
    assert kind == "timestamp with time zone"
    call = log.get("old-1")
    assert call.started_at == datetime(2026, 11, 24, 17, 32, 5, tzinfo=UTC)  # the same instant
    with log.session() as s:
        assert s.scalar(select(ApiToken.token_hash)) == "abc"

    create_user(log, "alice", "correct-horse-battery", "admin")
    from tests.admin_support import login, make_app

    app = make_app(tmp_path, pg_url)
    c = app.test_client()
    assert login(c).status_code == 302
    page = c.get("/calls?from=2026-11-25&to=2026-11-25").get_data(as_text=True)
    assert "2026-11-25 01:32:05" in page and "共 1 通" in page
    csv_text = c.get("/calls.csv").get_data(as_text=True)
    assert "紧急优先" in csv_text  # the rule read with PostgreSQL's JSON operator
    dash = c.get("/dashboard?from=2026-11-24&to=2026-11-25").get_data(as_text=True)
    assert "11-25 受理：1 通" in dash
    with log.session() as s:
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.action == "login")) == "login"
        assert s.get(Call, call.id).updated_at.tzinfo is not None
    with pytest.raises(DatabaseError, match="append-only"), log.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
    from hotline.admin.throttle import IP_NAME_LIMIT, Throttle

    t = Throttle(log.engine)
    got = [t.acquire("192.0.2.1", "alice", now=5000.0) for _ in range(IP_NAME_LIMIT + 1)]
    assert all(got[:IP_NAME_LIMIT]) and got[-1] is None
    from hotline.admin import stats

    assert stats.refresh(log, ZoneInfo("Asia/Shanghai")) >= 0

"""PostgreSQL for real (scripts/postgres.sh): the schema, a network outage between the service and the
database, and the admin over it. The store tests (test_journal, test_reconcile) also run on it."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hotline.store import CallLog, migrate
from hotline.store.journal import CallJournal


class Proxy:
    """A TCP proxy in front of PostgreSQL: closing it is a network outage, opening it the recovery."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.close()

    def cut(self) -> None:
        self.up.clear()
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
        self.conns.clear()

    def restore(self) -> None:
        self.up.set()


def test_the_schema_migrates_and_a_long_cdr_value_cannot_break_it(postgres_url):
    assert migrate(postgres_url) == migrate(postgres_url)  # once, then a no-op
    log = CallLog(postgres_url)
    # a caller number far longer than its column: bounded, not an error that stops later records
    log.apply_open_call("1.1", "12345", "9" * 300, "national")
    assert len(log.get("1.1").caller) == 64


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_the_migrations_build_the_schema_the_models_declare(engine, tmp_path, request):
    """Every table, column and index of the models comes from a migration (and no migration adds more)."""
    import hotline.linkage.models  # noqa: F401  (the orders' tables)
    from hotline.store.calllog import make_engine
    from hotline.store.models import Base

    url = f"sqlite:///{tmp_path / 'm.db'}" if engine == "sqlite" else request.getfixturevalue("postgres_url")
    migrate(url)
    with make_engine(url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_records_wait_out_a_database_outage_and_arrive_once(postgres_url, tmp_path):
    migrate(postgres_url)
    u = urlsplit(postgres_url)
    proxy = Proxy(u.hostname, u.port)
    via_proxy = postgres_url.replace(f":{u.port}/", f":{proxy.port}/")
    log = CallLog(via_proxy)
    journal = CallJournal(log, tmp_path / "journal")
    journal.start()
    journal.open_call("2.1", "110", "13800138000", "national")
    assert journal.flush()
    proxy.cut()
    t0 = time.perf_counter()
    journal.decision("2.1", {"action": "transfer", "target": "110", "emergency": True}, {"rule": "emergency-first"})
    journal.event("2.1", "answered", target="110")
    journal.update("2.1", outcome="reached:110", ended_at=datetime(2026, 12, 1, 2, 0, 0, tzinfo=UTC))
    assert time.perf_counter() - t0 < 0.2  # the call did not wait
    time.sleep(2)
    assert journal.pending() == 3 and not journal.store_ok
    proxy.restore()
    assert journal.flush(timeout=60)
    journal.stop()
    direct = CallLog(postgres_url)
    call = direct.get("2.1")
    assert (call.action, call.outcome, call.emergency) == ("transfer", "reached:110", True)
    assert [e.kind for e in direct.events("2.1")] == ["answer", "decision", "answered"]


def test_the_admin_lists_and_shows_calls_from_postgresql(postgres_url, tmp_path):
    from hotline.admin import create_app
    from hotline.admin.auth import create_user
    from hotline.admin.seed import seed_calls

    migrate(postgres_url)
    log = CallLog(postgres_url)
    seed_calls(log, 60, days=5, seed=3, end=datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC))
    create_user(log, "reviewer", "a-long-password-1", "admin")
    app = create_app(postgres_url, WTF_CSRF_ENABLED=False, SESSION_COOKIE_SECURE=False)
    client = app.test_client()
    r = client.post("/login", data={"username": "reviewer", "password": "a-long-password-1"})
    assert r.status_code in (302, 303)
    listing = client.get("/calls?platform=110")
    assert listing.status_code == 200
    csv = client.get("/calls.csv")
    assert csv.status_code == 200 and csv.data.count(b"\n") > 10
    from sqlalchemy import select

    from hotline.store import Call

    with log.session() as s:
        call = s.scalar(select(Call).where(Call.transcript != "").limit(1))
    detail = client.get(f"/calls/{call.id}")
    assert detail.status_code == 200 and call.transcript[:6].encode() in detail.data

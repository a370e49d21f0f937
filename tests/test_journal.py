"""The call journal: the call path never waits on the database, and nothing is lost or applied twice."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import UTC, datetime

import pytest

from hotline.store import CallLog, migrate
from hotline.store.journal import JOURNAL_FILE, REJECTED_FILE, CallJournal
from tests.db_support import migrated_sqlite


@pytest.fixture
def store(tmp_path, db_url):
    migrate(db_url)
    return CallLog(db_url), tmp_path / "journal"


@pytest.fixture
def sqlite_store(tmp_path):
    return CallLog(migrated_sqlite(tmp_path / "calls.db")), tmp_path / "journal"


def test_entries_are_applied_in_order_and_the_file_empties(store):
    log, folder = store
    j = CallJournal(log, folder)
    j.start()
    j.open_call("1.1", "12345", "13800000000", "national")
    j.event("1.1", "prompt", prompt="welcome-12345")
    j.decision("1.1", {"action": "transfer", "target": "110", "emergency": True}, {"rule": "emergency-first"})
    j.update("1.1", outcome="reached:110", ended_at=datetime(2026, 12, 1, 1, 2, 3, tzinfo=UTC))
    assert j.flush()
    call = log.get("1.1")
    assert (call.action, call.target, call.emergency, call.outcome) == ("transfer", "110", True, "reached:110")
    assert call.ended_at == datetime(2026, 12, 1, 1, 2, 3, tzinfo=UTC)
    assert [e.kind for e in log.events("1.1")] == ["answer", "prompt", "decision"]
    assert j.stop()
    assert (folder / JOURNAL_FILE).stat().st_size == 0  # everything applied: the file starts afresh


def test_a_locked_database_delays_the_record_but_never_the_caller(sqlite_store):
    log, folder = sqlite_store
    db_path = log.url.split("///", 1)[1]
    j = CallJournal(log, folder)
    j.start()
    locker = sqlite3.connect(db_path, timeout=0)
    locker.execute("BEGIN EXCLUSIVE")  # another process holds the database
    log.engine.dispose()
    t0 = time.perf_counter()
    for i in range(50):
        j.open_call(f"2.{i}", "110", "", "national")
        j.decision(f"2.{i}", {"action": "accept", "target": "110"}, {"rule": "category"})
    appended = time.perf_counter() - t0
    assert appended < 0.5  # 100 writes while the database is locked: the call path did not wait
    time.sleep(0.5)
    assert j.pending() > 0
    locker.rollback()
    locker.close()
    assert j.flush(timeout=60)
    assert all(log.get(f"2.{i}").action == "accept" for i in range(50))
    j.stop()


def test_entries_not_applied_before_a_crash_are_replayed_once(store):
    log, folder = store
    j = CallJournal(log, folder)  # never started: a process killed before its writer caught up
    j.open_call("3.1", "12345", "", "national")
    j.event("3.1", "prompt", prompt="welcome-12345")
    j.event("3.1", "speech_end", voiced_s=2.0)
    # the writer had applied the first two entries and then the process died before the checkpoint
    lines = (folder / JOURNAL_FILE).read_text().splitlines()
    first, second = (json.loads(x) for x in lines[:2])
    log.apply_open_call("3.1", "12345", "", "national")
    log.apply_event("3.1", second["kind"], None, second["detail"], second["id"])
    assert first["op"] == "open"
    again = CallJournal(log, folder)
    assert again.pending() == 3
    again.start()
    assert again.flush()
    kinds = [e.kind for e in log.events("3.1")]
    assert kinds.count("prompt") == 1 and kinds.count("speech_end") == 1  # nothing twice
    again.stop()


def test_a_line_cut_by_a_crash_is_dropped_and_the_next_entry_starts_clean(store):
    log, folder = store
    j = CallJournal(log, folder)
    j.open_call("4.1", "110", "", "national")
    with (folder / JOURNAL_FILE).open("ab") as f:
        f.write(b'{"id": "x", "op": "event", "uid": "4.1", "ki')  # the crash came mid-write
    again = CallJournal(log, folder)
    again.event("4.1", "prompt", prompt="welcome-110")
    again.start()
    assert again.flush()
    assert [e.kind for e in log.events("4.1")] == ["answer", "prompt"]
    again.stop()


def test_an_entry_the_database_refuses_is_kept_aside_and_the_rest_go_on(store):
    log, folder = store
    j = CallJournal(log, folder)
    j.start()
    j.open_call("5.1", "12345", "", "national")
    j.update("5.1", no_such_column="x")  # a bug: never applicable
    j.update("5.1", outcome="agent")
    assert j.flush()
    assert log.get("5.1").outcome == "agent"
    rejected = [json.loads(x) for x in (folder / REJECTED_FILE).read_text().splitlines()]
    assert rejected[0]["fields"] == {"no_such_column": "x"} and "error" in rejected[0]
    j.stop()


def test_the_view_answers_without_the_database(store):
    log, folder = store
    j = CallJournal(log, folder)
    j.open_call("6.1", "110", "139", "national", at=1_700_000_000.0)
    j.decision("6.1", {"action": "accept", "target": "110"}, {})
    assert j.view("6.1")["action"] == "accept" and j.view("6.1")["platform"] == "110"
    assert j.view("nope") is None


def test_appends_from_threads_interleave_whole_lines(store):
    log, folder = store
    j = CallJournal(log, folder)
    j.open_call("7.1", "110", "", "national")

    def burst(n):
        for i in range(200):
            j.event("7.1", "prompt", n=n, i=i)

    threads = [threading.Thread(target=burst, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (folder / JOURNAL_FILE).read_text().splitlines()
    assert len(lines) == 801 and all(json.loads(x)["uid"] == "7.1" for x in lines)


def test_a_database_stamped_newer_than_its_tables_is_named_at_start(tmp_path):
    # a copy from another build: Alembic says head, the work-order tables are missing. Every write would
    # fail later, one call at a time; the start says which tables are missing instead.
    from sqlalchemy import text

    from hotline.store.calllog import SchemaMismatch, make_engine

    url = f"sqlite:///{tmp_path / 'calls.db'}"
    head = migrate(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE linkage_outbox"))
    with pytest.raises(SchemaMismatch, match=f"schema {head} but has no table linkage_outbox"):
        migrate(url)

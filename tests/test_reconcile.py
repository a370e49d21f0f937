"""CDR ingest and crash reconciliation, on CDR rows recorded from the real Asterisk (tests/fixtures/cdr)."""

from __future__ import annotations

import logging
import shutil
from datetime import datetime

import pytest

from hotline.agi.reconcile import Reconciler
from hotline.store import CallLog, Meta, migrate
from hotline.store.cdr import CdrReader, parse_row
from hotline.store.journal import CallJournal
from tests.conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "cdr" / "Master.csv"


@pytest.fixture
def world(tmp_path):
    url = f"sqlite:///{tmp_path / 'calls.db'}"
    migrate(url)
    log = CallLog(url)
    with log.session() as s:  # a database made before every call of the fixture
        s.merge(Meta(key="created_at", value="2026-11-30T00:00:00"))
    journal = CallJournal(log, tmp_path / "journal")
    journal.start()
    master = tmp_path / "Master.csv"
    shutil.copy(FIXTURE, master)
    active: set[str] = set()
    rec = Reconciler(log, journal, CdrReader(master), active=lambda: active)
    yield log, journal, rec, master, active
    journal.stop()


def test_calls_the_service_never_saw_are_recorded_once(world, caplog):
    log, journal, rec, _, _ = world
    with caplog.at_level(logging.WARNING, logger="hotline.store"):
        done = rec.pass_once()
    assert journal.flush()
    # the fallback to an agent while the service was down
    fallback = log.get("1796119770.9")
    assert fallback.outcome == "agent" and fallback.platform == "12345" and fallback.caller == "19821748515"
    assert "unavailable" in fallback.error and fallback.ended_at == datetime(2026, 12, 1, 10, 9, 52)
    assert [e.kind for e in log.events("1796119770.9")] == ["answer", "fallback", "hangup"]
    # an emergency handed over, an old-format conference row, and the row with undecodable bytes
    assert log.get("1796119814.0").platform == "12345"
    assert log.get("1796118107.6").platform == "110"
    assert log.get("1796120580.70").outcome == "agent"
    # neighbours' and originated legs are not calls
    assert log.get("1796119776.11") is None and log.get("1796118122.13") is None
    assert done["imported"] == 4
    # hostile or broken rows are skipped with a log line, and never stop the rows after them
    assert log.get("1796120400.50") is None  # platform:999 after a caller-set ref
    assert log.get("1796120520.60") is None  # an unknown fallback
    skipped = [r.getMessage() for r in caplog.records if "CDR: row skipped" in r.getMessage()]
    assert len(skipped) == 3, skipped
    assert rec.pass_once() == {"completed": 0, "imported": 0}  # read once, imported once


def test_calls_older_than_the_database_are_never_imported(world):
    log, journal, rec, _, _ = world
    with log.session() as s:
        s.merge(Meta(key="created_at", value="2026-12-01T10:15:00"))
    rec.pass_once()
    assert journal.flush()
    assert log.get("1796119770.9") is None and log.get("1796119814.0") is None
    assert log.get("1796120580.70") is not None  # 10:23, after the database was made


def test_a_call_left_open_by_a_crash_is_completed_from_the_cdr(world):
    log, journal, rec, _, active = world
    # the service had the call (opened, decided, 110 answered) and was killed before the hang-up
    log.apply_open_call("1796119814.0", "12345", "14163289428", "national", datetime(2026, 12, 1, 10, 10, 0))
    log.apply_decision("1796119814.0", {"action": "transfer", "target": "110"}, datetime(2026, 12, 1, 10, 10, 12), {
        "action": "transfer", "target": "110"}, None)  # fmt: skip
    log.apply_event("1796119814.0", "answered", datetime(2026, 12, 1, 10, 10, 28), {"target": "110"})
    active.add("1796119814.0")
    rec.pass_once()
    assert journal.flush()
    assert log.get("1796119814.0").ended_at is None  # still in progress here: not touched
    active.clear()
    rec.pass_once()  # a later pass, once the session is gone: the row read before completes it
    assert journal.flush()
    call = log.get("1796119814.0")
    assert call.outcome == "reached:110" and call.ended_at == datetime(2026, 12, 1, 10, 10, 50)
    reconciled = [e for e in log.events("1796119814.0") if e.kind == "reconciled"]
    assert len(reconciled) == 1 and "restart" in reconciled[0].detail["reason"]


def test_the_reader_reads_only_what_was_added_and_starts_over_on_rotation(tmp_path):
    master = tmp_path / "Master.csv"
    lines = FIXTURE.read_bytes().splitlines(keepends=True)
    master.write_bytes(b"".join(lines[:3]))
    reader = CdrReader(master)
    assert [r.uniqueid for r in reader.read_new()] == ["1796119770.9", "1796119814.0"]
    assert reader.read_new() == []
    with master.open("ab") as f:
        f.write(lines[3] + lines[4][:40])  # Asterisk is half-way through writing the next row
    assert reader.read_new() == []
    with master.open("ab") as f:
        f.write(lines[4][40:])
    assert [r.uniqueid for r in reader.read_new()] == ["1796118107.6"]
    master.write_bytes(lines[0])  # logrotate: a new, shorter file
    assert [r.uniqueid for r in reader.read_new()] == ["1796119770.9"]


def test_row_fields_are_bounded():
    long_src = "1" * 500
    row = parse_row(["", long_src, "110", "c", "", "PJSIP/caller-1", "PJSIP/x" * 100, "Dial", "", "", "", "", "1",
                     "1", "ANSWERED", "", "1796120000.1", "platform:110"])  # fmt: skip
    assert len(row.caller) == 64 and len(row.dstchannel) == 128

"""End to end on PostgreSQL: a real call recorded in it, and an emergency while it is stopped still
reaches 110, its record arriving once the database is back."""

from __future__ import annotations

import subprocess
import time

import pytest

from hotline.config import REPO
from hotline.sim.sipcall import SipCallError, place_call
from hotline.store import CallLog

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


def postgres(op: str) -> None:
    subprocess.run(["bash", str(REPO / "scripts" / "postgres.sh"), op], check=True, capture_output=True)


@pytest.fixture
def on_postgres(pbx, service, postgres_url):
    service.stop()
    service.start(HOTLINE_DB_URL=postgres_url)
    yield pbx.model_copy(update={"database_url": postgres_url})
    postgres("start")
    service.stop()
    service.start()


def test_calls_are_recorded_in_postgresql_and_survive_its_outage(shared_dir, on_postgres):
    cfg = on_postgres
    r = place_call(shared_dir / "audio/calls/p21.wav", platform="110", config=cfg, hold_s=6)
    assert r["outcome"] == "reached:12345"  # a street-light matter at 110, handed to 12345
    postgres("stop")
    with pytest.raises(SipCallError):  # no record can be read while the database is down
        place_call(shared_dir / "audio/calls/p01.wav", platform="12345", config=cfg, hold_s=6, record_wait_s=0)
    caller, dstchannel = _last_call(cfg)
    assert dstchannel.startswith("PJSIP/trunk-110-")  # the emergency reached 110 all the same
    postgres("start")
    log = CallLog(cfg.db_url)
    deadline = time.time() + 90
    call = log.find_by_caller(caller)
    while time.time() < deadline and (call is None or call.outcome is None):
        time.sleep(1)
        call = log.find_by_caller(caller)
    assert call is not None, "the call made while PostgreSQL was down never got its record"
    assert call.emergency and call.outcome == "reached:110"


def _last_call(cfg) -> tuple[str, str]:
    """The caller number and the leg it reached, of the last 12345 call, from Asterisk's CDR."""
    import csv

    rows = list(csv.reader(cfg.host_path(f"{cfg.log_in_asterisk}/cdr-csv/Master.csv").read_text().splitlines()))
    row = next(r for r in reversed(rows) if r and r[-1].startswith("platform:12345"))
    return row[1], row[6]

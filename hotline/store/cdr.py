"""Calls the service never saw (it was down) still get a record: from Asterisk's CDR (Master.csv).

The dialplan writes `platform:<p>|ref:<test ref>[|fallback:service-down]` into the CDR userfield.
"""

from __future__ import annotations

import csv
import logging
from datetime import datetime
from pathlib import Path

from hotline.store.calllog import CallLog

log = logging.getLogger("hotline.store")

# cdr_csv columns with loguniqueid and loguserfield (cdr.conf)
COLUMNS = [
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "uniqueid",
    "userfield",
]


def _time(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _fields(userfield: str) -> dict[str, str]:
    out = {}
    for part in userfield.split("|"):
        k, _, v = part.partition(":")
        if k:
            out[k] = v
    return out


def ingest_cdr(calllog: CallLog, master_csv: Path) -> int:
    """Create records for caller legs in Master.csv that the call log lacks. Returns how many."""
    if not master_csv.exists():
        return 0
    rows: dict[str, dict[str, str]] = {}
    with master_csv.open(encoding="utf-8", errors="replace", newline="") as f:
        for raw in csv.reader(f):
            row = dict(zip(COLUMNS, raw, strict=False))
            uf = _fields(row.get("userfield", ""))
            if "platform" not in uf or not row.get("uniqueid"):
                continue
            # several rows per call (one per dial attempt): keep the one that reached someone
            prev = rows.get(row["uniqueid"])
            if prev is None or (row.get("dstchannel") and not prev.get("dstchannel")):
                rows[row["uniqueid"]] = row
    added = 0
    for uid, row in rows.items():
        if calllog.get(uid) is not None:
            continue
        uf = _fields(row["userfield"])
        caller = row.get("src", "")
        calllog.open_call(uid, uf.get("platform", "?"), caller, "national", uf.get("ref") or None)
        start, end = _time(row.get("start", "")), _time(row.get("end", ""))
        reached_agent = row.get("dstchannel", "").startswith("PJSIP/agent-")
        outcome = "agent" if reached_agent else "hangup"
        calllog.update(
            uid,
            started_at=start or calllog.get(uid).started_at,
            ended_at=end,
            outcome=outcome,
            error="FastAGI service unavailable: the dialplan sent the caller to an agent" if "fallback" in uf else None,
        )
        if "fallback" in uf:
            calllog.add_event(uid, "fallback", start, reason=uf["fallback"], source="cdr")
        calllog.add_event(uid, "hangup", end, source="cdr", disposition=row.get("disposition"))
        added += 1
    if added:
        log.info("recorded %d call(s) from the CDR that the service did not see", added)
    return added

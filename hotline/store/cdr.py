"""Asterisk's CDR (cdr_csv's Master.csv), read incrementally and defensively.

The dialplan writes `platform:<12345|110>[|fallback:service-down]` into the CDR userfield: values the
system sets, never anything a caller sent. Each field is checked and bounded before it is used; a row
that does not make sense is skipped with a log line, never allowed to stop the rows after it.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

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
PLATFORMS = ("12345", "110")
FALLBACKS = ("service-down",)
_UNIQUEID = re.compile(r"^\d{1,20}\.\d{1,10}$")  # Asterisk's <epoch>.<sequence>
MAX_ROW_BYTES = 8192


@dataclass(frozen=True)
class CdrRow:
    uniqueid: str
    platform: str
    caller: str
    start: datetime | None
    end: datetime | None
    dstchannel: str
    disposition: str
    fallback: str | None

    @property
    def reached_agent(self) -> bool:
        return self.dstchannel.startswith("PJSIP/agent-")


def _time(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")  # usegmtime = yes: UTC
    except ValueError:
        return None


def parse_row(raw: list[str]) -> CdrRow | None:
    """A caller leg of the hotline, or None for rows of other legs (neighbours, originated legs).

    Raises ValueError for a row that claims to be ours but is malformed."""
    if len(raw) < len(COLUMNS):
        return None
    row = dict(zip(COLUMNS, raw, strict=False))
    fields: dict[str, str] = {}
    for part in row["userfield"].split("|"):
        k, _, v = part.partition(":")
        if k:
            fields[k] = v
    if "platform" not in fields:
        return None
    if fields["platform"] not in PLATFORMS:
        raise ValueError(f"unknown platform {fields['platform'][:20]!r}")
    if not _UNIQUEID.match(row["uniqueid"]):
        raise ValueError(f"bad uniqueid {row['uniqueid'][:40]!r}")
    fallback = fields.get("fallback")
    if fallback is not None and fallback not in FALLBACKS:
        raise ValueError(f"unknown fallback {fallback[:20]!r}")
    return CdrRow(
        uniqueid=row["uniqueid"],
        platform=fields["platform"],
        caller=row["src"][:64],
        start=_time(row["start"]),
        end=_time(row["end"]),
        dstchannel=row["dstchannel"][:128],
        disposition=row["disposition"][:16],
        fallback=fallback,
    )


def better(a: CdrRow | None, b: CdrRow) -> CdrRow:
    """Several rows per call (one per dial attempt): keep the one that reached someone, else the last."""
    if a is None:
        return b
    if a.dstchannel and a.disposition == "ANSWERED" and not (b.dstchannel and b.disposition == "ANSWERED"):
        return a
    return b


class CdrReader:
    """Reads rows added to Master.csv since the last call (a rotated or truncated file starts over)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._inode: int | None = None
        self._offset = 0

    def read_new(self) -> list[CdrRow]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return []
        if st.st_ino != self._inode or st.st_size < self._offset:
            self._inode, self._offset = st.st_ino, 0
        if st.st_size == self._offset:
            return []
        with self.path.open("rb") as f:
            f.seek(self._offset)
            data = f.read(st.st_size - self._offset)
        end = data.rfind(b"\n") + 1  # only whole lines: Asterisk may be writing the next one
        self._offset += end
        rows = []
        for lineno, line in enumerate(data[:end].splitlines(), 1):
            if len(line) > MAX_ROW_BYTES:
                log.warning("CDR: row of %d bytes skipped", len(line))
                continue
            try:
                raw = next(csv.reader(io.StringIO(line.decode("utf-8", "replace"))), [])
                row = parse_row(raw)
            except (ValueError, csv.Error) as e:
                log.warning("CDR: row skipped (%s)", e, extra={"cdr_line": lineno})
                continue
            if row is not None:
                rows.append(row)
        return rows

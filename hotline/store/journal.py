"""The call journal: the live call path writes here, never to the database.

A call's decision and handover must not wait on the store: a locked SQLite file or a stopped PostgreSQL
would otherwise leave a caller in silence, or change where the call goes. Each write is appended to a
local file (one JSON object a line, written before the call moves on) and applied to the database by
one writer thread, in order. When the database fails, the writer logs it with the call's id, waits and
tries the same entry again; nothing is dropped, and nothing is applied twice (the database's apply_*
methods are idempotent: events carry the entry's id). On start the entries not yet applied are replayed.
An entry the database refuses for good (not an outage: a constraint, a value too long) goes to
`rejected.jsonl` beside the journal, with a log line, so one bad entry cannot stop the ones after it.

The journal also keeps a view of each open call's latest fields (platform, action, target, speech end,
…), so the AMI event recorder can work out handover times and outcomes without reading the database.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from hotline.store.calllog import CallLog

log = logging.getLogger("hotline.journal")

JOURNAL_FILE = "calls.jsonl"
CHECKPOINT_FILE = "applied"
REJECTED_FILE = "rejected.jsonl"
RETRY_MAX_S = 10.0
VIEW_KEEP_S = 600.0  # a closed call's view is kept this long (late AMI events still find it)


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$dt"}:
        return datetime.fromisoformat(value["$dt"])
    return value


class CallJournal:
    """Append from the event loop (fast, never blocks on the database); apply in a writer thread."""

    def __init__(self, calllog: CallLog, folder: Path, clock: Callable[[], float] = time.time) -> None:
        self.calllog = calllog
        self.folder = folder
        self.clock = clock
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._path = folder / JOURNAL_FILE
        self._checkpoint = folder / CHECKPOINT_FILE
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: deque[tuple[dict[str, Any], int]] = deque()  # (entry, file offset after it)
        self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._end = os.fstat(self._fd).st_size
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.views: dict[str, dict[str, Any]] = {}
        self._closed_at: dict[str, float] = {}
        self.store_ok = True
        self.applied = 0
        self._replay()

    # ------------------------------------------------------------------ writing (event loop)
    def _append(self, op: str, uid: str, **args: Any) -> str:
        entry = {"id": str(uuid.uuid4()), "op": op, "uid": uid, "t": self.clock()}
        entry.update({k: _encode(v) for k, v in args.items()})
        line = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        with self._lock:
            try:
                os.write(self._fd, line)
            except OSError:
                # a full disk must not take the call down: the entry is still applied from memory
                log.exception("journal append failed", extra={"uniqueid": uid})
            self._end += len(line)
            self._pending.append((entry, self._end))
            self._wake.notify()
        return entry["id"]

    def _view(self, uid: str, **fields: Any) -> None:
        self.views.setdefault(uid, {}).update(fields)

    def open_call(self, uid: str, platform: str, caller: str, profile: str, at: float | None = None) -> None:
        at = at if at is not None else self.clock()
        self._view(uid, platform=platform, caller=caller, started_at=at)
        self._append("open", uid, platform=platform, caller=caller, profile=profile, at=_utc(at))

    def update(self, uid: str, **fields: Any) -> None:
        self._view(uid, **fields)
        if fields.get("ended_at") is not None:
            self._closed_at[uid] = self.clock()
        self._append("update", uid, fields={k: _encode(v) for k, v in fields.items()})

    def event(self, uid: str, kind: str, at: float | None = None, **detail: Any) -> None:
        at = at if at is not None else self.clock()
        self._append("event", uid, kind=kind, at=_utc(at), detail=detail)

    def decision(self, uid: str, fields: dict[str, Any], detail: dict[str, Any], at: float | None = None) -> None:
        at = at if at is not None else self.clock()
        self._view(uid, **fields)
        self._append("decision", uid, fields={k: _encode(v) for k, v in fields.items()}, detail=detail, at=_utc(at))

    def view(self, uid: str) -> dict[str, Any] | None:
        """The latest fields this process wrote for the call (None if it never saw it)."""
        return self.views.get(uid)

    def forget_closed(self) -> None:
        now = self.clock()
        for uid, at in list(self._closed_at.items()):
            if now - at > VIEW_KEEP_S:
                self._closed_at.pop(uid, None)
                self.views.pop(uid, None)

    # ------------------------------------------------------------------ applying (writer thread)
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Apply what can be applied within `timeout`; True when nothing is left pending."""
        deadline = time.monotonic() + timeout
        while self.pending() and time.monotonic() < deadline and self.store_ok:
            time.sleep(0.05)
        with self._lock:
            self._stopping = True
            self._wake.notify_all()
        if self._thread:
            self._thread.join(timeout=max(0.1, deadline - time.monotonic()))
        os.close(self._fd)
        left = self.pending()
        if left:
            log.warning("stopping with %d journal entries not yet in the database: replayed at the next start", left)
        return left == 0

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every entry so far is in the database (tests, tools)."""
        deadline = time.monotonic() + timeout
        while self.pending() and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.pending() == 0

    def _run(self) -> None:
        backoff = 0.2
        while True:
            with self._lock:
                while not self._pending and not self._stopping:
                    self._wake.wait(timeout=1.0)
                if self._stopping:
                    return
                entry, offset = self._pending[0]
            try:
                self._apply(entry)
            except (DBAPIError, OSError) as e:
                outage = isinstance(e, OSError | OperationalError | InterfaceError) or e.connection_invalidated
                if not outage:  # IntegrityError, DataError: this entry will never go in
                    self._reject(entry, e)
                else:
                    if self.store_ok:
                        log.error(
                            "call store unavailable (%s): the call goes on; its record waits in the journal",
                            str(e).splitlines()[0][:200],
                            extra={"uniqueid": entry["uid"]},
                        )
                    self.store_ok = False
                    with self._lock:
                        self._wake.wait(timeout=backoff)
                        if self._stopping:
                            return
                    backoff = min(RETRY_MAX_S, backoff * 2)
                    continue
            except Exception as e:  # a bug or a value the database will never take
                self._reject(entry, e)
            if not self.store_ok:
                log.info("call store back: applying the journal", extra={"uniqueid": entry["uid"]})
            self.store_ok = True
            backoff = 0.2
            self.applied += 1
            with self._lock:
                self._pending.popleft()
                drained = not self._pending
            self._commit_offset(offset, drained)

    def _apply(self, e: dict[str, Any]) -> None:
        op, uid = e["op"], e["uid"]
        if op == "open":
            self.calllog.apply_open_call(uid, e["platform"], e["caller"], e["profile"], _decode(e["at"]))
        elif op == "update":
            fields = {k: _decode(v) for k, v in e["fields"].items()}
            if not self.calllog.apply_update(uid, fields):
                log.warning("journal: update of an unknown call", extra={"uniqueid": uid})
        elif op == "event":
            self.calllog.apply_event(uid, e["kind"], _decode(e["at"]), e.get("detail"), e["id"])
        elif op == "decision":
            fields = {k: _decode(v) for k, v in e["fields"].items()}
            self.calllog.apply_decision(uid, fields, _decode(e["at"]), e["detail"], e["id"])
        else:
            raise ValueError(f"unknown journal operation {op!r}")

    def _reject(self, entry: dict[str, Any], err: Exception) -> None:
        log.error(
            "journal entry refused by the database, kept in %s: %s: %s",
            REJECTED_FILE,
            type(err).__name__,
            str(err).splitlines()[0][:300] if str(err) else "",
            extra={"uniqueid": entry.get("uid", "")},
        )
        with (self.folder / REJECTED_FILE).open("a", encoding="utf-8") as f:
            f.write(json.dumps({**entry, "error": f"{type(err).__name__}: {err}"[:1000]}, ensure_ascii=False) + "\n")

    def _commit_offset(self, offset: int, drained: bool) -> None:
        with self._lock:
            if drained and offset == self._end:
                # everything written is in the database: start the file afresh
                os.ftruncate(self._fd, 0)
                self._end = 0
                offset = 0
        tmp = self._checkpoint.with_suffix(".tmp")
        tmp.write_text(str(offset))
        os.replace(tmp, self._checkpoint)

    def _replay(self) -> None:
        """Entries written before a stop or a crash and not yet applied go first."""
        try:
            start = int(self._checkpoint.read_text() or 0)
        except (OSError, ValueError):
            start = 0
        if start > self._end:
            start = 0
        with self._path.open("rb") as f:
            f.seek(start)
            offset = start
            for raw in f:
                if not raw.endswith(b"\n"):
                    # a line cut by a crash mid-write was never acknowledged: drop it, so the next
                    # append starts on a line of its own
                    os.ftruncate(self._fd, offset)
                    self._end = offset
                    break
                offset += len(raw)
                try:
                    entry = json.loads(raw)
                except ValueError:
                    log.error("journal: unreadable line skipped at byte %d", offset - len(raw))
                    continue
                self._pending.append((entry, offset))
        if self._pending:
            log.warning("journal: %d entries from before the last stop are being applied", len(self._pending))

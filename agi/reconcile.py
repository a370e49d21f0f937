"""Every call leaves a complete record, even when the service was down or died mid-call.

On start and every `reconcile_s`, the service reads the CDR rows Asterisk added (a row is written when
the caller's channel ends) and:
- completes calls its database still has open that are not in progress here (the service was killed
  mid-call: the dialplan's fallback took the caller to an agent): end time from the CDR, the outcome
  from the call's recorded events and the CDR, and an event saying it was completed after a restart;
- records calls the service never saw (it was down), unless they are older than the database.
Writes go through the journal, like everything else on the call path.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hotline.agi.events import CallState, outcome_of
from hotline.contract import Outcome, outcome
from hotline.store.calllog import CallLog
from hotline.store.cdr import CdrReader, CdrRow, better
from hotline.store.journal import CallJournal

log = logging.getLogger("hotline.reconcile")
KEEP_ROWS = 50_000  # CDR rows remembered for calls whose record completes later (journal lag)
SETTLE = timedelta(seconds=10)  # a call this young may still be in flight between Asterisk and us


class Reconciler:
    def __init__(
        self,
        calllog: CallLog,
        journal: CallJournal,
        reader: CdrReader,
        active: Callable[[], set[str]],
        profile: str = "national",
    ) -> None:
        self.calllog = calllog
        self.journal = journal
        self.reader = reader
        self.active = active  # the calls this process is handling now
        self.profile = profile
        self.rows: OrderedDict[str, CdrRow] = OrderedDict()
        self._created: datetime | None = None

    def pass_once(self) -> dict[str, int]:
        """One pass (blocking: run it in a thread). Returns what it did."""
        new: dict[str, CdrRow] = {}
        for row in self.reader.read_new():
            new[row.uniqueid] = better(new.get(row.uniqueid), row)
            self.rows[row.uniqueid] = better(self.rows.get(row.uniqueid), row)
            self.rows.move_to_end(row.uniqueid)
        while len(self.rows) > KEEP_ROWS:
            self.rows.popitem(last=False)
        if self._created is None:
            self._created = self.calllog.created_at()
        done = {"completed": 0, "imported": 0}
        now = datetime.now(UTC).replace(tzinfo=None)
        active = self.active()
        for call in self.calllog.open_calls(started_before=now - SETTLE):
            row = self.rows.get(call.uniqueid)
            if row is None or call.uniqueid in active or self.journal.view(call.uniqueid) is not None:
                continue  # still in progress (no CDR yet), or this process is recording it
            self._complete(call.uniqueid, row)
            done["completed"] += 1
        for uid, row in new.items():
            if self.journal.view(uid) is not None or uid in active:
                continue
            if self._created and row.start and row.start < self._created:
                continue  # older than this database: never imported again
            if self.calllog.get(uid) is None:
                self._import(row)
                done["imported"] += 1
        if any(done.values()):
            log.info("reconciled from the CDR: %d completed, %d imported", done["completed"], done["imported"])
        return done

    def _outcome(self, uid: str, row: CdrRow) -> str:
        st = CallState(fallback=row.fallback is not None)
        action = target = None
        for e in self.calllog.events(uid):
            d = e.detail or {}
            if e.kind == "answered" and d.get("target"):
                st.reached.append(d["target"])
            elif e.kind == "bridge_join" and d.get("participant"):
                st.conference.append(d["participant"])
            elif e.kind == "decision":
                action, target = d.get("action"), d.get("target")
            elif e.kind == "fallback":
                st.fallback = True
        result = outcome_of(action, target, st)
        if result == Outcome.HANGUP and row.reached_agent:
            return outcome(Outcome.AGENT)  # the dialplan's fallback put the caller through to a person
        return result

    def _complete(self, uid: str, row: CdrRow) -> None:
        result = self._outcome(uid, row)
        end = row.end or datetime.now(UTC).replace(tzinfo=None)
        self.journal.event(
            uid,
            "reconciled",
            end.replace(tzinfo=UTC).timestamp(),
            reason="completed after a restart of the service, from the CDR",
            disposition=row.disposition,
            outcome=result,
        )
        fields: dict = {"ended_at": end, "outcome": result}
        if row.fallback:
            fields["error"] = "the service was unavailable: the dialplan sent the caller to an agent"
        self.journal.update(uid, **fields)
        log.info("completed after a restart: %s", result, extra={"uniqueid": uid})

    def _import(self, row: CdrRow) -> None:
        uid = row.uniqueid
        start = (row.start or datetime.now(UTC).replace(tzinfo=None)).replace(tzinfo=UTC).timestamp()
        self.journal.open_call(uid, row.platform, row.caller, self.profile, at=start)
        result = outcome(Outcome.AGENT) if row.reached_agent else outcome(Outcome.HANGUP)
        if row.fallback:
            self.journal.event(uid, "fallback", start, reason=row.fallback, source="cdr")
        end = row.end.replace(tzinfo=UTC).timestamp() if row.end else None
        self.journal.event(uid, "hangup", end, source="cdr", disposition=row.disposition)
        self.journal.update(
            uid,
            ended_at=row.end,
            outcome=result,
            error="the service was unavailable: the dialplan sent the caller to an agent" if row.fallback else None,
        )

    async def run(self, every_s: float) -> None:
        while True:
            try:
                await asyncio.to_thread(self.pass_once)
            except Exception as e:  # the store may be down: the next pass tries again
                log.warning("CDR reconciliation pass failed: %s: %s", type(e).__name__, str(e).splitlines()[0][:200])
            await asyncio.sleep(every_s)

"""AMI events -> the call journal: who answered, bridge joins and leaves, hang-ups, and the outcome.

The dialplan raises UserEvents (hotline.contract.Event) tagged with the call's id (HL_CALL); Asterisk's
own Hangup and Confbridge* events complete the timeline. When the caller's channel hangs up the call is
closed with its outcome: reached:<target>, conference:<participants>, accepted:<platform>,
guided:<number>, agent, or hangup. Everything is written to the journal (never waiting on the database);
what the recorder needs to know about a call (its action, when the caller stopped speaking) comes from
the journal's view of it. tests/fixtures/ami/ holds recorded event traces replayed in tests.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hotline.contract import CONFERENCE_PREFIX, Action, Event, Outcome, outcome
from hotline.store.journal import CallJournal

log = logging.getLogger("hotline.events")


@dataclass
class CallState:
    reached: list[str] = field(default_factory=list)  # neighbours / agent seats that answered, in order
    conference: list[str] = field(default_factory=list)  # who joined the conference
    fallback: bool = False
    handover_done: bool = False


class EventRecorder:
    def __init__(
        self,
        journal: CallJournal,
        dialer: Any = None,  # actions.ConferenceDialer: legs the service brings into conferences
        spawn: Callable | None = None,  # runs the dialer's work in the background
        profile: str = "national",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.journal = journal
        self.dialer = dialer
        self.spawn = spawn
        self.profile = profile
        self.clock = clock
        self.calls: dict[str, CallState] = {}
        self.conf_owner: dict[str, str] = {}  # conference name -> call uniqueid

    def state(self, uid: str) -> CallState:
        return self.calls.setdefault(uid, CallState())

    async def on_event(self, manager: Any, msg: Any) -> None:
        """panoramisk's callback: one AMI event."""
        m = dict(msg)
        log.debug("ami %s", json.dumps(m, ensure_ascii=False))  # a trace: tests/fixtures/ami/ are made of these
        try:
            self.handle(m)
        except Exception:
            log.exception("event handling failed: %s", m.get("Event"), extra={"uniqueid": _uid_of(m)})

    def handle(self, m: dict[str, str]) -> None:
        now = self.clock()
        ev = m.get("Event", "")
        if ev == "UserEvent":
            self._user_event(m.get("UserEvent", ""), m, now)
        elif ev in ("ConfbridgeJoin", "ConfbridgeLeave"):
            self._conference(ev, m, now)
        elif ev == "MusicOnHoldStart":
            # the caller hears a handover prompt while the handover rings (musiconhold.conf)
            uid = m.get("Uniqueid", "")
            if uid and self.journal.view(uid) is not None:
                self.journal.event(uid, "ringback", now, music_class=m.get("Class"))
        elif ev == "Hangup":
            uid = m.get("Uniqueid", "")
            if uid and uid == m.get("Linkedid", uid) and self.journal.view(uid) is not None:
                self._closed(uid, now, m.get("Cause-txt", ""))

    def _user_event(self, kind: str, m: dict[str, str], now: float) -> None:
        uid = m.get("Call", "")
        if not uid:
            return
        if kind == Event.ANSWERED:
            self._answered(uid, m.get("Target", "?"), now)
        elif kind == Event.HANDOVER:
            self.journal.event(
                uid, "handover", now, target=m.get("Target"), status=m.get("Status"), trunk=m.get("Trunk"),
                attempt=m.get("Try"),
            )  # fmt: skip
        elif kind == Event.AGENT:
            self.journal.event(uid, "agent", now, seat=m.get("Seat"), status=m.get("Status"))
        elif kind == Event.AGENT_FEATURE:
            if m.get("Feature") == "threeway" and self.dialer is not None:
                self._background(
                    self.dialer.agent_threeway(
                        uid, m.get("Platform", ""), m.get("Target", ""), m.get("Peer", ""), m.get("Agent", "")
                    )
                )
            self.journal.event(uid, "agent_feature", now, feature=m.get("Feature"), target=m.get("Target"))
        elif kind == Event.CONFERENCE:
            self.conf_owner[m.get("Conference", "")] = uid
        elif kind == Event.EMERGENCY_HOLD:
            target, platform = m.get("Target", ""), m.get("Platform", "")
            self.journal.event(uid, "emergency_hold", now, target=target, reason="no answer from the emergency number")
            if self.dialer is not None:
                self._background(self.dialer.emergency_hold(uid, platform, target, m.get("Caller", "")))
        elif kind == Event.FALLBACK:
            self.state(uid).fallback = True
            if self.journal.view(uid) is None:  # the service never saw this call: record it
                self.journal.open_call(uid, m.get("Platform", "") or "?", m.get("Caller", "")[:64], self.profile)
            self.journal.event(uid, "fallback", now, reason=m.get("Reason"))

    def _background(self, coro: Any) -> None:
        if self.spawn is not None:
            self.spawn(coro)
        else:
            coro.close()

    def _conference(self, ev: str, m: dict[str, str], now: float) -> None:
        conf = m.get("Conference", "")
        uid = self.conf_owner.get(conf) or (
            conf.removeprefix(CONFERENCE_PREFIX) if conf.startswith(CONFERENCE_PREFIX) else ""
        )
        if not uid:
            return
        who = _participant(m)
        if ev == "ConfbridgeJoin":
            st = self.state(uid)
            if who not in st.conference:
                st.conference.append(who)
            if self.dialer is not None:
                self.dialer.joined(uid, who)
            others = [w for w in st.conference if w != "caller" and not w.startswith("agent-")]
            if others and "caller" in st.conference:
                # the other platform and the caller are both in the three-way call (its legs are dialed while
                # the caller still hears the prompt, and may be in first)
                self._handover(uid, now)
        self.journal.event(
            uid,
            "bridge_join" if ev == "ConfbridgeJoin" else "bridge_leave",
            now,
            conference=conf,
            participant=who,
            channel=m.get("Channel"),
        )

    def _answered(self, uid: str, target: str, now: float) -> None:
        st = self.state(uid)
        st.reached.append(target)
        self.journal.event(uid, "answered", now, target=target)
        waits_for_the_caller = (self.journal.view(uid) or {}).get("action") == "conference" and (
            "caller" not in st.conference
        )  # a three-way call's leg answers while the caller still hears the prompt: handed over when both are in
        if not target.startswith("agent-") and not waits_for_the_caller:
            self._handover(uid, now)

    def _handover(self, uid: str, now: float) -> None:
        """The target leg answered: handover_ms = end of the caller's speech -> this moment."""
        st = self.state(uid)
        if st.handover_done:
            return
        st.handover_done = True
        fields: dict[str, Any] = {"handover_at": _utc(now)}
        speech_end = (self.journal.view(uid) or {}).get("speech_end_at")
        if isinstance(speech_end, datetime):
            fields["handover_ms"] = round((_utc(now) - speech_end).total_seconds() * 1000, 1)
        self.journal.update(uid, **fields)

    def _closed(self, uid: str, now: float, cause: str) -> None:
        st = self.calls.pop(uid, CallState())
        view = self.journal.view(uid) or {}
        if view.get("ended_at") is not None:
            return
        result = outcome_of(view.get("action"), view.get("target"), st)
        self.journal.event(uid, "hangup", now, cause=cause)
        self.journal.update(uid, ended_at=_utc(now), outcome=result)
        if self.dialer is not None:
            self.dialer.ended(uid)
        self.conf_owner.pop(f"{CONFERENCE_PREFIX}{uid}", None)
        self.journal.forget_closed()
        log.info("call closed: %s", result, extra={"uniqueid": uid})


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _uid_of(msg: Any) -> str:
    m = dict(msg)
    return m.get("Call") or m.get("Uniqueid") or ""


def _participant(m: dict[str, str]) -> str:
    chan = m.get("Channel", "")
    if chan.startswith("PJSIP/agent-"):
        return chan.split("/", 1)[1].rsplit("-", 1)[0]
    if chan.startswith("Local/"):
        return chan.split("/", 1)[1].split("@", 1)[0]
    if chan.startswith("PJSIP/trunk-"):
        return chan.split("/", 1)[1].rsplit("-", 1)[0].removeprefix("trunk-")
    return "caller"


def outcome_of(action: str | None, target: str | None, st: CallState) -> str:
    members = list(dict.fromkeys(st.conference))
    if len(members) >= 2:
        return outcome(Outcome.CONFERENCE, "+".join(members))
    neighbours = [t for t in st.reached if not t.startswith("agent-")]
    agents = [t for t in st.reached if t.startswith("agent-")]
    if neighbours:
        return outcome(Outcome.REACHED, neighbours[-1])
    if agents:
        if action == Action.ACCEPT and not st.fallback:
            return outcome(Outcome.ACCEPTED, agents[-1].removeprefix("agent-"))
        return outcome(Outcome.AGENT)
    if action == Action.GUIDE:
        return outcome(Outcome.GUIDED, target or "")
    return outcome(Outcome.HANGUP)

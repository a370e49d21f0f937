"""AMI events -> the call log: handovers answered, bridge joins and leaves, hang-ups, and the outcome.

The dialplan raises UserEvents (Hotline*) tagged with the call's UNIQUEID (HL_CALL); Asterisk's own
Hangup and Confbridge* events complete the timeline. When the caller's channel hangs up the call is
closed with its outcome: reached:<target>, conference:<participants>, accepted:<platform>,
guided:<number>, agent, or hangup.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hotline.store import CallLog

log = logging.getLogger("hotline.events")


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)  # aware: it is compared with times read from the call log


@dataclass
class CallState:
    reached: list[str] = field(default_factory=list)  # neighbours / agent seats that answered, in order
    conference: list[str] = field(default_factory=list)  # who joined the conference
    fallback: bool = False


class EventRecorder:
    def __init__(self, calllog: CallLog) -> None:
        self.calllog = calllog
        self.calls: dict[str, CallState] = {}
        self.conf_owner: dict[str, str] = {}  # conference name -> call uniqueid
        self.on_threeway = None  # async (uniqueid, platform, other, caller chan, agent chan): *3 pressed

    def state(self, uid: str) -> CallState:
        return self.calls.setdefault(uid, CallState())

    async def _do(self, fn, *args, **kw):
        return await asyncio.to_thread(fn, *args, **kw)

    async def on_event(self, manager, msg) -> None:
        try:
            await self._dispatch(dict(msg))
        except Exception:
            log.exception("event handling failed: %s", msg.get("Event"))

    async def _dispatch(self, m: dict) -> None:
        now = time.time()
        ev = m.get("Event", "")
        if ev == "UserEvent":
            kind = m.get("UserEvent", "")
            uid = m.get("Call", "")
            if not uid:
                return
            if kind == "HotlineNeighbour":
                await self._answered(uid, m.get("Target", "?"), now)
            elif kind == "HotlineHandover":
                await self._do(
                    self.calllog.add_event,
                    uid,
                    "handover",
                    _ts(now),
                    target=m.get("Target"),
                    status=m.get("Status"),
                    trunk=m.get("Trunk"),
                    attempt=m.get("Try"),
                )
            elif kind == "HotlineAgent":
                await self._do(
                    self.calllog.add_event, uid, "agent", _ts(now), seat=m.get("Seat"), status=m.get("Status")
                )
            elif kind == "HotlineAgentFeature":
                if m.get("Feature") == "threeway" and self.on_threeway is not None:
                    await self.on_threeway(
                        uid, m.get("Platform", ""), m.get("Target", ""), m.get("Peer", ""), m.get("Agent", "")
                    )
                await self._do(
                    self.calllog.add_event,
                    uid,
                    "agent_feature",
                    _ts(now),
                    feature=m.get("Feature"),
                    target=m.get("Target"),
                )
            elif kind == "HotlineConference":
                self.conf_owner[m.get("Conference", "")] = uid
            elif kind == "HotlineFallback":
                self.state(uid).fallback = True
                if await self._do(self.calllog.get, uid) is None:  # the service never saw this call: record it
                    await self._do(
                        self.calllog.open_call, uid, m.get("Platform", "") or "?", m.get("Caller", ""), "national"
                    )
                await self._do(self.calllog.add_event, uid, "fallback", _ts(now), reason=m.get("Reason"))
        elif ev in ("ConfbridgeJoin", "ConfbridgeLeave"):
            conf = m.get("Conference", "")
            uid = self.conf_owner.get(conf) or (conf[3:] if conf.startswith("hl-") else "")
            if not uid:
                return
            who = _participant(m)
            if ev == "ConfbridgeJoin":
                st = self.state(uid)
                if who not in st.conference:
                    st.conference.append(who)
                if who != "caller" and not who.startswith("agent-"):
                    await self._handover(uid, now)  # the other platform is in the three-way call
            await self._do(
                self.calllog.add_event,
                uid,
                "bridge_join" if ev == "ConfbridgeJoin" else "bridge_leave",
                _ts(now),
                conference=conf,
                participant=who,
                channel=m.get("Channel"),
            )
        elif ev == "Hangup":
            uid = m.get("Uniqueid", "")
            if uid and uid == m.get("Linkedid", uid) and await self._do(self.calllog.get, uid) is not None:
                await self._closed(uid, now, m.get("Cause-txt", ""))

    async def _answered(self, uid: str, target: str, now: float) -> None:
        st = self.state(uid)
        st.reached.append(target)
        await self._do(self.calllog.add_event, uid, "answered", _ts(now), target=target)
        if not target.startswith("agent-"):
            await self._handover(uid, now)

    async def _handover(self, uid: str, now: float) -> None:
        """The target leg answered: handover_ms = end of the caller's speech -> this moment."""
        call = await self._do(self.calllog.get, uid)
        if call is None or call.handover_at is not None:
            return
        fields = {"handover_at": _ts(now)}
        if call.speech_end_at is not None:
            fields["handover_ms"] = round((_ts(now) - call.speech_end_at).total_seconds() * 1000, 1)
        await self._do(self.calllog.update, uid, **fields)

    async def _closed(self, uid: str, now: float, cause: str) -> None:
        st = self.calls.pop(uid, CallState())
        call = await self._do(self.calllog.get, uid)
        if call is None or call.ended_at is not None:
            return
        outcome = outcome_of(call.action, call.target, st)
        await self._do(self.calllog.add_event, uid, "hangup", _ts(now), cause=cause)
        await self._do(self.calllog.update, uid, ended_at=_ts(now), outcome=outcome)
        log.info("call closed: %s", outcome, extra={"uniqueid": uid})


def _participant(m: dict) -> str:
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
        return "conference:" + "+".join(members)
    neighbours = [t for t in st.reached if not t.startswith("agent-")]
    agents = [t for t in st.reached if t.startswith("agent-")]
    if neighbours:
        return f"reached:{neighbours[-1]}"
    if agents:
        if action == "accept" and not st.fallback:
            return f"accepted:{agents[-1].removeprefix('agent-')}"
        return "agent"
    if action == "guide":
        return f"guided:{target}"
    return "hangup"

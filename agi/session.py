"""The IVR conversation of one call: greet, listen, understand, route, act.

dialplan -> this session -> capture (agi/capture.py) -> recognizer (hotline/asr) -> router
(hotline/router) -> action (agi/actions.py) -> call log (hotline/store).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime

from hotline.agi.actions import Plan, originate_conference_legs, plan_for
from hotline.agi.capture import Utterance, capture_utterance
from hotline.agi.channel import AgiChannel, CallerHungUp
from hotline.asr.base import read_wav_16k
from hotline.router import Decision, get_router

log = logging.getLogger("hotline.agi")

MENU = {"1": "110", "2": "12345", "0": "agent"}
MIN_VOICED_S = 0.3  # less than this is not speech worth recognising


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


class IvrSession:
    def __init__(self, agi: AgiChannel, service) -> None:
        self.agi = agi
        self.svc = service
        self.uid = agi.uniqueid
        self.platform = "12345"
        self.attempt_no = 0
        self.speech_end: float | None = None

    def _log(self, msg: str, *args) -> None:
        log.info(msg, *args, extra={"uniqueid": self.uid})

    async def _event(self, kind: str, at: float | None = None, **detail) -> None:
        await asyncio.to_thread(self.svc.calllog.add_event, self.uid, kind, _ts(at) if at else None, **detail)

    async def _update(self, **fields) -> None:
        await asyncio.to_thread(self.svc.calllog.update, self.uid, **fields)

    # -------------------------------------------------------------------------------- run
    async def run(self) -> None:
        platform = await self.agi.get_variable("HL_PLATFORM")
        self.platform = platform if platform in ("12345", "110") else "12345"
        ref = await self.agi.command("GET FULL VARIABLE ${PJSIP_HEADER(read,X-Hotline-Test)}")
        client_ref = ref.get("result", ("", ""))[1].strip("()")[:64] or None
        caller = self.agi.headers.get("agi_callerid", "")
        await asyncio.to_thread(
            self.svc.calllog.open_call, self.uid, self.platform, caller, self.svc.profile.id, client_ref
        )
        self._log("call from %r to %s", caller, self.platform)
        try:
            decision = await self.converse()
            await self.act(decision)
        except CallerHungUp:
            self._log("caller hung up during the IVR")
            await self._event("hangup", during="ivr")
            await self._update(outcome="hangup")
        except Exception as e:
            # the dialplan sends the caller to an agent when HL_ACTION stays empty
            log.exception("IVR session failed", extra={"uniqueid": self.uid})
            await self._update(error=f"{type(e).__name__}: {e}"[:2000])
            await self._event("error", error=f"{type(e).__name__}: {e}"[:500])
            raise

    # -------------------------------------------------------------------------- conversation
    async def converse(self) -> Decision:
        await self._event("prompt", prompt=f"greeting-{self.platform}")
        played = await self.agi.play(f"hotline/greeting-{self.platform}")
        if played.digit:
            return await self.menu_choice(played.digit)
        decision = None
        for attempt in (1, 2):
            self.attempt_no = attempt
            prompt = "ask" if attempt == 1 else "ask-again"
            await self._event("prompt", prompt=prompt)
            played = await self.agi.play(f"hotline/{prompt}")
            if played.digit:
                return await self.menu_choice(played.digit)
            utt = await self.listen(attempt)
            if utt.digit:
                return await self.menu_choice(utt.digit)
            decision = await self.understand(utt, attempt)
            # not understood twice (nothing matched, or too weakly): the DTMF menu, then an agent
            if decision.action != "clarify" and decision.rule not in ("no-match", "low-confidence"):
                return decision
        return await self.menu()

    async def listen(self, attempt: int) -> Utterance:
        rel = f"{self.svc.state_in_asterisk}/recordings/{self.uid}-{attempt}"
        utt = await capture_utterance(
            self.agi, rel, self.svc.config.host_path(rel), max_s=self.svc.max_utterance_s, silence_s=2
        )
        self.speech_end = utt.speech_end
        await self._update(recording_path=str(utt.path), speech_end_at=_ts(utt.speech_end))
        await self._event(
            "speech_end", at=utt.speech_end, attempt=attempt, voiced_s=round(utt.voiced_s, 2), ended_by=utt.ended_by
        )
        return utt

    async def understand(self, utt: Utterance, attempt: int) -> Decision:
        text = ""
        if utt.voiced_s >= MIN_VOICED_S:
            pcm = await asyncio.to_thread(read_wav_16k, utt.path)
            tr = await self.svc.recognize(pcm)
            text = tr.text
            await self._event("transcript", text=text, engine=tr.engine, decode_s=round(tr.decode_s, 3))
            await self._update(transcript=text, asr_engine=f"{tr.engine}:{tr.model}")
        decision = get_router(self.svc.profile.id).route(text, platform=self.platform, attempt=attempt)
        await self._record_decision(decision)
        return decision

    async def menu(self) -> Decision:
        await self._event("prompt", prompt="menu")
        digit = await self.agi.get_digits("hotline/menu", 5000)
        if not digit:
            digit = await self.agi.get_digits("hotline/menu-again", 5000)
        return await self.menu_choice(digit)

    async def menu_choice(self, digit: str) -> Decision:
        choice = MENU.get(digit, "agent")
        await self._event("dtmf", digit=digit or "(none)", choice=choice)
        await self._update(dtmf=digit or "")
        if choice == "agent":
            action, target = "agent", self.platform
        else:
            action, target = ("accept" if choice == self.platform else "transfer"), choice
        base = get_router(self.svc.profile.id).route("", platform=self.platform)
        decision = replace(
            base,
            action=action,
            target=target,
            rule="dtmf-menu",
            category=None,
            category_name=None,
            confidence=1.0,
            explanation=f"the caller pressed {digit or 'nothing'}: {action} -> {target}",
        )
        await self._record_decision(decision)
        return decision

    async def _record_decision(self, d: Decision) -> None:
        now = time.time()
        await self._update(
            route=d.to_dict(),
            action=d.action,
            target=d.target,
            category=d.category,
            emergency=d.emergency,
            matched=d.matched,
            decided_at=_ts(now),
        )
        await self._event(
            "decision",
            at=now,
            action=d.action,
            target=d.target,
            rule=d.rule,
            category=d.category,
            emergency=d.emergency,
            matched=d.matched[:10],
        )
        self._log("decision %s -> %s (%s) emergency=%s", d.action, d.target, d.rule, d.emergency)

    # ------------------------------------------------------------------------------- act
    async def act(self, decision: Decision) -> None:
        plan: Plan = plan_for(decision, self.svc.profile)
        for prompt in plan.prompts:
            await self._event("prompt", prompt=prompt.split("/")[-1])
            await self.agi.play(prompt, escape="")
        action, target = plan.action, plan.target
        if plan.offer_transfer_to:
            digit = await self.agi.get_digits("hotline/offer-transfer", 4000)
            if digit == "1":
                action, target = "transfer", plan.offer_transfer_to
                await self._event("dtmf", digit=digit, choice=f"transfer {target}")
        if action == "conference":
            target = plan.conference_with
            self.svc.spawn(originate_conference_legs(self.svc.ami, self.uid, self.platform, target))
        await self.agi.set_variable("HL_TARGET", target)
        await self.agi.set_variable("HL_ACTION", action)
        await self._event("action", action=action, target=target)

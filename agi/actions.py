"""Acting on a decision: the prompt the caller hears, what the dialplan does next, and the legs the
service itself brings into a three-way call over AMI.

The dialplan (dialplan/ivr.conf) reads HL_ACTION, HL_TARGET and HL_EMERGENCY when the AGI returns:
accept -> the receiving platform's agents; transfer -> hotline-handover(-emergency),<digits>;
conference -> the caller into ConfBridge hl-<uniqueid>, the other legs originated here;
guide -> goodbye; agent -> agents; hangup -> nothing more.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import Any

from hotline.contract import CALL_HEADER, CONFERENCE_PREFIX, CONTEXT_CONFERENCE, CONTEXT_CONFERENCE_LEG, Action, Var
from hotline.profile import PLATFORMS, Profile
from hotline.router import Decision

log = logging.getLogger("hotline.agi")

# prompts played while an emergency handover rings (asterisk-config/musiconhold.conf: class hotline-<prompt>)
RINGBACK_PROMPTS = ("emergency", "transfer-119", "transfer-120", "transfer-122", "transfer-12395")
# prompts that exist in sounds/zh/hotline for handovers
_TRANSFER_PROMPTS = {"110", "12345", "119", "120", "122", "12395"}
_OUT_OF_SCOPE_PROMPTS = {
    "discipline": "guide-discipline",
    "courts_army": "guide-courts",
    "petition": "guide-petition",
    "litigation": "guide-litigation",
}


@dataclass
class Plan:
    """What the session does for a decision: prompts to play, then the dialplan's next step."""

    prompts: list[str]  # names in sounds/zh/hotline
    action: str  # HL_ACTION
    target: str = ""  # HL_TARGET: digits to dial for transfer; the other platform for conference
    emergency: bool = False  # HL_EMERGENCY: a failed handover reaches a person at once
    warn: bool = False  # HL_HINT: a danger hint beside no emergency; the person who answers is warned first
    offer_transfer_to: str = ""  # guide: digits the caller may press 1 to be put through to
    conference_with: str = ""  # conference: the other platform / number dialed into the bridge
    ringback: str = ""  # transfer: a prompt played while the target rings (instead of before the dial)


def dial_digits(target: str, profile: Profile) -> str:
    """The digits a target is reached on ("" when it has no number to dial)."""
    if target in PLATFORMS or target.isdigit():
        return target
    number = profile.numbers.get(target)
    return number.dial if number and number.dial else ""


def plan_for(decision: Decision, profile: Profile) -> Plan:
    plan = _plan(decision, profile)
    plan.warn = warns(decision, plan)
    return plan


def warns(decision: Decision, plan: Plan) -> bool:
    """Whether whoever answers hears the danger warning first: a hint beside no emergency, except for a 110
    call-taker taking the call alone — at 110 every call is answered as a possible emergency, and the warning
    would only keep the caller from a person 2.8 s longer. A 12345 agent, the other platform and a 110
    call-taker brought into a 12345 matter's three-way call are warned."""
    if not decision.danger_hint or decision.emergency:
        return False
    return not (decision.receiving == "110" and plan.action in (Action.ACCEPT, Action.AGENT))


def _plan(decision: Decision, profile: Profile) -> Plan:
    action, target, platform = decision.action, decision.target, decision.receiving
    if action == Action.ACCEPT:
        return Plan([f"accept-{platform}"], Action.ACCEPT)
    if action == Action.TRANSFER:
        digits = dial_digits(target, profile)
        if not digits:  # nothing to dial: say where to go instead
            return _plan(replace(decision, action=Action.GUIDE), profile)
        prompt = f"transfer-{target}" if target in _TRANSFER_PROMPTS else "emergency"
        if decision.emergency and target == "110":
            prompt = "emergency"
        if decision.emergency and prompt in RINGBACK_PROMPTS:
            # an emergency is dialed at once, the caller hearing the prompt while it rings: a person seconds sooner
            return Plan([], Action.TRANSFER, digits, emergency=True, ringback=prompt)
        return Plan([prompt], Action.TRANSFER, digits, emergency=decision.emergency)
    if action == Action.CONFERENCE:
        digits = dial_digits(target, profile) or ("110" if platform == "12345" else "12345")
        if decision.emergency:
            prompt = "emergency"
        elif decision.rule == "danger-hint":
            prompt = "danger-hint"
        else:
            prompt = "conference"
        return Plan([prompt], Action.CONFERENCE, emergency=decision.emergency, conference_with=digits)
    if action == Action.GUIDE:
        prompt = _OUT_OF_SCOPE_PROMPTS.get(decision.category or "") or f"guide-{target.replace(':', '-')}"
        number = profile.numbers.get(target)
        offer = number.dial if number and number.transfer_offer and number.dial else ""
        if target in PLATFORMS and target != decision.receiving:
            # told to dial the other platform (at 12345 a question about a police matter, 如果…能报警吗): one key
            # puts the caller through, as for the guided numbers that offer it; a caller who meant more than a
            # question (he has taken a lot of pills, 要是…会不会死) is not left to dial again
            offer = dial_digits(target, profile)
        return Plan([prompt], Action.GUIDE, offer_transfer_to=offer)
    if decision.rule == "not-understood":
        return Plan([profile.conversation[platform].to_person], Action.AGENT)
    return Plan(["agent"], Action.AGENT)


class ConferenceDialer:
    """Brings legs into conference hl-<call> over AMI: the receiving platform's agent and the other party
    of a three-way call; an emergency's person-now fallback, which keeps calling the emergency number
    into the conference until it answers."""

    def __init__(self, ami: Any, ring_s: float = 20.0, give_up_s: float = 600.0, retry_gap_s: float = 2.0) -> None:
        self.ami = ami  # panoramisk.Manager (send_action)
        self.ring_s = ring_s  # how long each call to the emergency number rings
        self.retry_gap_s = retry_gap_s  # then this long (an answer may be on its way) before calling again
        self.give_up_s = give_up_s
        self._joined: dict[str, dict[str, asyncio.Event]] = {}
        self._ended: dict[str, asyncio.Event] = {}
        # calls whose legs were dialed while the caller still heard the handover prompt (bring_in_ahead), and
        # those of them that ended without the caller joining (when, by the loop's clock)
        self._ahead: set[str] = set()
        self._called_off: dict[str, float] = {}
        self._tasks: set[asyncio.Task] = set()

    # --------------------------------------------------------------- what the recorder tells us
    def _event(self, table: dict, uid: str) -> asyncio.Event:
        return table.setdefault(uid, asyncio.Event())

    def joined(self, uid: str, who: str) -> None:
        if uid in self._called_off:  # a leg that answered after the caller had hung up
            self._kick_soon(uid)
            return
        self._joined.setdefault(uid, {}).setdefault(who, asyncio.Event()).set()

    def ended(self, uid: str) -> None:
        self._event(self._ended, uid).set()
        joined = self._joined.pop(uid, {})
        if uid in self._ahead:
            self._ahead.discard(uid)
            if "caller" not in joined:  # hung up during the prompt: no one is left in a conference without them
                now = asyncio.get_running_loop().time()
                # a leg rings for ring_s at most: after that no late answer can come
                for old in [u for u, t in self._called_off.items() if now - t > 3 * self.ring_s]:
                    del self._called_off[old]
                self._called_off[uid] = now
                self._kick_soon(uid)

    def _kick_soon(self, uid: str) -> None:
        task = asyncio.get_running_loop().create_task(self.kick_all(uid))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def kick_all(self, uid: str) -> None:
        """Everyone out of hl-<uid> (its legs hang up)."""
        conf = f"{CONFERENCE_PREFIX}{uid}"
        try:
            res = await self.ami.send_action({"Action": "ConfbridgeKick", "Conference": conf, "Channel": "all"})
            log.info("the caller left before joining %s: its legs sent away: %s", conf, _response(res),
                     extra={"uniqueid": uid})  # fmt: skip
        except Exception as e:  # an empty conference is a nuisance, never a reason to fail
            log.error("kicking the legs of %s failed: %s", conf, e, extra={"uniqueid": uid})

    # ------------------------------------------------------------------------------ originate
    async def originate(self, uid: str, platform: str, caller: str, channel: str, who: str, warn: bool = False) -> bool:
        conf = f"{CONFERENCE_PREFIX}{uid}"
        action = {
            "Action": "Originate",
            "Channel": channel,
            "Context": CONTEXT_CONFERENCE,
            "Exten": "member",
            "Priority": "1",
            "Async": "true",
            "Timeout": str(int(self.ring_s * 1000)),
            # the other side sees who is calling: the caller, not the hotline
            "CallerID": f'"{caller}" <{caller}>' if caller else f"hotline <{platform}>",
            "Variable": [
                f"{Var.CONF}={conf}",
                f"__{Var.CALL}={uid}",  # inherited through the Local channel to the trunk leg
                f"__{Var.PLATFORM}={platform}",
                *([f"__{Var.HINT}=1"] if warn else []),  # the person answering is warned first
                # a seat dialed directly carries the call's id like every other outbound leg (a trunk leg gets it
                # from the Local channel's Dial, hotline-predial)
                *([f"PJSIP_HEADER(add,{CALL_HEADER})={uid}"] if channel.startswith("PJSIP/") else []),
            ],
        }
        try:
            res = await self.ami.send_action(action)
            ok = _response(res) == "Success"
            log.info("originate %s into %s: %s", who, conf, _response(res), extra={"uniqueid": uid})
            return ok
        except Exception as e:  # the caller is in the conference: never let this take the service down
            log.error("originate %s into %s failed: %s", who, conf, e, extra={"uniqueid": uid})
            return False

    async def bring_in(
        self,
        uid: str,
        platform: str,
        other: str,
        caller: str = "",
        delay: float = 0.8,
        with_agent: bool = True,
        warn: bool = False,
    ) -> None:
        """The receiving platform's agent (unless already there) and the other party into hl-<uid>; with
        `warn` (a danger hint) each hears the warning when it answers."""
        await asyncio.sleep(delay)  # the caller enters ConfBridge once the AGI has returned
        if with_agent:
            await self.originate(uid, platform, caller, f"PJSIP/agent-{platform}", f"agent-{platform}", warn)
        await self.originate(uid, platform, caller, f"Local/{other}@{CONTEXT_CONFERENCE_LEG}", other, warn)

    async def bring_in_ahead(self, uid: str, platform: str, other: str, caller: str = "", warn: bool = False) -> None:
        """`bring_in` at once, while the caller still hears the handover prompt: their ringing overlaps it, and a
        person answers seconds sooner. A leg that answers before the caller joins waits in the conference. When
        the call ends without the caller joining (hung up during the prompt), the legs already in are sent away,
        and so is one that answers later (`ended`, `joined`)."""
        self._ahead.add(uid)
        await self.bring_in(uid, platform, other, caller, delay=0, warn=warn)

    async def emergency_hold(self, uid: str, platform: str, target: str, caller: str) -> None:
        """The emergency number was busy or silent: a person of the receiving platform now, and the
        emergency number called again and again into the same conference until it answers."""
        ended = self._event(self._ended, uid)
        await asyncio.sleep(0.3)  # the caller is on the way into the conference
        await self.originate(uid, platform, caller, f"PJSIP/agent-{platform}", f"agent-{platform}")
        target_in = self._joined.setdefault(uid, {}).setdefault(target, asyncio.Event())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.give_up_s
        attempt = 0
        while not ended.is_set() and not target_in.is_set() and loop.time() < deadline:
            attempt += 1
            await self.originate(uid, platform, caller, f"Local/{target}@{CONTEXT_CONFERENCE_LEG}", target)
            waiting = [asyncio.ensure_future(ended.wait()), asyncio.ensure_future(target_in.wait())]
            await asyncio.wait(waiting, timeout=self.ring_s + self.retry_gap_s, return_when=asyncio.FIRST_COMPLETED)
            for w in waiting:
                w.cancel()
        outcome = "joined" if target_in.is_set() else ("caller left" if ended.is_set() else "gave up")
        log.info("emergency %s: %s after %d attempt(s)", target, outcome, attempt, extra={"uniqueid": uid})
        self._ended.pop(uid, None)

    async def agent_threeway(self, uid: str, platform: str, other: str, caller_chan: str, agent_chan: str) -> None:
        """An agent pressed *3: caller and agent into conference hl-<uid>, the other platform dialed in."""
        res = await self.ami.send_action(
            {
                "Action": "Redirect",
                "Channel": caller_chan,
                "Context": CONTEXT_CONFERENCE,
                "Exten": "caller",
                "Priority": "1",
                "ExtraChannel": agent_chan,
                "ExtraContext": CONTEXT_CONFERENCE,
                "ExtraExten": "agent",
                "ExtraPriority": "1",
            }
        )
        log.info("agent *3: caller and agent to the conference: %s", _response(res), extra={"uniqueid": uid})
        await self.bring_in(uid, platform, other, delay=0.3, with_agent=False)


def _response(res: Any) -> str:
    if isinstance(res, list):
        res = res[0] if res else {}
    return str(dict(res).get("Response", res))

"""Acting on a decision: the prompt the caller hears, and what the dialplan does next.

The dialplan (dialplan/ivr.conf) reads HL_ACTION and HL_TARGET when the AGI returns:
accept -> the receiving platform's agents; transfer -> hotline-handover,<digits>;
conference -> the caller into ConfBridge hl-<uniqueid>, the other legs originated over AMI here;
guide -> goodbye; agent -> agents; hangup -> nothing more.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from hotline.profile import PLATFORMS, Profile

log = logging.getLogger("hotline.agi")

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

    prompts: list[str]
    action: str  # HL_ACTION
    target: str = ""  # HL_TARGET: digits to dial for transfer; the other platform for conference
    offer_transfer_to: str = ""  # guide: digits the caller may press 1 to be put through to
    conference_with: str = ""  # conference: the other platform / number dialed into the bridge


def dial_digits(target: str, profile: Profile) -> str:
    """The digits a target is reached on ("" when it has no number to dial)."""
    if target in PLATFORMS or target.isdigit():
        return target
    number = profile.numbers.get(target)
    return number.dial if number and number.dial else ""


def plan_for(decision, profile: Profile) -> Plan:
    action, target, platform = decision.action, decision.target, decision.receiving
    if action == "accept":
        return Plan([f"hotline/accept-{platform}"], "accept")
    if action == "transfer":
        digits = dial_digits(target, profile)
        if not digits:  # nothing to dial: say where to go instead
            return plan_for(_as_guide(decision), profile)
        prompt = f"hotline/transfer-{target}" if target in _TRANSFER_PROMPTS else "hotline/emergency"
        if decision.emergency and target == "110":
            prompt = "hotline/emergency"
        return Plan([prompt], "transfer", digits)
    if action == "conference":
        digits = dial_digits(target, profile) or ("110" if platform == "12345" else "12345")
        return Plan(
            ["hotline/emergency" if decision.emergency else "hotline/conference"], "conference", conference_with=digits
        )
    if action == "guide":
        prompt = _OUT_OF_SCOPE_PROMPTS.get(decision.category or "")
        if prompt is None:
            key = target.replace(":", "-")
            prompt = f"hotline/guide-{key}"
        else:
            prompt = f"hotline/{prompt}"
        number = profile.numbers.get(target)
        offer = number.dial if number and number.transfer_offer and number.dial else ""
        return Plan([prompt], "guide", offer_transfer_to=offer)
    return Plan(["hotline/agent"], "agent")


def _as_guide(decision):
    from dataclasses import replace

    return replace(decision, action="guide")


async def originate_conference_legs(
    ami, uniqueid: str, platform: str, other: str, delay: float = 0.8, with_agent: bool = True
) -> None:
    """Bring the receiving platform's agent (unless already there) and the other platform into
    conference hl-<uniqueid>."""
    await asyncio.sleep(delay)  # the caller enters ConfBridge once the AGI has returned
    conf = f"hl-{uniqueid}"
    legs = [(f"Local/{other}@hotline-conference-leg", other)]
    if with_agent:
        legs.insert(0, (f"PJSIP/agent-{platform}", f"agent-{platform}"))
    for channel, who in legs:
        action = {
            "Action": "Originate",
            "Channel": channel,
            "Context": "hotline-conference",
            "Exten": "member",
            "Priority": "1",
            "Async": "true",
            "Timeout": "30000",
            "CallerID": f"hotline <{platform}>",
            "Variable": [
                f"HL_CONF={conf}",
                f"__HL_CALL={uniqueid}",  # inherited through the Local channel to the trunk leg
                f"__HL_PLATFORM={platform}",
                f"PJSIP_HEADER(add,X-Hotline-Call)={uniqueid}",
            ],
        }
        try:
            res = await ami.send_action(action)
            log.info("originate %s into %s: %s", who, conf, _response(res), extra={"uniqueid": uniqueid})
        except Exception as e:  # the caller is in the conference: never let this take the service down
            log.error("originate %s into %s failed: %s", who, conf, e, extra={"uniqueid": uniqueid})


def _response(res) -> str:
    if isinstance(res, list):
        res = res[0] if res else {}
    return str(dict(res).get("Response", res))

"""Names the dialplan and the Python code share: channel variables, UserEvents, actions, outcomes.

The dialplan (dialplan/*.conf, and the simulation overlay asterisk-sim/) spells these names too;
tests/test_contract.py reads those files and fails when a name is used there that is not here, or
named here and used nowhere. Nothing else in Python spells them.
"""

from __future__ import annotations

from enum import StrEnum


class Var(StrEnum):
    """Channel variables (``HL_*``). Those set with ``__`` in the dialplan are inherited by every leg."""

    PLATFORM = "HL_PLATFORM"  # the receiving platform: 12345 | 110 (inbound.conf)
    CALL = "HL_CALL"  # the caller channel's UNIQUEID: the call's id on every leg and event
    ACTION = "HL_ACTION"  # set by the service: what the dialplan does next (Action)
    TARGET = "HL_TARGET"  # set by the service: digits to dial (transfer) / the other party (conference)
    EMERGENCY = "HL_EMERGENCY"  # set by the service: 1 when the decision is an emergency
    # set by the service (inherited by every leg): 1 when a hint of danger goes with a matter that is no
    # emergency; whoever answers for the hotline hears a warning before the caller is put through
    HINT = "HL_HINT"
    # set by the service: the handover prompt the caller hears while the target rings (musiconhold.conf class
    # hotline-<prompt>), instead of hearing it played before the dial
    RINGBACK = "HL_RINGBACK"
    DIAL_OPTS = "HL_DIAL_OPTS"  # an emergency handover's Dial options (with the ringback's music class)
    FEATURES = "HL_FEATURES"  # the agents' one-key features (features.conf applicationmap)
    AGI = "HL_AGI"  # the FastAGI URL of `hotline serve` (globals.conf)
    STATE = "HL_STATE"  # the state folder as Asterisk sees it (recordings)
    DIAL_TIMEOUT = "HL_DIAL_TIMEOUT"  # seconds a handover or an agent may ring
    EMERGENCY_DIAL_TIMEOUT = "HL_EMERGENCY_DIAL_TIMEOUT"  # seconds an emergency handover rings before a person
    TRY = "HL_TRY"  # handover attempt number
    TRUNK = "HL_TRUNK"  # the trunk a handover leaves on
    OTHER = "HL_OTHER"  # the other platform (agent features)
    CONF = "HL_CONF"  # the conference an originated leg joins
    ORDER = "HL_ORDER"  # a 回访 call: the work order's id (followup.conf)
    ORDER_DIGITS = "HL_ORDER_DIGITS"  # a 回访 call: the last digits of the order's number, said to the caller
    FOLLOWUP_PLATFORM = "HL_FOLLOWUP_PLATFORM"  # a 回访 call: the platform calling back (12345 | 110)


class Action(StrEnum):
    """HL_ACTION: the dialplan's ``act-<action>`` extension in hotline-ivr."""

    ACCEPT = "accept"  # the receiving platform's agents
    TRANSFER = "transfer"  # one-key (blind) handover: Dial on the target's trunk
    CONFERENCE = "conference"  # the caller into ConfBridge hl-<call>; the service originates the others
    GUIDE = "guide"  # the number was said; goodbye
    AGENT = "agent"  # a person of the receiving platform
    HANGUP = "hangup"  # the caller is gone


class Event(StrEnum):
    """UserEvent names the dialplan raises; agi/events.py turns them into the call timeline."""

    ANSWERED = "HotlineAnswered"  # an outbound leg (neighbour, agent seat) answered: Dial's U() gosub
    HANDOVER = "HotlineHandover"  # a handover's progress: dialing, BUSY/NOANSWER/…, failed
    AGENT = "HotlineAgent"  # an agent seat is dialed, or no agent answered
    AGENT_FEATURE = "HotlineAgentFeature"  # an agent pressed *1 (handover) or *3 (threeway)
    CONFERENCE = "HotlineConference"  # the caller entered conference hl-<call>
    FALLBACK = "HotlineFallback"  # the service was unreachable or failed: the caller goes to an agent
    EMERGENCY_HOLD = "HotlineEmergencyHold"  # an emergency's 110 leg failed: a person now, 110 keeps being called
    FOLLOWUP = "HotlineFollowup"  # a 回访 call's result: rated (with the key), unrated, hangup (hotline.linkage)


class Status(StrEnum):
    """Values of the Status field of HotlineHandover."""

    DIALING = "dialing"
    FAILED = "failed"


class Outcome(StrEnum):
    """How a call ended, as the call log records it (``prefix:detail`` where there is a detail)."""

    REACHED = "reached"  # reached:<target> — the other platform or number answered
    CONFERENCE = "conference"  # conference:<participants joined by +>
    ACCEPTED = "accepted"  # accepted:<platform> — an agent of the receiving platform took it
    GUIDED = "guided"  # guided:<number>
    AGENT = "agent"  # a person took it after a fallback (service down, menu, not understood)
    HANGUP = "hangup"  # the caller hung up before reaching anyone


def outcome(kind: Outcome, detail: str = "") -> str:
    return f"{kind}:{detail}" if detail else str(kind)


# dialplan contexts the service sends channels to (AMI Redirect / Originate)
CONTEXT_CONFERENCE = "hotline-conference"
CONTEXT_CONFERENCE_LEG = "hotline-conference-leg"
CONFERENCE_PREFIX = "hl-"  # conference name = hl-<call>
CALL_HEADER = "X-Hotline-Call"  # set by the system on every outbound leg: the call it belongs to

"""The order's lifecycle: received → accepted | returned → in_progress → resolved → followed_up → closed.

The history is the order. Each entry is {id, seq, at, by, action, status, note, data}; both platforms
append their own entries and merge the other's by id, and the status, dates, result, rating and due time
are a fold of the merged history — so both sides show the same timeline and state whatever order the
deliveries took. `seq` is a Lamport clock (one more than the highest seq the writer had seen), so a
change made after seeing another sorts after it even when the two machines' clocks differ.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hotline.linkage.deadlines import add_working_days

STATUSES = ("received", "accepted", "returned", "in_progress", "resolved", "followed_up", "closed")
OPEN = frozenset({"received", "accepted", "in_progress"})  # the target platform still owes something
RATINGS = {1: "满意", 2: "基本满意", 3: "不满意"}
STATUS_NAMES = {
    "received": "待受理",
    "accepted": "已受理",
    "returned": "已退回",
    "in_progress": "办理中",
    "resolved": "已办结待回访",
    "followed_up": "已回访",
    "closed": "已关闭",
}


class LifecycleError(Exception):
    """An action that the order's status or the acting side does not allow."""


@dataclass(frozen=True)
class Rule:
    history_action: str  # what the history entry is called
    allowed_from: frozenset[str]
    to: str | None  # the new status, or None when the status stays
    side: str  # who may do it: target | origin | any


_ANY = frozenset(STATUSES)
RULES: dict[str, Rule] = {
    "accept": Rule("accepted", frozenset({"received"}), "accepted", "target"),
    "return": Rule("returned", frozenset({"received", "accepted"}), "returned", "target"),
    "feedback": Rule("feedback", frozenset({"accepted", "in_progress"}), "in_progress", "target"),
    "extend": Rule("extended", frozenset({"accepted", "in_progress"}), None, "target"),
    "resolve": Rule("resolved", frozenset({"accepted", "in_progress"}), "resolved", "target"),
    "followup": Rule("followup", frozenset({"resolved"}), None, "origin"),  # an attempt: no answer, busy
    "followed_up": Rule("followed_up", frozenset({"resolved"}), "followed_up", "origin"),
    "close": Rule("closed", frozenset({"resolved", "followed_up", "returned"}), "closed", "origin"),
    "remind": Rule("overdue", OPEN, None, "origin"),  # 督办
    "note": Rule("note", _ANY, None, "any"),
    "edit": Rule("edited", _ANY - {"closed"}, None, "any"),
}
# history actions that move the status, by the status they lead to (a foreign system may send only a status)
TRANSITION_BY_STATUS = {r.to: r.history_action for r in RULES.values() if r.to}
TRANSITION_BY_STATUS["received"] = "created"
EDITABLE = ("caller_name", "caller_number", "location", "region_code", "event_time_text", "category_name")


def side_of(platform: str, origin: str, target: str) -> str:
    if platform == target:
        return "target"
    if platform == origin:
        return "origin"
    raise LifecycleError(f"platform {platform} is not a party to this order ({origin} -> {target})")


def check(action: str, status: str, side: str) -> Rule:
    rule = RULES.get(action)
    if rule is None:
        raise LifecycleError(f"unknown action {action!r}; one of {', '.join(RULES)}")
    if rule.side != "any" and rule.side != side:
        who = "the target platform" if rule.side == "target" else "the originating platform"
        raise LifecycleError(f"{action}: only {who} does this")
    if status not in rule.allowed_from:
        raise LifecycleError(f"{action}: not allowed while the order is {status} ({STATUS_NAMES.get(status, '')})")
    return rule


def entry(
    action: str, status: str, at: datetime, by: str, seq: int, note: str = "", data: dict | None = None
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "seq": seq,
        "at": at.isoformat(),
        "by": by,
        "action": action,
        "status": status,
        "note": note,
        "data": data or {},
    }


def sort_key(e: dict) -> tuple:
    return (int(e.get("seq") or 0), str(e.get("at") or ""), str(e.get("id") or ""))


def merge_history(mine: list[dict], theirs: list[dict]) -> tuple[list[dict], list[dict]]:
    """(merged history, the entries of `theirs` that were new here)."""
    known = {e["id"] for e in mine}
    top = max((int(e.get("seq") or 0) for e in mine), default=0)
    seen: set[str] = set()
    fresh = []
    for e in theirs:
        if e["id"] in known or e["id"] in seen:  # a peer repeating an id within one document counts once
            continue
        seen.add(e["id"])
        if not e.get("seq"):  # a foreign system keeps no Lamport clock: its entry follows what is here
            e = {**e, "seq": top + 1 + len(fresh)}
        fresh.append(e)
    return sorted([*mine, *fresh], key=sort_key), fresh


def action_of(e: dict, status_before: str) -> str:
    """The history action of an entry; a foreign system may give only the new status."""
    if e.get("action"):
        return e["action"]
    st = e.get("status")
    if st and st != status_before:
        return TRANSITION_BY_STATUS.get(st, "note")
    return "note"


@dataclass
class State:
    status: str = "received"
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    result: str | None = None
    return_reason: str | None = None
    rating: int | None = None
    followup_result: str | None = None
    followup_attempts: int = 0
    escalations: int = 0
    reply_days: float | None = None  # after an extension
    version: int = 0
    updated_at: datetime | None = None
    due_at: datetime | None = None
    last_reminded: dict[str, datetime] | None = None  # deadline kind -> last 督办 reminder


def fold(history: list[dict], created_at: datetime, deadlines: dict, tz: str) -> State:
    """The order's state from its history (both platforms compute the same from the same entries)."""
    st = State(last_reminded={})
    for e in sorted(history, key=sort_key):
        at = datetime.fromisoformat(e["at"])
        act = action_of(e, st.status)
        data = e.get("data") or {}
        st.version = max(st.version, int(e.get("seq") or 0))
        st.updated_at = max(st.updated_at, at) if st.updated_at else at
        if act in TRANSITION_BY_STATUS.values() and e.get("status") in STATUSES:
            st.status = e["status"]
        if act == "accepted":
            st.accepted_at = at
        elif act == "returned":
            st.return_reason = e.get("note") or st.return_reason
        elif act == "resolved":
            st.resolved_at, st.result = at, e.get("note") or st.result
        elif act == "closed":
            st.closed_at = at
        elif act == "extended":
            days = data.get("reply_working_days")
            if isinstance(days, int | float):
                st.reply_days = max(st.reply_days or 0, float(days))
        elif act in ("followup", "followed_up"):
            st.followup_attempts += 1
            st.followup_result = data.get("result") or st.followup_result
            if data.get("rating") in RATINGS:
                st.rating = int(data["rating"])
        elif act == "overdue":
            st.escalations += 1
            kind = str(data.get("deadline") or "")
            st.last_reminded[kind] = max(st.last_reminded.get(kind, at), at)
    st.due_at = due_at(st.status, created_at, deadlines, tz, st.reply_days)
    return st


def due_at(
    status: str, created_at: datetime, deadlines: dict, tz: str, reply_days: float | None = None
) -> datetime | None:
    """When the step the order waits for is due: acceptance while received, the reply while being handled."""
    if status == "received":
        return created_at + timedelta(minutes=float(deadlines.get("accept_minutes", 60)))
    if status in ("accepted", "in_progress"):
        days = float(deadlines.get("reply_working_days", 5))
        if reply_days:
            days = min(max(days, reply_days), float(deadlines.get("reply_max_working_days", 10)))
        return add_working_days(created_at, days, tz)
    return None


def deadline_kind(status: str) -> str | None:
    return {"received": "accept", "accepted": "reply", "in_progress": "reply"}.get(status)

"""OrderBook: every change to an order goes through here, with its history entry and its outbox rows.

Work happens inside a caller's SQLAlchemy session (one transaction): the call's decision and the order
it creates, an agent's action and the delivery telling the peer, a peer's delivery and its inbox row.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.linkage import fields as extract
from hotline.linkage.documents import OrderIn, order_doc
from hotline.linkage.lifecycle import (
    EDITABLE,
    LifecycleError,
    check,
    entry,
    fold,
    merge_history,
    side_of,
)
from hotline.linkage.models import Order, OutboxMessage, utcnow
from hotline.profile import PLATFORMS, load_profile

log = logging.getLogger("hotline.linkage")


def other_platform(platform: str) -> str:
    return "110" if platform == "12345" else "12345"


def order_target(decision: dict, receiving: str) -> str | None:
    """The platform a call's decision hands work to, or None: transfer, three-way call or push to the other."""
    other = other_platform(receiving)
    if decision.get("target") != other:
        return None
    if decision.get("action") in ("transfer", "conference") or decision.get("work_order") == "push":
        return other
    return None


@dataclass
class OrderBook:
    platform: str  # this installation's own platform
    tz: str = "Asia/Shanghai"
    profile: str = "national"  # the site's profile: deadlines of the orders typed here

    @classmethod
    def from_config(cls, config=None) -> OrderBook:
        from hotline.config import settings

        c = config or settings()
        if c.platform not in PLATFORMS:
            raise ValueError(f"HOTLINE_PLATFORM={c.platform!r}: 12345 or 110")
        return cls(platform=c.platform, tz=c.timezone, profile=c.profile)

    # ------------------------------------------------------------------------------ creating
    def next_number(self, s: Session, at: datetime) -> str:
        prefix = f"{self.platform}-{at.astimezone(ZoneInfo(self.tz)):%Y%m%d}-"
        last = s.scalar(
            select(Order.number)
            .where(Order.number >= prefix, Order.number < prefix + "~")
            .order_by(Order.number.desc())
            .limit(1)
        )
        n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
        return f"{prefix}{n:06d}"

    def create(
        self,
        s: Session,
        *,
        origin: str,
        target: str,
        request_text: str,
        by: str,
        profile: str | None = None,
        now: datetime | None = None,
        note: str = "",
        **fields: Any,
    ) -> Order:
        """A new order (from a call, or typed by an agent), its `created` entry and its delivery to the peer."""
        if origin not in PLATFORMS or target not in PLATFORMS or origin == target:
            raise LifecycleError(f"an order goes between 12345 and 110, not {origin} -> {target}")
        now = now or utcnow()
        prof = load_profile(profile or self.profile)
        o = Order(
            id=str(uuid.uuid4()),
            number=self.next_number(s, now),
            origin_platform=origin,
            target_platform=target,
            request_text=request_text,
            profile=prof.id,
            created_at=now,
            updated_at=now,
            deadlines=prof.deadlines.model_dump(),
            caller_number=fields.pop("caller_number", "") or "",
            history=[],
            followup_attempts=0,
            escalations=0,
            version=0,
        )
        for k, v in fields.items():
            setattr(o, k, v)
        o.history = [entry("created", "received", now, by, 1, note)]
        self._refold(o)
        s.add(o)
        self._enqueue(s, o, "order.created", now)
        log.info("order %s created: %s -> %s", o.number, origin, target, extra={"uniqueid": o.source_call_id})
        return o

    def create_from_call(self, s: Session, call, decision: dict, now: datetime | None = None) -> Order | None:
        """The order a call's decision creates (transfer, three-way call or push to the other platform)."""
        target = order_target(decision, call.platform)
        if target is None:
            return None
        now = now or utcnow()
        prof = load_profile(call.profile or "national")
        text = call.transcript or ""
        place = extract.location(text)
        when = extract.event_time(text, call.started_at.replace(tzinfo=UTC) if call.started_at else now, self.tz)
        return self.create(
            s,
            origin=call.platform,
            target=target,
            request_text=text,
            by=f"{self.platform}/ivr",
            profile=prof.id,
            now=now,
            caller_number=call.caller or "",
            caller_name=extract.caller_name(text),
            location=place,
            region_code=extract.region_code(place, prof),
            event_time=when.at if when else None,
            event_time_text=when.text if when else None,
            category=decision.get("category"),
            category_name=decision.get("category_name"),
            emergency=bool(decision.get("emergency")),
            decision={k: decision.get(k) for k in _DECISION_KEYS},
            source_call_id=call.uniqueid,
            recording=call.recording_path,
            note=decision.get("explanation") or "",
        )

    # ------------------------------------------------------------------------------- acting
    def act(
        self,
        s: Session,
        order: Order,
        action: str,
        user: str,
        note: str = "",
        data: dict | None = None,
        now: datetime | None = None,
    ) -> dict:
        """An agent's (or the system's) action on the order; the change goes to the peer in the same transaction."""
        now = now or utcnow()
        rule = check(action, order.status, side_of(self.platform, order.origin_platform, order.target_platform))
        data = dict(data or {})
        if action in ("return", "resolve") and not note.strip():
            raise LifecycleError(f"{action}: say why (the reason for returning, the result of the handling)")
        if action == "extend":
            days = data.get("reply_working_days")
            cap = float(order.deadlines.get("reply_max_working_days", 10))
            if not isinstance(days, int | float) or not 0 < days <= cap:
                raise LifecycleError(f"extend: reply_working_days between 1 and {cap:g}")
        if action == "edit":
            bad = set(data) - set(EDITABLE)
            if bad or not data:
                raise LifecycleError(f"edit: only {', '.join(EDITABLE)}")
            for k, v in data.items():
                setattr(order, k, v)
        if action == "return" and order.deadlines:
            from hotline.linkage.deadlines import add_working_days

            limit = add_working_days(order.created_at, float(order.deadlines.get("return_working_days", 2)), self.tz)
            if now > limit:
                data["late"] = True  # recorded, not refused: a misrouted order still goes back
        e = entry(
            rule.history_action, rule.to or order.status, now, f"{self.platform}/{user}", order.version + 1, note, data
        )
        order.history = [*order.history, e]
        self._refold(order)
        type_ = "order.overdue" if action == "remind" else "order.updated"
        self._enqueue(s, order, type_, now)
        return e

    # -------------------------------------------------------------------------- from a peer
    def apply_remote(self, s: Session, doc: OrderIn, peer: str) -> tuple[Order, int]:
        """Merge a peer's copy: new history entries are taken, the state refolded. (order, entries taken)."""
        if self.platform not in (doc.origin_platform, doc.target_platform):
            raise LifecycleError(f"this installation ({self.platform}) is not a party to order {doc.id}")
        if peer not in (doc.origin_platform, doc.target_platform):
            raise LifecycleError(f"peer {peer} is not a party to order {doc.id}")
        order = s.get(Order, doc.id)
        # times as this side writes them (UTC, +00:00), so both sides hold the very same entries
        theirs = [{**h.model_dump(mode="json"), "at": h.at.astimezone(UTC).isoformat()} for h in doc.history]
        if order is None:
            order = Order(
                id=doc.id,
                number=doc.number or self.next_number(s, doc.created_at),
                origin_platform=doc.origin_platform,
                target_platform=doc.target_platform,
                caller_number=doc.caller_number,
                caller_name=doc.caller_name,
                event_time=doc.event_time,
                event_time_text=doc.event_time_text,
                location=doc.location,
                region_code=doc.region_code,
                request_text=doc.request_text,
                category=doc.category,
                category_name=doc.category_name,
                emergency=doc.emergency,
                decision=doc.decision,
                source_call_id=doc.source_call_id,
                recording=doc.recording,
                profile=doc.profile,
                created_at=doc.created_at,
                updated_at=doc.created_at,
                deadlines=doc.deadlines or load_profile("national").deadlines.model_dump(),
                history=[],
                followup_attempts=0,
                escalations=0,
                version=0,
            )
            s.add(order)
        merged, fresh = merge_history(list(order.history or []), theirs)
        for e in fresh:  # a peer writes history in its own name only
            if not str(e.get("by", "")).startswith(f"{peer}/"):
                raise LifecycleError(f"history entry {e['id']} is by {e.get('by')!r}, not by {peer}")
        for e in fresh:  # an edit made there: its fields, once
            if e.get("action") == "edited":
                for k, v in (e.get("data") or {}).items():
                    if k in EDITABLE:
                        setattr(order, k, v)
        order.history = merged
        self._refold(order)
        return order, len(fresh)

    # ------------------------------------------------------------------------------- helpers
    def _refold(self, o: Order) -> None:
        st = fold(o.history, o.created_at, o.deadlines or {}, self.tz)
        for k in (
            "status",
            "accepted_at",
            "resolved_at",
            "closed_at",
            "result",
            "return_reason",
            "rating",
            "followup_result",
            "followup_attempts",
            "escalations",
            "version",
            "due_at",
        ):
            setattr(o, k, getattr(st, k))
        o.updated_at = st.updated_at or o.created_at

    def _enqueue(self, s: Session, o: Order, type_: str, now: datetime) -> None:
        """A delivery to each other party of the order (kept until delivered, even before a peer is configured)."""
        for peer in {o.origin_platform, o.target_platform} - {self.platform}:
            body = json.dumps(
                {"type": type_, "timestamp": now.isoformat(), "data": order_doc(o, now)},
                ensure_ascii=False,
                separators=(",", ":"),
            )
            s.add(
                OutboxMessage(
                    msg_id=f"msg_{uuid.uuid4().hex}",
                    order_id=o.id,
                    peer=peer,
                    type=type_,
                    payload=body,
                    created_at=now,
                    attempts=0,
                    next_attempt_at=now,
                )
            )


_DECISION_KEYS = (
    "action",
    "target",
    "rule",
    "explanation",
    "confidence",
    "matched",
    "evidence",
    "work_order",
    "profile",
)

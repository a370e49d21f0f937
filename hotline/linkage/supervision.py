"""督办: orders past their deadline are reminded to the handling platform (order.overdue) and counted.

The originating platform supervises the orders it handed over: an order not accepted within the hour,
or not resolved within its working days, gets an `overdue` history entry (by <platform>/supervision),
its escalation count goes up, and the peer hears of it. The reminder repeats every
`remind_every_hours` while the order stays overdue. Both sides show the order as overdue from its
due time alone, whether or not the reminder got through yet.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from hotline.linkage.lifecycle import OPEN, deadline_kind, fold
from hotline.linkage.models import Order, utcnow
from hotline.linkage.orders import OrderBook

log = logging.getLogger("hotline.linkage.supervision")
NOTES = {"accept": "超时未受理，请尽快受理或退回", "reply": "超过办理时限，请尽快办结反馈"}


def supervise(calllog, book: OrderBook, now: datetime | None = None) -> list[str]:
    """Remind every overdue order this installation handed over; returns the numbers reminded."""
    now = now or utcnow()
    reminded = []
    with calllog.session() as s:
        rows = s.scalars(
            select(Order).where(
                Order.origin_platform == book.platform,
                Order.target_platform != book.platform,
                Order.status.in_(OPEN),
                Order.due_at < now,
            )
        )
        for o in rows:
            kind = deadline_kind(o.status)
            st = fold(o.history, o.created_at, o.deadlines or {}, book.tz)
            last = (st.last_reminded or {}).get(kind or "")
            every = timedelta(hours=float((o.deadlines or {}).get("remind_every_hours", 24)))
            if kind is None or (last is not None and now - last < every):
                continue
            book.act(
                s,
                o,
                "remind",
                "supervision",
                note=NOTES[kind],
                data={"deadline": kind, "due_at": o.due_at.isoformat(), "level": o.escalations + 1},
                now=now,
            )
            reminded.append(o.number)
            log.info("督办: order %s overdue (%s, due %s), reminder %d", o.number, kind, o.due_at, o.escalations)
    return reminded


def near_due(o: Order, now: datetime) -> bool:
    hours = float((o.deadlines or {}).get("near_due_hours", 4))
    return bool(o.due_at and o.status in OPEN and now <= o.due_at < now + timedelta(hours=hours))

"""回访: once an order is resolved, the originating platform calls the caller back over AMI.

The call (AMI Originate, async) enters dialplan/followup.conf, which says the platform, the order's
last digits and that it was handled, then reads one key: 1 满意, 2 基本满意, 3 不满意; it reports the
key with UserEvent(HotlineFollowup). No answer or busy → another attempt after `retry_minutes`, up to
`attempts` calls, and only within the profile's calling hours (site time): never at night. Each
attempt and the result are history entries, so the peer sees them too. A satisfied (1) or basically
satisfied (2) caller closes the order; 不满意 leaves it followed_up for a supervisor.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from hotline.contract import Event, Var
from hotline.linkage.lifecycle import RATINGS
from hotline.linkage.models import Order, utcnow
from hotline.linkage.orders import OrderBook
from hotline.profile import FollowupPolicy, load_profile

log = logging.getLogger("hotline.linkage.followup")
CALLABLE = re.compile(r"^\+?[0-9]{3,20}$")
# OriginateResponse Reason (Asterisk's control frame of the dialed leg) -> the attempt's result
REASONS = {"3": "no_answer", "1": "no_answer", "5": "busy", "8": "failed", "0": "failed"}


# ------------------------------------------------------------------------------ calling hours
def _windows(policy: FollowupPolicy) -> list[tuple[time, time | None]]:
    out = []
    for w in policy.hours:
        a, b = w.split("-")
        out.append((time.fromisoformat(a), None if b == "24:00" else time.fromisoformat(b)))
    return out


def in_calling_hours(now: datetime, policy: FollowupPolicy, tz: str) -> bool:
    t = now.astimezone(ZoneInfo(tz)).time()
    return any(a <= t and (b is None or t < b) for a, b in _windows(policy))


def next_calling_time(now: datetime, policy: FollowupPolicy, tz: str) -> datetime:
    """`now` if it is within calling hours, else the start of the next window (site time)."""
    if in_calling_hours(now, policy, tz):
        return now
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    for days in range(0, 3):
        day = local.date() + timedelta(days=days)
        for a, _ in sorted(_windows(policy)):
            start = datetime.combine(day, a, zone)
            if start > local:
                return start.astimezone(now.tzinfo)
    raise ValueError("no calling window")  # unreachable: the profile has at least one window


# --------------------------------------------------------------------------------- the state
def due_followups(s, book: OrderBook, now: datetime) -> list[Order]:
    return list(
        s.scalars(
            select(Order).where(
                Order.origin_platform == book.platform,
                Order.status == "resolved",
                or_(Order.followup_next_at.is_(None), Order.followup_next_at <= now),
            )
        )
    )


def record_attempt(calllog, book: OrderBook, order_id: str, result: str, rating: int | None = None) -> Order | None:
    """An attempt's outcome on the order (and to the peer): a retry, or the follow-up's result."""
    now = utcnow()
    with calllog.session() as s:
        o = s.get(Order, order_id)
        if o is None or o.status != "resolved":
            return None
        policy = load_profile(o.profile or "national").followup
        attempt = o.followup_attempts + 1
        if result == "answered":
            label = RATINGS.get(rating or 0, "未按键")
            book.act(
                s,
                o,
                "followed_up",
                "followup",
                note=f"回访接通，评价：{label}",
                data={"result": "answered", "rating": rating, "attempt": attempt},
                now=now,
            )
            if rating in (1, 2):
                book.act(s, o, "close", "followup", note="回访满意，办结", now=now)
        else:
            # the last attempt ends the follow-up unanswered; an earlier one leaves it to be tried again
            last = attempt >= policy.attempts
            event = "followed_up" if last else "followup"
            note = f"回访未接通（{attempt} 次）" if last else f"回访第 {attempt} 次未接通：{result}"
            book.act(s, o, event, "followup", note=note, data={"result": result, "attempt": attempt}, now=now)
            o.followup_next_at = next_calling_time(now + timedelta(minutes=policy.retry_minutes), policy, book.tz)
        log.info("回访 order %s attempt %d: %s rating=%s", o.number, attempt, result, rating)
        return o


# ----------------------------------------------------------------------------- the caller
class FollowupCaller:
    """Runs inside `hotline serve`: finds resolved orders, calls back over AMI, records what happened."""

    def __init__(self, calllog, book: OrderBook, ami, dial: str, context: str = "hotline-followup") -> None:
        self.calllog = calllog
        self.book = book
        self.ami = ami
        self.dial = dial
        self.context = context
        self._ratings: dict[str, asyncio.Future] = {}
        self._busy: set[str] = set()

    async def on_user_event(self, manager, msg) -> None:
        if msg.get("UserEvent") != Event.FOLLOWUP:
            return
        fut = self._ratings.get(msg.get("Order", ""))
        if fut is not None and not fut.done():
            fut.set_result(dict(msg))

    async def tick(self) -> int:
        """Start the follow-up calls that are due now; returns how many were started."""
        now = utcnow()
        started = 0
        todo = await asyncio.to_thread(self._claim, now)
        for order_id, number, digits, origin, ring in todo:
            asyncio.get_running_loop().create_task(self._call(order_id, number, digits, origin, ring))
            started += 1
        return started

    def _claim(self, now: datetime) -> list[tuple[str, str, str, str, int]]:
        """Due orders within calling hours, marked as being called (so the next tick leaves them)."""
        out = []
        with self.calllog.session() as s:
            for o in due_followups(s, self.book, now):
                if o.id in self._busy:
                    continue
                policy = load_profile(o.profile or "national").followup
                when = next_calling_time(now, policy, self.book.tz)
                if when > now:
                    o.followup_next_at = when  # outside calling hours: wait for the next window
                    continue
                if not CALLABLE.match(o.caller_number or ""):
                    self.book.act(
                        s,
                        o,
                        "followed_up",
                        "followup",
                        note="无可回访的号码",
                        data={"result": "failed", "attempt": o.followup_attempts + 1},
                        now=now,
                    )
                    continue
                o.followup_next_at = now + timedelta(seconds=policy.ring_seconds + 180)  # a crash retries later
                self._busy.add(o.id)
                out.append((o.id, o.caller_number, o.number.rsplit("-", 1)[-1], o.origin_platform, policy.ring_seconds))
        return out

    async def _call(self, order_id: str, number: str, digits: str, platform: str, ring_s: int) -> None:
        loop = asyncio.get_running_loop()
        self._ratings[order_id] = rating_fut = loop.create_future()
        try:
            result, rating = await self._originate(order_id, number, digits, platform, ring_s, rating_fut)
        except Exception as e:  # AMI down: count it as a failed attempt, never crash the service
            log.error("回访 order %s: originate failed: %s", order_id, e)
            result, rating = "failed", None
        finally:
            self._ratings.pop(order_id, None)
        try:  # busy until the attempt is recorded: whoever waits for the call waits for its record too
            await asyncio.to_thread(record_attempt, self.calllog, self.book, order_id, result, rating)
        finally:
            self._busy.discard(order_id)

    async def _originate(self, order_id, number, digits, platform, ring_s, rating_fut) -> tuple[str, int | None]:
        action = {
            "Action": "Originate",
            "Channel": self.dial.format(number=number),
            "Context": self.context,
            "Exten": "s",
            "Priority": "1",
            "Async": "true",
            "Timeout": str(ring_s * 1000),
            "CallerID": f"{platform} <{platform}>",
            "Variable": [
                f"{Var.ORDER}={order_id}",
                f"{Var.ORDER_DIGITS}={digits}",
                f"{Var.FOLLOWUP_PLATFORM}={platform}",
            ],
        }
        log.info("回访 order %s: calling %s", order_id, number)
        res = await asyncio.wait_for(self.ami.send_action(action), ring_s + 30)
        msgs = res if isinstance(res, list) else [res]
        final = dict(msgs[-1])
        if final.get("Response") != "Success" or final.get("Event") != "OriginateResponse":
            reason = str(final.get("Reason", "0"))
            return REASONS.get(reason, "failed"), None
        try:  # answered: the dialplan reads the key and reports it
            ev = await asyncio.wait_for(rating_fut, 120)
        except TimeoutError:
            return "answered", None
        key = (ev.get("Rating") or "").strip()
        return "answered", int(key) if key in ("1", "2", "3") else None

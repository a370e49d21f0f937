"""The order list's filters, validated, as one query (the admin's list, its CSV and the linkage API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from hotline.linkage.lifecycle import OPEN, STATUSES
from hotline.linkage.models import Order

PER_PAGE_MAX = 200
SORTS = {"-created": Order.created_at.desc(), "created": Order.created_at.asc(), "due": Order.due_at.asc()}


def involving(platform: str):
    """Orders that platform is a party to, as sender or handler: a platform's (and a scoped user's) orders."""
    return or_(Order.origin_platform == platform, Order.target_platform == platform)


class BadOrderFilter(ValueError):
    """A filter value the list cannot use; the message is shown as is (Chinese)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class OrderFilter:
    status: str = ""  # a status, or "open"
    due: str = ""  # "" | overdue | near
    platform: str = ""  # either party
    origin: str = ""
    target: str = ""
    category: str = ""
    q: str = ""
    date_from: datetime | None = None
    date_to: datetime | None = None
    sort: str = "-created"
    page: int = 1
    per_page: int = 25
    near_due_hours: float = 4.0
    tz: str = "Asia/Shanghai"

    @classmethod
    def from_args(cls, args, tz: str = "Asia/Shanghai") -> OrderFilter:
        f = cls(tz=tz)
        f.status = _choice(args, "status", ("", "open", *STATUSES), "状态")
        f.due = _choice(args, "due", ("", "overdue", "near"), "督办")
        if args.get("overdue") in ("1", "true"):
            f.due = "overdue"
        f.platform = _choice(args, "platform", ("", "12345", "110"), "平台")
        f.origin = _choice(args, "origin", ("", "12345", "110"), "来源平台")
        f.target = _choice(args, "target", ("", "12345", "110"), "承办平台")
        f.category = _text(args, "category", 64)
        f.q = _text(args, "q", 100)
        f.date_from = _date(args, "from", tz)
        to = _date(args, "to", tz)
        f.date_to = to + timedelta(days=1) if to else None
        f.sort = _choice(args, "sort", ("", *SORTS), "排序") or "-created"
        f.page = _int(args, "page", 1, 100_000)
        f.per_page = _int(args, "per_page", 25, PER_PAGE_MAX)
        return f

    def where(self, stmt: Select, now: datetime) -> Select:
        if self.status == "open":
            stmt = stmt.where(Order.status.in_(OPEN))
        elif self.status:
            stmt = stmt.where(Order.status == self.status)
        if self.due == "overdue":
            stmt = stmt.where(Order.status.in_(OPEN), Order.due_at < now)
        elif self.due == "near":
            stmt = stmt.where(
                Order.status.in_(OPEN), Order.due_at >= now, Order.due_at < now + timedelta(hours=self.near_due_hours)
            )
        if self.platform:
            stmt = stmt.where(involving(self.platform))
        if self.origin:
            stmt = stmt.where(Order.origin_platform == self.origin)
        if self.target:
            stmt = stmt.where(Order.target_platform == self.target)
        if self.category:
            stmt = stmt.where(Order.category == self.category)
        if self.date_from:
            stmt = stmt.where(Order.created_at >= self.date_from)
        if self.date_to:
            stmt = stmt.where(Order.created_at < self.date_to)
        if self.q:
            like = "%" + self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(
                or_(
                    Order.request_text.like(like, escape="\\"),
                    Order.number.like(like, escape="\\"),
                    Order.caller_number.like(like, escape="\\"),
                    Order.location.like(like, escape="\\"),
                )
            )
        return stmt

    def query(self, now: datetime) -> Select:
        return self.where(select(Order), now).order_by(SORTS[self.sort], Order.id)

    def page_of(self, s: Session, now: datetime | None = None) -> tuple[int, list[Order]]:
        now = now or datetime.now(UTC)
        total = s.scalar(self.where(select(func.count()).select_from(Order), now)) or 0
        rows = list(s.scalars(self.query(now).offset((self.page - 1) * self.per_page).limit(self.per_page)))
        return total, rows

    def args(self, **change) -> dict:
        """The filter as query-string arguments (for links to other pages and the CSV)."""
        out = {
            "status": self.status,
            "due": self.due,
            "platform": self.platform,
            "origin": self.origin,
            "target": self.target,
            "category": self.category,
            "q": self.q,
            "sort": self.sort,
            "per_page": self.per_page,
        }
        out.update(change)
        return {k: v for k, v in out.items() if v not in ("", None)}


def _choice(args, name: str, allowed: tuple[str, ...], label: str) -> str:
    v = (args.get(name) or "").strip()
    if v not in allowed:
        raise BadOrderFilter(name, f"{label}的取值无效：{v[:20]}")
    return v


def _text(args, name: str, limit: int) -> str:
    v = (args.get(name) or "").strip()
    if len(v) > limit:
        raise BadOrderFilter(name, f"{name} 过长（最多 {limit} 个字符）")
    return v


def _int(args, name: str, default: int, hi: int) -> int:
    v = (args.get(name) or "").strip()
    if not v:
        return default
    if not v.isdigit() or not 1 <= int(v) <= hi:
        raise BadOrderFilter(name, f"{name} 应为 1 到 {hi} 之间的整数")
    return int(v)


def _date(args, name: str, tz: str) -> datetime | None:
    v = (args.get(name) or "").strip()
    if not v:
        return None
    try:
        d = datetime.strptime(v, "%Y-%m-%d")
    except ValueError:
        raise BadOrderFilter(name, f"日期格式应为 YYYY-MM-DD：{v[:20]}") from None
    return d.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


CALLER_ORDERS_MAX = 10


def orders_of_call(
    s: Session, uniqueid: str, caller: str | None, scope: str | None = None, limit: int = CALLER_ORDERS_MAX
) -> tuple[list[Order], list[Order]]:
    """The orders a call handed over, and the caller's other orders (newest first, open ones before closed).

    A caller who rings about a matter already handed in (进度, 催办, 回访, 评价) is seen with that matter: the
    reviewer of the call finds the earlier order beside it. Only a caller number with digits in it is matched
    (an anonymous or withheld caller has none to match on). ``scope`` limits both lists to one platform's
    orders (either party), as the admin's pages do.
    """

    def scoped(stmt: Select) -> Select:
        return stmt.where(involving(scope)) if scope else stmt

    from_call = list(
        s.scalars(scoped(select(Order).where(Order.source_call_id == uniqueid)).order_by(Order.created_at, Order.id))
    )
    number = (caller or "").strip()
    if sum(ch.isdigit() for ch in number) < 3:
        return from_call, []
    seen = [o.id for o in from_call]
    stmt = select(Order).where(Order.caller_number == number)
    if seen:
        stmt = stmt.where(Order.id.not_in(seen))
    stmt = scoped(stmt).order_by(Order.status.in_(OPEN).desc(), Order.created_at.desc(), Order.id).limit(limit)
    return from_call, list(s.scalars(stmt))

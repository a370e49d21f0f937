"""The call list's filters, validated, as one SQLAlchemy query (shared by the list, exports and API).

Dates are the site's local days (Config.timezone); the query compares aware UTC instants. The current
user's platform scope is always applied (hotline.admin.scope).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, or_, select

from hotline.admin import localtime
from hotline.admin.scope import apply_platform_scope, current_platform_scope
from hotline.store.models import Call, CallEvent, CallReview

MAX_PAGE = 100_000
MAX_HOUR_DAYS = 400  # the hour-of-day filter is one range per day
PER_PAGE_CHOICES = (25, 50, 100)
SORT_COLUMNS = {
    "started": Call.started_at,
    "platform": Call.platform,
    "category": Call.category,
    "action": Call.action,
    "outcome": Call.outcome,
    "handover": Call.handover_ms,
}
SORTS = {**{k: c.asc() for k, c in SORT_COLUMNS.items()}, **{f"-{k}": c.desc() for k, c in SORT_COLUMNS.items()}}
ACTIONS = ("accept", "transfer", "conference", "guide", "clarify", "agent")
HANDOVER = ("transfer", "conference")  # action=handover: either way the call went to someone else
# what looks like a call id or a phone number is looked up by index, not by scanning transcripts
_ID_LIKE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-_+]{2,63}$")
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2}))?$")


class BadFilter(ValueError):
    """A filter value the page cannot use; the message is shown to the user (in Chinese)."""


@dataclass
class CallFilter:
    day_from: date | None = None
    day_to: date | None = None
    time_from: str = ""  # "HH:MM" on day_from, from the hourly chart
    time_to: str = ""  # "HH:MM" on day_to, inclusive minute
    hour: int | None = None  # hour of the day (local), every day of the range
    platform: str = ""
    target: str = ""
    action: str = ""
    emergency: str = ""  # "" | "1" | "0"
    category: str = ""
    outcome: str = ""
    reviewed: str = ""  # "" | "1" (has a review) | "wrong" (marked wrong)
    q: str = ""
    sort: str = "-started"
    page: int = 1
    per_page: int = 25

    @classmethod
    def from_args(cls, args) -> CallFilter:
        f = cls()
        f.day_from, f.time_from = _when(args.get("from", ""), "开始日期")
        f.day_to, f.time_to = _when(args.get("to", ""), "结束日期")
        if f.day_from and f.day_to and f.day_to < f.day_from:
            raise BadFilter("结束日期早于开始日期。")
        hour = args.get("hour", "").strip()
        if hour:
            f.hour = _int(hour, 0, 23, "小时")
            if not (f.day_from and f.day_to):
                raise BadFilter("按小时筛选需要同时给出开始和结束日期。")
            if (f.day_to - f.day_from).days >= MAX_HOUR_DAYS:
                raise BadFilter(f"按小时筛选的日期范围最多 {MAX_HOUR_DAYS} 天。")
        f.platform = _choice(args.get("platform", ""), ("", "12345", "110"), "受理平台")
        f.action = _choice(args.get("action", ""), ("", *ACTIONS, "handover"), "处置动作")
        f.emergency = _choice(args.get("emergency", ""), ("", "1", "0"), "紧急")
        f.reviewed = _choice(args.get("reviewed", ""), ("", "1", "wrong"), "复核")
        f.target = _text(args.get("target", ""), 32)
        f.category = _text(args.get("category", ""), 64)
        f.outcome = _text(args.get("outcome", ""), 64)
        f.q = _text(args.get("q", ""), 100)
        f.sort = _choice(args.get("sort", "-started"), tuple(SORTS), "排序")
        f.page = _int(args.get("page", "1"), 1, MAX_PAGE, "页码")
        f.per_page = _int(args.get("per_page", "25"), 1, max(PER_PAGE_CHOICES), "每页条数")
        return f

    # ------------------------------------------------------------------ the instants compared
    def utc_from(self) -> datetime | None:
        if not self.day_from:
            return None
        if self.time_from:
            hh, mm = map(int, self.time_from.split(":"))
            return localtime.local_minute(self.day_from, hh, mm)
        return localtime.start_of_day(self.day_from)

    def utc_to(self) -> datetime | None:
        """The first instant after the range (exclusive)."""
        if not self.day_to:
            return None
        if self.time_to:
            hh, mm = map(int, self.time_to.split(":"))
            return localtime.local_minute(self.day_to, hh, mm) + timedelta(minutes=1)
        return localtime.start_of_day(self.day_to + timedelta(days=1))

    def where(self, stmt: Select) -> Select:
        stmt = apply_platform_scope(stmt, Call.platform)
        lo, hi = self.utc_from(), self.utc_to()
        if lo:
            stmt = stmt.where(Call.started_at >= lo)
        if hi:
            stmt = stmt.where(Call.started_at < hi)
        if self.hour is not None:
            days = (self.day_to - self.day_from).days + 1
            spans = [localtime.local_minute(self.day_from + timedelta(days=i), self.hour, 0) for i in range(days)]
            stmt = stmt.where(
                or_(*(Call.started_at.between(s, s + timedelta(minutes=59, seconds=59.999999)) for s in spans))
            )
        if self.platform:
            stmt = stmt.where(Call.platform == self.platform)
        if self.target:
            stmt = stmt.where(Call.target == self.target)
        if self.action == "handover":
            stmt = stmt.where(Call.action.in_(HANDOVER))
        elif self.action:
            stmt = stmt.where(Call.action == self.action)
        if self.emergency:
            stmt = stmt.where(Call.emergency.is_(self.emergency == "1"))
        if self.category:
            stmt = stmt.where(Call.category == self.category)
        if self.outcome:
            # "reached" matches every reached:<target>
            # two index ranges, not a LIKE the planner cannot use
            stmt = stmt.where(
                or_(Call.outcome == self.outcome, Call.outcome.between(f"{self.outcome}:", f"{self.outcome}:\uffff"))
            )
        if self.reviewed:
            reviews = select(CallReview.call_id)
            if self.reviewed == "wrong":
                reviews = reviews.where(CallReview.verdict == "wrong")
            stmt = stmt.where(Call.id.in_(reviews))
        if self.q:
            stmt = stmt.where(self._search())
        return stmt

    def _search(self):
        q = self.q
        if _ID_LIKE.match(q):
            # a call id (exact) or the start of a caller number: both indexed
            return or_(Call.uniqueid == q, Call.caller.between(q, q + "\uffff"))
        pat = f"%{_escape(q)}%"
        return or_(Call.transcript.like(pat, escape="\\"), Call.caller.like(pat, escape="\\"))

    def query(self) -> Select:
        return self.rows(Call)

    def rows(self, *columns) -> Select:
        """The filtered calls, in the list's order, as these columns (or entities)."""
        return self.where(select(*columns)).order_by(SORTS[self.sort], Call.id.desc())

    def page_of(self, s) -> tuple[int, list[Call]]:
        """(matching calls in all, the calls on this filter's page); a page past the end shows the last."""
        total = s.scalar(self.count()) or 0
        last = max(1, -(-total // self.per_page))
        self.page = min(self.page, last)
        return total, list(s.scalars(self.query().offset((self.page - 1) * self.per_page).limit(self.per_page)))

    def count(self) -> Select:
        return self.where(select(func.count(Call.id)))

    def args(self, **change) -> dict[str, str]:
        """The filter as URL arguments (for links to other pages, sorts, exports and back)."""
        out = {
            "from": _fmt_when(self.day_from, self.time_from),
            "to": _fmt_when(self.day_to, self.time_to),
            "hour": "" if self.hour is None else str(self.hour),
            "platform": self.platform,
            "target": self.target,
            "action": self.action,
            "emergency": self.emergency,
            "category": self.category,
            "outcome": self.outcome,
            "reviewed": self.reviewed,
            "q": self.q,
            "sort": self.sort,
            "per_page": str(self.per_page),
            "page": str(self.page),
        }
        out.update({k: str(v) for k, v in change.items()})
        return {k: v for k, v in out.items() if v not in ("", None) and not (k == "sort" and v == "-started")}

    def describe(self) -> dict[str, str]:
        """The filter in words, for export files and the audit log."""
        out = {k: v for k, v in self.args(page="", per_page="", sort="").items()}
        scope = current_platform_scope()
        if scope:
            out["scope"] = scope
        return out


def _fmt_when(d: date | None, hm: str) -> str:
    if not d:
        return ""
    return f"{d:%Y-%m-%d}T{hm}" if hm else f"{d:%Y-%m-%d}"


def _escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _when(value: str, label: str) -> tuple[date | None, str]:
    """'2026-11-25' or '2026-11-25T01:00' (a local day, optionally a minute of it)."""
    value = value.strip()
    if not value:
        return None, ""
    m = _DATETIME.match(value)
    try:
        if not m:
            raise ValueError
        d = datetime.strptime(m.group(1), "%Y-%m-%d").date()
        hm = ""
        if m.group(2):
            hh, mm = int(m.group(2)), int(m.group(3))
            if not (0 <= hh <= 23 and 0 <= mm <= 59):
                raise ValueError
            hm = f"{hh:02d}:{mm:02d}"
    except ValueError:
        raise BadFilter(f"{label}格式不正确：应为 年-月-日，例如 2026-11-22。") from None
    if not 2000 <= d.year <= 2100:
        raise BadFilter(f"{label}超出范围（2000 至 2100 年）。")
    return d, hm


def _int(value: str, lo: int, hi: int, label: str) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise BadFilter(f"{label}必须是整数。") from None
    if not lo <= n <= hi:
        raise BadFilter(f"{label}超出范围（{lo} 至 {hi}）。")
    return n


def _choice(value: str, allowed: tuple[str, ...], label: str) -> str:
    if value not in allowed:
        raise BadFilter(f"{label}的取值无效。")
    return value


def _text(value: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        raise BadFilter(f"搜索条件过长（最多 {limit} 个字符）。")
    return value


def call_with_events(s, call_id: int) -> tuple[Call, list[CallEvent]] | None:
    """One call in the current scope and its timeline, oldest event first (None: no such call here)."""
    call = s.scalar(apply_platform_scope(select(Call).where(Call.id == call_id), Call.platform))
    if call is None:
        return None
    events = s.scalars(select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.at, CallEvent.id))
    return call, list(events)


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 201: numbered pages, None for a gap."""
    keep = {1, pages, *range(max(1, page - around), min(pages, page + around) + 1)}
    out: list[int | None] = []
    prev = 0
    for n in sorted(keep):
        if n - prev > 1:
            out.append(None)
        out.append(n)
        prev = n
    return out

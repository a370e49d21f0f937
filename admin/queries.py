"""The call list's filters, validated, as one SQLAlchemy query (shared by the list, CSV and API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select

from hotline.store.models import Call, CallEvent

MAX_PAGE = 100_000
PER_PAGE_CHOICES = (25, 50, 100)
SORTS = {
    "-started": Call.started_at.desc(),
    "started": Call.started_at.asc(),
    "-handover": Call.handover_ms.desc(),
    "handover": Call.handover_ms.asc(),
}
ACTIONS = ("accept", "transfer", "conference", "guide", "clarify", "agent")


class BadFilter(ValueError):
    """A filter value the page cannot use; the message is shown to the user (in Chinese)."""


@dataclass
class CallFilter:
    date_from: datetime | None = None
    date_to: datetime | None = None
    platform: str = ""
    target: str = ""
    action: str = ""
    emergency: str = ""  # "" | "1" | "0"
    category: str = ""
    outcome: str = ""
    q: str = ""
    sort: str = "-started"
    page: int = 1
    per_page: int = 25

    @classmethod
    def from_args(cls, args) -> CallFilter:
        f = cls()
        f.date_from = _date(args.get("from", ""), "开始日期")
        to = _date(args.get("to", ""), "结束日期")
        f.date_to = to + timedelta(days=1) if to else None  # inclusive of the whole day
        f.platform = _choice(args.get("platform", ""), ("", "12345", "110"), "受理平台")
        f.action = _choice(args.get("action", ""), ("", *ACTIONS), "处置动作")
        f.emergency = _choice(args.get("emergency", ""), ("", "1", "0"), "紧急")
        f.target = _text(args.get("target", ""), 32)
        f.category = _text(args.get("category", ""), 64)
        f.outcome = _text(args.get("outcome", ""), 64)
        f.q = _text(args.get("q", ""), 100)
        f.sort = _choice(args.get("sort", "-started"), tuple(SORTS), "排序")
        f.page = _int(args.get("page", "1"), 1, MAX_PAGE, "页码")
        f.per_page = _int(args.get("per_page", "25"), 1, max(PER_PAGE_CHOICES), "每页条数")
        return f

    def where(self, stmt: Select) -> Select:
        if self.date_from:
            stmt = stmt.where(Call.started_at >= self.date_from)
        if self.date_to:
            stmt = stmt.where(Call.started_at < self.date_to)
        if self.platform:
            stmt = stmt.where(Call.platform == self.platform)
        if self.target:
            stmt = stmt.where(Call.target == self.target)
        if self.action:
            stmt = stmt.where(Call.action == self.action)
        if self.emergency:
            stmt = stmt.where(Call.emergency.is_(self.emergency == "1"))
        if self.category:
            stmt = stmt.where(Call.category == self.category)
        if self.outcome:
            # "reached" matches every reached:<target>
            stmt = stmt.where(
                or_(Call.outcome == self.outcome, Call.outcome.like(f"{_escape(self.outcome)}:%", escape="\\"))
            )
        if self.q:
            pat = f"%{_escape(self.q)}%"
            stmt = stmt.where(or_(Call.transcript.like(pat, escape="\\"), Call.caller.like(pat, escape="\\")))
        return stmt

    def query(self) -> Select:
        return self.where(select(Call)).order_by(SORTS[self.sort], Call.id.desc())

    def page_of(self, s) -> tuple[int, list[Call]]:
        """(matching calls in all, the calls on this filter's page) in one session."""
        total = s.scalar(self.count()) or 0
        return total, list(s.scalars(self.query().offset((self.page - 1) * self.per_page).limit(self.per_page)))

    def count(self) -> Select:
        return self.where(select(func.count(Call.id)))

    def args(self, **change) -> dict[str, str]:
        """The filter as URL arguments (for links to other pages and sorts)."""
        out = {
            "from": self.date_from.strftime("%Y-%m-%d") if self.date_from else "",
            "to": (self.date_to - timedelta(days=1)).strftime("%Y-%m-%d") if self.date_to else "",
            "platform": self.platform,
            "target": self.target,
            "action": self.action,
            "emergency": self.emergency,
            "category": self.category,
            "outcome": self.outcome,
            "q": self.q,
            "sort": self.sort,
            "per_page": str(self.per_page),
            "page": str(self.page),
        }
        out.update({k: str(v) for k, v in change.items()})
        return {k: v for k, v in out.items() if v not in ("", None)}


def _escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _date(value: str, label: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        d = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise BadFilter(f"{label}格式不正确：应为 年-月-日，例如 2026-11-22。") from None
    if not 2000 <= d.year <= 2100:
        raise BadFilter(f"{label}超出范围（2000 至 2100 年）。")
    return d


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
    """One call and its timeline, oldest event first (None when there is no such call)."""
    call = s.get(Call, call_id)
    if call is None:
        return None
    events = s.scalars(select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.at, CallEvent.id))
    return call, list(events)

"""The dashboard's figures, pre-aggregated per local day of the site and platform (call_stats_daily).

Every write of a call sets calls.updated_at; a refresh recomputes the days of the calls written since
the last one (with a minute's slack for writes that committed late), so 90 days are read as 180 small
rows instead of every call. Latencies are histograms with buckets 2 % wide: percentiles over any range
of days are merged from them (within 1 %). A change of the site's zone rebuilds every day.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update

from hotline.store.models import Call, CallStatsDay, StatsState
from hotline.store.types import utcnow

_LOG_R = math.log(1.02)
SLACK = timedelta(minutes=1)  # longer than SQLite's busy timeout (30 s)
PLATFORMS = ("12345", "110")


def bucket(ms: float) -> int:
    return round(math.log(max(ms, 1.0)) / _LOG_R)


def bucket_ms(b: int) -> float:
    return math.exp(b * _LOG_R)


def percentile(hist: Counter, q: float) -> float | None:
    """Nearest-rank percentile of a histogram (bucket -> count)."""
    n = sum(hist.values())
    if not n:
        return None
    rank = max(1, math.ceil(q * n))
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= rank:
            return bucket_ms(b)
    return bucket_ms(max(hist))


@dataclass
class _Day:
    calls: int = 0
    emergencies: int = 0
    to_other_platform: int = 0
    handovers: int = 0
    handovers_ok: int = 0
    hours: list[int] = field(default_factory=lambda: [0] * 24)
    actions: Counter = field(default_factory=Counter)
    categories: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    handover_hist: Counter = field(default_factory=Counter)
    decision_hist: Counter = field(default_factory=Counter)

    def add(self, r, hour: int) -> None:
        self.calls += 1
        self.hours[hour] += 1
        self.emergencies += bool(r.emergency)
        self.actions[r.action or "clarify"] += 1
        if r.category:
            self.categories[r.category] += 1
        self.outcomes[(r.outcome or "pending").split(":", 1)[0]] += 1
        handover = r.action in ("transfer", "conference")
        if handover and r.target in PLATFORMS and r.target != r.platform:
            self.to_other_platform += 1
        if handover and r.ended_at is not None:
            self.handovers += 1
            self.handovers_ok += bool(r.outcome and r.outcome.startswith(("reached:", "conference:")))
        if r.handover_ms is not None and r.handover_ms >= 0:
            self.handover_hist[bucket(r.handover_ms)] += 1
        if r.decided_at is not None and r.speech_end_at is not None:
            ms = (r.decided_at - r.speech_end_at).total_seconds() * 1000
            if ms >= 0:
                self.decision_hist[bucket(ms)] += 1

    def figures(self) -> dict:
        return {
            "hours": self.hours,
            "actions": dict(self.actions),
            "categories": dict(self.categories),
            "outcomes": dict(self.outcomes),
            "handover_hist": {str(k): v for k, v in self.handover_hist.items()},
            "decision_hist": {str(k): v for k, v in self.decision_hist.items()},
        }


_COLUMNS = (
    Call.started_at,
    Call.platform,
    Call.action,
    Call.target,
    Call.category,
    Call.emergency,
    Call.outcome,
    Call.handover_ms,
    Call.speech_end_at,
    Call.decided_at,
    Call.ended_at,
)


def _runs(days: list[date]) -> Iterable[tuple[date, date]]:
    """Contiguous runs of days as (first, last)."""
    start = prev = None
    for d in days:
        if start is None:
            start = prev = d
        elif d - prev == timedelta(days=1):
            prev = d
        else:
            yield start, prev
            start = prev = d
    if start is not None:
        yield start, prev


def _span(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local days first..last as [first 00:00, the day after last 00:00) in UTC."""
    lo = datetime.combine(first, time(0), zone).astimezone(UTC)
    hi = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
    return lo, hi


def refresh(calllog, zone: ZoneInfo, slack: timedelta = SLACK) -> int:
    """Bring the daily figures up to date; returns how many days were recomputed.

    Calls written up to `slack` before the last refresh are looked at again: a writer may have taken
    its timestamp before waiting for the database lock and committed after that refresh read.
    """
    mark = utcnow()
    with calllog.session() as s:
        state = s.get(StatsState, 1)
        rolled = state.rolled_at if state and state.zone == zone.key else None
        changed = select(Call.started_at)
        if rolled is not None:
            changed = changed.where(Call.updated_at >= rolled - slack)
        days = sorted({t.astimezone(zone).date() for t in s.scalars(changed) if t is not None})
        if not days and rolled is not None:
            return 0
        agg: dict[tuple[date, str], _Day] = {}
        for first, last in _runs(days):
            lo, hi = _span(first, last, zone)
            for r in s.execute(select(*_COLUMNS).where(Call.started_at >= lo, Call.started_at < hi)):
                local = r.started_at.astimezone(zone)
                agg.setdefault((local.date(), r.platform), _Day()).add(r, local.hour)
    with calllog.session() as s:
        # the state row is the lock: one refresher writes at a time, and one that read an older state
        # leaves the figures to the one that finished first
        if s.get(StatsState, 1) is None:
            s.add(StatsState(id=1))
            s.flush()
        before = (
            StatsState.rolled_at.is_(None)
            if state is None or state.rolled_at is None
            else (StatsState.rolled_at == state.rolled_at)
        )
        done = s.execute(update(StatsState).where(StatsState.id == 1, before).values(rolled_at=mark, zone=zone.key))
        if not done.rowcount:
            return 0
        if rolled is None:
            s.execute(delete(CallStatsDay))  # first build, or the zone changed: every day anew
        for first, last in _runs(days):
            s.execute(delete(CallStatsDay).where(CallStatsDay.day >= first, CallStatsDay.day <= last))
        s.add_all(
            CallStatsDay(
                day=d,
                platform=p,
                calls=a.calls,
                emergencies=a.emergencies,
                to_other_platform=a.to_other_platform,
                handovers=a.handovers,
                handovers_ok=a.handovers_ok,
                figures=a.figures(),
            )
            for (d, p), a in agg.items()
        )
    return len(days)


def days_between(s, first: date, last: date, platform: str | None) -> list[CallStatsDay]:
    stmt = select(CallStatsDay).where(CallStatsDay.day >= first, CallStatsDay.day <= last)
    if platform:
        stmt = stmt.where(CallStatsDay.platform == platform)
    return list(s.scalars(stmt))

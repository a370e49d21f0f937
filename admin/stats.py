"""The dashboard's figures, pre-aggregated per UTC hour and platform (call_stats_hourly).

Every write of a call sets calls.updated_at; a refresh recomputes the hours of the calls written since
the last one (with a minute's slack for writes that committed late), so 90 days are read as ~4,000
small rows instead of every call. Latencies are histograms with buckets 2 % wide: percentiles over any
range of hours are merged from them (within 1 %).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from hotline.store.models import Call, CallStatsHour, StatsState
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


def floor_hour(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass
class _Hour:
    calls: int = 0
    emergencies: int = 0
    to_other_platform: int = 0
    handovers: int = 0
    handovers_ok: int = 0
    actions: Counter = field(default_factory=Counter)
    categories: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    handover_hist: Counter = field(default_factory=Counter)
    decision_hist: Counter = field(default_factory=Counter)

    def add(self, r) -> None:
        self.calls += 1
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


def _runs(hours: list[datetime]) -> Iterable[tuple[datetime, datetime]]:
    """Contiguous runs of hours as [start, end) spans."""
    start = prev = None
    for h in hours:
        if start is None:
            start = prev = h
        elif h - prev == timedelta(hours=1):
            prev = h
        else:
            yield start, prev + timedelta(hours=1)
            start = prev = h
    if start is not None:
        yield start, prev + timedelta(hours=1)


def refresh(calllog, slack: timedelta = SLACK) -> int:
    """Bring the hourly figures up to date; returns how many hours were recomputed.

    Calls written up to `slack` before the last refresh are looked at again: a writer may have taken
    its timestamp before waiting for the database lock and committed after that refresh read.
    """
    mark = utcnow()
    with calllog.session() as s:
        state = s.get(StatsState, 1)
        rolled = state.rolled_at if state else None
        changed = select(Call.started_at)
        if rolled is not None:
            changed = changed.where(Call.updated_at >= rolled - slack)
        hours = sorted({floor_hour(t) for t in s.scalars(changed) if t is not None})
        if not hours and state is not None:
            return 0
        agg: dict[tuple[datetime, str], _Hour] = {}
        for lo, hi in _runs(hours):
            for r in s.execute(select(*_COLUMNS).where(Call.started_at >= lo, Call.started_at < hi)):
                agg.setdefault((floor_hour(r.started_at), r.platform), _Hour()).add(r)
    with calllog.session() as s:
        # the state row is the lock: one refresher writes at a time, and a slower one that read an
        # older state leaves the figures to the one that finished first
        if s.get(StatsState, 1) is None:
            s.add(StatsState(id=1, rolled_at=None))
            s.flush()
        done = s.execute(
            update(StatsState)
            .where(
                StatsState.id == 1, StatsState.rolled_at.is_(None) if rolled is None else StatsState.rolled_at == rolled
            )
            .values(rolled_at=mark)
        ).rowcount
        if not done:
            return 0
        for lo, hi in _runs(hours):
            s.execute(delete(CallStatsHour).where(CallStatsHour.hour >= lo, CallStatsHour.hour < hi))
        s.add_all(
            CallStatsHour(
                hour=h,
                platform=p,
                calls=a.calls,
                emergencies=a.emergencies,
                to_other_platform=a.to_other_platform,
                handovers=a.handovers,
                handovers_ok=a.handovers_ok,
                actions=dict(a.actions),
                categories=dict(a.categories),
                outcomes=dict(a.outcomes),
                handover_hist={str(k): v for k, v in a.handover_hist.items()},
                decision_hist={str(k): v for k, v in a.decision_hist.items()},
            )
            for (h, p), a in agg.items()
        )
    return len(hours)


def hours_between(s, lo: datetime, hi: datetime, platform: str | None) -> list[CallStatsHour]:
    stmt = select(CallStatsHour).where(CallStatsHour.hour >= lo, CallStatsHour.hour < hi)
    if platform:
        stmt = stmt.where(CallStatsHour.platform == platform)
    return list(s.scalars(stmt))

"""Demo data for the admin: calls whose decisions come from the real router on the labeled corpus."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert

from hotline.evaluate import read_corpus
from hotline.router import get_router
from hotline.store import CallLog
from hotline.store.models import Call, CallEvent


def _outcome(action: str, target: str, platform: str, rnd: random.Random) -> tuple[str, float | None]:
    if action == "transfer":
        return (f"reached:{target}", rnd.gauss(5600, 700)) if rnd.random() > 0.04 else ("agent", None)
    if action == "conference":
        return f"conference:caller+agent-{platform}+{target}", rnd.gauss(6200, 800)
    if action == "accept":
        return f"accepted:{platform}", None
    if action == "guide":
        return f"guided:{target}", None
    return ("agent" if rnd.random() > 0.3 else "hangup"), None


def seed_calls(
    calllog: CallLog,
    n: int = 500,
    days: int = 30,
    seed: int = 1,
    events: bool = True,
    end: datetime | None = None,
    recording: str | None = None,
) -> int:
    """Insert n calls spread over the last `days` days. Returns how many were inserted."""
    rnd = random.Random(seed)
    rows = [r for r in read_corpus() if r["profile"] == "national"]
    router = get_router("national")
    end = end or datetime.now().replace(microsecond=0)
    decisions = {}
    batch_calls, batch_events = [], []
    inserted = 0
    with calllog.engine.begin() as conn:
        start_id = (
            conn.execute(Call.__table__.select().with_only_columns(Call.id).order_by(Call.id.desc()).limit(1)).scalar()
            or 0
        )
        for i in range(n):
            r = rows[rnd.randrange(len(rows))]
            platform = r["platform"]
            key = (r["text"], platform)
            if key not in decisions:
                decisions[key] = router.route(r["text"], platform=platform)
            d = decisions[key]
            started = end - timedelta(seconds=rnd.randrange(days * 86400))
            outcome, handover = _outcome(d.action, d.target, platform, rnd)
            speech_end = started + timedelta(seconds=rnd.uniform(9, 16))
            call_id = start_id + i + 1
            caller = rnd.choice(["138", "139", "150", "186", "0563-", "0773-"]) + str(rnd.randrange(10**7, 10**8))
            batch_calls.append(
                {
                    "id": call_id,
                    "uniqueid": f"demo-{seed}-{call_id}",
                    "caller": caller,
                    "platform": platform,
                    "profile": "national",
                    "started_at": started,
                    "answered_at": started,
                    "speech_end_at": speech_end,
                    "decided_at": speech_end + timedelta(seconds=1.3),
                    "transcript": r["text"],
                    "asr_engine": "demo",
                    "route": d.to_dict() | {"evidence": []},
                    "action": d.action,
                    "target": d.target,
                    "category": d.category,
                    "emergency": d.emergency,
                    "matched": d.matched,
                    "outcome": outcome,
                    "dtmf": "",
                    "handover_ms": round(handover, 1) if handover else None,
                    "recording_path": recording,
                    "handover_at": speech_end + timedelta(milliseconds=handover) if handover else None,
                    "ended_at": speech_end + timedelta(seconds=rnd.uniform(20, 300)),
                }
            )
            if events:
                for at, kind, detail in (
                    (started, "answer", {"platform": platform}),
                    (speech_end, "speech_end", {"attempt": 1}),
                    (
                        speech_end + timedelta(seconds=1.3),
                        "decision",
                        {"action": d.action, "target": d.target, "rule": d.rule},
                    ),
                ):
                    batch_events.append({"call_id": call_id, "at": at, "kind": kind, "detail": detail})
            if len(batch_calls) >= 5000:
                inserted += _flush(conn, batch_calls, batch_events)
        inserted += _flush(conn, batch_calls, batch_events)
    calllog.optimize()
    return inserted


def _flush(conn, calls: list, events: list) -> int:
    n = len(calls)
    if calls:
        conn.execute(insert(Call), calls)
    if events:
        conn.execute(insert(CallEvent), events)
    calls.clear()
    events.clear()
    return n

"""Demo data for the admin: calls whose decisions come from the real router on the labeled corpus,
written as the service writes them (aware UTC instants, the same fields and timeline events)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from hotline.evaluate import read_corpus
from hotline.router import get_router
from hotline.store import CallLog
from hotline.store.models import Call, CallEvent

_TRANSFER_PROMPTS = {"110", "12345", "119", "120", "122", "12395"}


def _outcome(action: str, target: str, platform: str, rnd: random.Random) -> tuple[str, float | None]:
    if action == "transfer":
        return (f"reached:{target}", max(900.0, rnd.gauss(3700, 700))) if rnd.random() > 0.04 else ("agent", None)
    if action == "conference":
        return f"conference:caller+agent-{platform}+{target}", max(900.0, rnd.gauss(4200, 800))
    if action == "accept":
        return f"accepted:{platform}", None
    if action == "guide":
        return f"guided:{target}", None
    return ("agent" if rnd.random() > 0.3 else "hangup"), None


def _timeline(
    platform: str,
    d,
    started: datetime,
    speech_end: datetime,
    decided: datetime,
    text: str,
    outcome: str,
    handover_at: datetime | None,
    ended: datetime,
) -> list[tuple[datetime, str, dict]]:
    """The events the service and the AMI listener write for such a call."""
    prompt = {
        "accept": f"accept-{platform}",
        "transfer": f"transfer-{d.target}" if d.target in _TRANSFER_PROMPTS else "emergency",
        "conference": "conference",
        "guide": f"guide-{d.target.replace(':', '-')}",
        "agent": "agent",
        "clarify": "agent",
    }[d.action]
    if d.action == "transfer" and d.emergency and d.target == "110":
        prompt = "emergency"
    events = [
        (started, "answer", {"platform": platform}),
        (started + timedelta(milliseconds=50), "prompt", {"prompt": f"welcome-{platform}"}),
        (speech_end, "speech_end", {"attempt": 1}),
        (decided - timedelta(milliseconds=40), "transcript", {"text": text, "engine": "whisper", "speculative": True}),
        (decided, "decision", d.event_detail()),
        (decided + timedelta(milliseconds=20), "prompt", {"prompt": prompt}),
        (decided + timedelta(seconds=3), "action", {"action": d.action, "target": d.target}),
    ]
    if handover_at is not None:
        events.append(
            (
                handover_at - timedelta(milliseconds=300),
                "handover",
                {"target": d.target, "status": "ANSWER", "attempt": "1"},
            )
        )
        events.append((handover_at, "answered", {"target": d.target}))
    events.append((ended, "hangup", {"cause": "Normal Clearing"}))
    return events


def seed_calls(
    calllog: CallLog,
    n: int = 500,
    days: int = 30,
    seed: int = 1,
    events: bool = True,
    end: datetime | None = None,
    recording: str | None = None,
) -> int:
    """Insert n calls spread over the `days` days before `end` (default now). Returns how many."""
    rnd = random.Random(seed)
    rows = [r for r in read_corpus() if r["profile"] == "national"]
    router = get_router("national")
    end = (end or datetime.now(UTC)).replace(microsecond=0)
    end = end.replace(tzinfo=UTC) if end.tzinfo is None else end.astimezone(UTC)
    decisions = {}
    written = datetime.now(UTC)
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
                d = router.route(r["text"], platform=platform)
                route = d.to_dict()  # once per text: asdict() is most of the seeding time otherwise
                decisions[key] = (d, route | {"evidence": [e for e in route["evidence"] if e.get("emergency")]})
            d, route = decisions[key]
            started = end - timedelta(seconds=rnd.randrange(days * 86400))
            outcome, handover = _outcome(d.action, d.target, platform, rnd)
            speech_end = started + timedelta(seconds=rnd.uniform(9, 16))
            decided = speech_end + timedelta(milliseconds=max(150.0, rnd.gauss(650, 250)))
            handover_at = speech_end + timedelta(milliseconds=handover) if handover else None
            ended = speech_end + timedelta(seconds=rnd.uniform(20, 300))
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
                    "decided_at": decided,
                    "transcript": r["text"],
                    "asr_engine": "demo",
                    "route": route,
                    "action": d.action,
                    "target": d.target,
                    "category": d.category,
                    "emergency": d.emergency,
                    "matched": d.matched,
                    "outcome": outcome,
                    "dtmf": "",
                    "handover_ms": round(handover, 1) if handover else None,
                    "recording_path": recording,
                    "handover_at": handover_at,
                    "ended_at": ended,
                    "updated_at": written,  # when the row was written: the dashboard counts it
                }
            )
            if events:
                for at, kind, detail in _timeline(
                    platform, d, started, speech_end, decided, r["text"], outcome, handover_at, ended
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

"""The event recorder on AMI event traces recorded from real calls (tests/fixtures/ami/*.jsonl, made by
tests/fixtures/record_traces.py): the outcome, the handover time and the timeline it writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotline.agi.events import EventRecorder
from hotline.store import CallLog
from hotline.store.journal import CallJournal
from tests.agi_peer import read_fixture
from tests.db_support import migrated_sqlite

FIXTURES = Path(__file__).parent / "fixtures"

# what the real system recorded for these calls when they were made
RECORDED = {
    "dtmf_menu_12345": "reached:110",
    "emergency_transfer_12345": "reached:110",
    "fire_conference_110": "conference:caller+agent-110+119",
    "agent_threeway_12345": "conference:caller+agent-12345+110",
    "hangup_during_welcome": "hangup",
    "transfer_to_12345_from_110": "reached:12345",
    "not_understood_110": "agent",
    "emergency_hold_noanswer_once": "conference:agent-12345+110+caller",
}


class FakeDialer:
    def __init__(self) -> None:
        self.done: list[tuple] = []

    def joined(self, uid, who):
        self.done.append(("joined", who))

    def ended(self, uid):
        self.done.append(("ended",))

    async def emergency_hold(self, uid, platform, target, caller):
        self.done.append(("emergency_hold", platform, target, caller))

    async def agent_threeway(self, uid, platform, other, caller_chan, agent_chan):
        self.done.append(("agent_threeway", platform, other))


def replay(name: str, tmp_path: Path):
    log = CallLog(migrated_sqlite(tmp_path / "calls.db"))
    journal = CallJournal(log, tmp_path / "journal")
    journal.start()
    env, exchanges = read_fixture(FIXTURES / "agi" / f"{name}.txt")
    uid, platform = env["agi_uniqueid"], env["agi_arg_1"]
    # what the session wrote before handing the call to the dialplan (its AGI exchange says what it decided)
    journal.open_call(uid, platform, env["agi_callerid"], "national")
    decided = {cmd.split()[2]: cmd.split('"')[1] for cmd, _ in exchanges if cmd.startswith("SET VARIABLE")}
    if "HL_ACTION" in decided:
        journal.decision(uid, {"action": decided["HL_ACTION"], "target": decided["HL_TARGET"] or platform}, {})
    journal.update(uid, speech_end_at=datetime(2020, 1, 1, tzinfo=UTC))
    dialer, spawned = FakeDialer(), []
    rec = EventRecorder(journal, dialer, spawn=lambda coro: spawned.append(coro))
    events = [json.loads(x) for x in (FIXTURES / "ami" / f"{name}.jsonl").read_text().splitlines() if x]
    for e in events:
        rec.handle(e)
    assert journal.flush()
    journal.stop()
    return log.get(uid), [e.kind for e in log.events(uid)], dialer, spawned


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_the_outcome_from_a_recorded_trace_is_what_the_system_recorded(name, tmp_path):
    call, kinds, _, spawned = replay(name, tmp_path)
    for coro in spawned:
        coro.close()
    assert call.outcome == RECORDED[name]
    assert call.ended_at is not None and kinds.count("hangup") == 1


def test_a_handover_time_is_measured_from_the_end_of_speech(tmp_path):
    call, kinds, _, _ = replay("emergency_transfer_12345", tmp_path)
    assert "answered" in kinds and "handover" in kinds
    assert call.handover_at is not None and call.handover_ms > 0


def test_an_emergency_hold_brings_a_person_and_keeps_calling_110(tmp_path):
    _, kinds, dialer, spawned = replay("emergency_hold_noanswer_once", tmp_path)
    import asyncio

    for coro in spawned:
        asyncio.run(coro)
    assert "emergency_hold" in kinds
    hold = [d for d in dialer.done if d[0] == "emergency_hold"]
    assert hold and hold[0][1:3] == ("12345", "110") and hold[0][3]  # with the caller's number
    assert ("joined", "110") in dialer.done and ("ended",) in dialer.done


def test_the_agents_star_3_asks_for_a_three_way_call(tmp_path):
    _, kinds, dialer, spawned = replay("agent_threeway_12345", tmp_path)
    import asyncio

    for coro in spawned:
        asyncio.run(coro)
    assert ("agent_threeway", "12345", "110") in dialer.done and "agent_feature" in kinds


def test_events_of_calls_it_never_saw_are_ignored_and_garbage_is_survived(tmp_path):
    journal = CallJournal(CallLog(migrated_sqlite(tmp_path / "calls.db")), tmp_path / "journal")
    rec = EventRecorder(journal)
    rec.handle({"Event": "Hangup", "Uniqueid": "9.9", "Linkedid": "9.9"})
    rec.handle({"Event": "UserEvent", "UserEvent": "HotlineAnswered"})  # no Call
    rec.handle({"Event": "ConfbridgeJoin", "Conference": "not-ours"})
    assert journal.pending() == 0


def test_a_three_way_call_is_handed_over_when_the_caller_and_the_other_platform_are_both_in(tmp_path):
    # its legs are dialed while the caller hears the prompt: 119 may be in the conference before the caller
    journal = CallJournal(CallLog(migrated_sqlite(tmp_path / "calls.db")), tmp_path / "journal")
    journal.start()
    journal.open_call("7.1", "110", "13800000000", "national")
    journal.decision("7.1", {"action": "conference", "target": "119"}, {})
    journal.update("7.1", speech_end_at=datetime.fromtimestamp(100.0, UTC))
    now = [101.0]
    rec = EventRecorder(journal, clock=lambda: now[0])

    def join(channel: str, at: float) -> None:
        now[0] = at
        rec.handle({"Event": "ConfbridgeJoin", "Conference": "hl-7.1", "Channel": channel})

    join("PJSIP/agent-110-00000001", 101.0)
    now[0] = 101.4  # 119's trunk leg answers (hotline-answered), then its Local leg joins
    rec.handle({"Event": "UserEvent", "UserEvent": "HotlineAnswered", "Call": "7.1", "Target": "119"})
    join("Local/119@hotline-conference-leg-00000002;1", 101.5)
    join("PJSIP/caller-00000003", 103.5)  # after the prompt
    assert journal.flush()
    journal.stop()
    call = CallLog(migrated_sqlite(tmp_path / "calls.db")).get("7.1")
    assert call.handover_ms == 3500.0


def test_the_prompt_a_caller_hears_while_a_handover_rings_is_in_the_timeline(tmp_path):
    journal = CallJournal(CallLog(migrated_sqlite(tmp_path / "calls.db")), tmp_path / "journal")
    journal.start()
    journal.open_call("7.2", "12345", "13800000000", "national")
    rec = EventRecorder(journal)
    rec.handle({"Event": "MusicOnHoldStart", "Uniqueid": "7.2", "Class": "hotline-emergency"})
    rec.handle({"Event": "MusicOnHoldStart", "Uniqueid": "8.8", "Class": "hotline-emergency"})  # not a call of ours
    assert journal.flush()
    journal.stop()
    events = CallLog(migrated_sqlite(tmp_path / "calls.db")).events("7.2")
    assert [(e.kind, e.detail) for e in events if e.kind == "ringback"] == [
        ("ringback", {"music_class": "hotline-emergency"})
    ]

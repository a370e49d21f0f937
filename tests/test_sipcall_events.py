"""Reading a placed call's events: how long the caller waited for a person, the one measure both call
benchmarks (`bench_split_calls`, `bench_time_to_person`) print."""

from __future__ import annotations

from hotline.sim.sipcall import seconds_to_person
from tests.script_support import load_benchmark

EVENTS = [
    {"at": "2026-12-07T10:00:00+00:00", "kind": "answer"},
    {"at": "2026-12-07T10:00:07+00:00", "kind": "answered", "target": "12345"},
    {"at": "2026-12-07T10:00:09+00:00", "kind": "bridge_join", "participant": "caller"},
    {"at": "2026-12-07T10:00:12.5+00:00", "kind": "bridge_join", "participant": "110"},
]


def test_the_wait_for_a_person_runs_from_answer_to_the_first_leg_that_answers():
    assert seconds_to_person(EVENTS) == 7.0  # the other platform answering the transfer
    assert seconds_to_person([EVENTS[0], *EVENTS[2:]]) == 12.5  # 110 joining the three-way call
    assert seconds_to_person(EVENTS[:1] + EVENTS[2:3]) is None  # only the caller joined: nobody took the call
    assert seconds_to_person(EVENTS[1:]) is None  # never answered


def test_a_caller_not_understood_waits_for_their_own_platforms_person():
    is_person = load_benchmark("bench_time_to_person").is_person
    at_110 = [
        {"at": "2026-12-07T10:00:00+00:00", "kind": "answer"},
        {"at": "2026-12-07T10:00:05+00:00", "kind": "answered", "target": "12345"},  # sent across: not a person here
        {"at": "2026-12-07T10:00:11+00:00", "kind": "answered", "target": "agent-110"},
    ]
    assert seconds_to_person(at_110, lambda e: is_person(e, "110")) == 11.0
    assert seconds_to_person(at_110[:2], lambda e: is_person(e, "110")) is None


def test_each_answer_the_caller_waits_on_is_timed_from_its_last_word_to_its_decision():
    timed_answers = load_benchmark("bench_calls").timed_answers
    events = [
        {"at": "2026-12-07T10:00:00+00:00", "kind": "answer"},
        {"at": "2026-12-07T10:00:08+00:00", "kind": "speech_end", "ended_by": "no-speech"},  # nobody waits
        {"at": "2026-12-07T10:00:08.5+00:00", "kind": "decision"},
        {"at": "2026-12-07T10:00:20+00:00", "kind": "speech_end", "ended_by": "max-length"},
        {"at": "2026-12-07T10:00:22.2+00:00", "kind": "decision"},
    ]
    assert timed_answers(events) == [("max-length", 2200.0)]

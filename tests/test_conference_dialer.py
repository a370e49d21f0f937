"""The legs the service brings into a conference over AMI (a fake AMI records the Originate actions)."""

from __future__ import annotations

import asyncio

from hotline.agi.actions import ConferenceDialer


class FakeAmi:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send_action(self, action: dict):
        self.sent.append(action)
        return {"Response": "Success"}


async def test_an_emergency_hold_rings_a_person_at_once_then_110_until_it_joins():
    ami = FakeAmi()
    dialer = ConferenceDialer(ami, ring_s=0.2, retry_gap_s=0.05)
    task = asyncio.ensure_future(dialer.emergency_hold("1.5", "12345", "110", "13800138000"))
    await asyncio.sleep(1.2)  # 110 does not answer: called again every ring period
    channels = [a["Channel"] for a in ami.sent]
    assert channels[0] == "PJSIP/agent-12345"
    assert channels.count("Local/110@hotline-conference-leg") >= 3
    assert all(a["CallerID"] == '"13800138000" <13800138000>' for a in ami.sent)  # 110 sees the caller
    assert all("HL_CONF=hl-1.5" in a["Variable"] for a in ami.sent)
    dialer.joined("1.5", "110")
    await asyncio.wait_for(task, 2)
    calls = len(ami.sent)
    await asyncio.sleep(0.5)
    assert len(ami.sent) == calls  # 110 is in: no more calls


async def test_the_emergency_hold_stops_when_the_caller_hangs_up():
    ami = FakeAmi()
    dialer = ConferenceDialer(ami, ring_s=0.2, retry_gap_s=0.05)
    task = asyncio.ensure_future(dialer.emergency_hold("1.6", "110", "119", ""))
    await asyncio.sleep(0.5)
    dialer.ended("1.6")
    await asyncio.wait_for(task, 2)
    assert ami.sent[0]["CallerID"] == "hotline <110>"


async def test_an_ami_failure_never_raises_into_the_call():
    class Down:
        async def send_action(self, action):
            raise ConnectionError("AMI is not connected")

    dialer = ConferenceDialer(Down(), ring_s=0.1, give_up_s=0.3, retry_gap_s=0.05)
    await asyncio.wait_for(dialer.emergency_hold("1.7", "12345", "110", ""), 3)
    await dialer.bring_in("1.7", "12345", "110", delay=0)


async def test_the_legs_of_a_call_with_a_danger_hint_are_warned_when_they_answer():
    ami = FakeAmi()
    dialer = ConferenceDialer(ami)
    await dialer.bring_in("1.8", "110", "12345", "13800138000", delay=0, warn=True)
    assert [a["Channel"] for a in ami.sent] == ["PJSIP/agent-110", "Local/12345@hotline-conference-leg"]
    assert all("__HL_HINT=1" in a["Variable"] for a in ami.sent)  # inherited by the trunk leg as well
    # the seat dialed directly carries the call's id in its INVITE; the trunk leg gets it from its own Dial
    assert "PJSIP_HEADER(add,X-Hotline-Call)=1.8" in ami.sent[0]["Variable"]
    assert not any(v.startswith("PJSIP_HEADER") for v in ami.sent[1]["Variable"])
    await dialer.bring_in("1.9", "110", "12345", "13800138000", delay=0)
    assert not any("__HL_HINT=1" in a["Variable"] for a in ami.sent[2:])


def test_who_is_warned_of_a_danger_hint():
    from dataclasses import replace

    from hotline.agi.actions import plan_for
    from hotline.profile import load_profile
    from hotline.router import route_call

    national = load_profile("national")
    base = replace(route_call("路灯坏了好几天了", "12345"), danger_hint=True, emergency=False)
    cases = {
        ("12345", "accept", "12345"): True,  # the 12345 agent
        ("12345", "conference", "110"): True,  # the 12345 agent and 110
        ("110", "conference", "12345"): True,  # a 12345 matter's three-way call: the call-taker and 12345
        ("110", "accept", "110"): False,  # a 110 call-taker alone answers every call as a possible emergency
        ("110", "agent", "110"): False,
    }
    for (platform, action, target), warned in cases.items():
        d = replace(base, receiving=platform, action=action, target=target)
        assert plan_for(d, national).warn is warned, (platform, action)
        assert plan_for(replace(d, danger_hint=False), national).warn is False
        assert plan_for(replace(d, emergency=True), national).warn is False  # an emergency is told as one


async def test_legs_brought_in_ahead_are_sent_away_when_the_caller_hangs_up_before_joining():
    ami = FakeAmi()
    dialer = ConferenceDialer(ami)
    await dialer.bring_in_ahead("1.9", "12345", "110", "13800138000", warn=True)
    assert [a["Channel"] for a in ami.sent] == ["PJSIP/agent-12345", "Local/110@hotline-conference-leg"]
    dialer.joined("1.9", "agent-12345")  # the agent answered while the caller heard the prompt
    dialer.ended("1.9")  # then the caller hung up, never in the conference
    await asyncio.sleep(0.05)
    assert ami.sent[-1] == {"Action": "ConfbridgeKick", "Conference": "hl-1.9", "Channel": "all"}


async def test_a_three_way_call_the_caller_joined_is_left_to_its_people_when_the_caller_leaves():
    ami = FakeAmi()
    dialer = ConferenceDialer(ami)
    await dialer.bring_in_ahead("1.10", "12345", "110")
    dialer.joined("1.10", "110")
    dialer.joined("1.10", "caller")
    dialer.ended("1.10")
    await asyncio.sleep(0.05)
    assert all(a["Action"] == "Originate" for a in ami.sent)  # the agent and 110 may still speak together
    dialer.ended("1.10")  # a second close of the same call sends nothing either
    await asyncio.sleep(0.05)
    assert all(a["Action"] == "Originate" for a in ami.sent)


async def test_a_leg_that_answers_after_the_caller_hung_up_during_the_prompt_is_sent_away():
    ami = FakeAmi()
    dialer = ConferenceDialer(ami)
    await dialer.bring_in_ahead("1.11", "110", "119")
    dialer.ended("1.11")  # the caller hung up during the prompt; no leg had answered yet
    await asyncio.sleep(0.05)
    kicks = [a for a in ami.sent if a["Action"] == "ConfbridgeKick"]
    dialer.joined("1.11", "119")  # 119 answers a moment later
    await asyncio.sleep(0.05)
    assert len([a for a in ami.sent if a["Action"] == "ConfbridgeKick"]) == len(kicks) + 1

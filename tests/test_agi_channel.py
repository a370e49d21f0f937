"""AgiChannel owns the FastAGI wire: reply parsing and hang-up detection, on exchanges recorded from
Asterisk 22 (tests/fixtures/agi/*.txt) and on the replies res_agi.c documents."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.agi.channel import (
    AgiCommandError,
    AgiProtocolError,
    CallerHungUp,
    parse_environment,
    parse_reply,
    read_environment,
)
from tests.agi_peer import ScriptedAsterisk, Step, environment, read_fixture

FIXTURES = Path(__file__).parent / "fixtures" / "agi"


@pytest.mark.parametrize(
    "line, code, result, data, extra",
    [
        ("200 result=0", 200, "0", "", {}),
        ("200 result=1 (110)", 200, "1", "110", {}),
        ("200 result=1 (a (nested) value)", 200, "1", "a (nested) value", {}),
        ("200 result=0 endpos=41120", 200, "0", "", {"endpos": "41120"}),
        ("200 result=49 endpos=8000", 200, "49", "", {"endpos": "8000"}),
        ("200 result=0 (timeout) endpos=16000", 200, "0", "timeout", {"endpos": "16000"}),
        ("200 result= (timeout)", 200, "", "timeout", {}),
        ("200 result=-1", 200, "-1", "", {}),
        ("510 Invalid or unknown command", 510, "", "Invalid or unknown command", {}),
        ("511 Command Not Permitted on a dead channel or intercept routine", 511, "", "Command Not Permitted on a "
         "dead channel or intercept routine", {}),
    ],
)  # fmt: skip
def test_replies_parse(line, code, result, data, extra):
    r = parse_reply(line)
    assert (r.code, r.result, r.data, r.extra) == (code, result, data, extra)
    assert r.failed == (result == "-1")


@pytest.mark.parametrize("line", ["", "HELLO", "200", "2000 result=1", "200 nothing"])
def test_anything_else_is_a_protocol_error(line):
    with pytest.raises(AgiProtocolError):
        parse_reply(line)


def test_environment_needs_a_request():
    assert parse_environment(b"agi_network: yes\nagi_request: agi://x/ivr")["agi_request"] == "agi://x/ivr"
    with pytest.raises(AgiProtocolError):
        parse_environment(b"GET / HTTP/1.1\nHost: x")


async def test_environment_is_read_and_nothing_may_follow_it():
    r = asyncio.StreamReader()
    r.feed_data(b"agi_request: agi://127.0.0.1/ivr\nagi_uniqueid: 1.2\n\n")
    r.feed_eof()
    assert (await read_environment(r))["agi_uniqueid"] == "1.2"
    r = asyncio.StreamReader()
    r.feed_data(b"agi_request: x\n\nSTREAM FILE x\n")
    with pytest.raises(AgiProtocolError):
        await read_environment(r)
    r = asyncio.StreamReader()
    r.feed_data(b"agi_request: " + b"x" * 20000)
    with pytest.raises(AgiProtocolError):
        await read_environment(r)


async def _channel(steps):
    peer = ScriptedAsterisk(environment(), steps)
    agi, task = await peer.channel()
    return peer, agi, task


async def test_trying_lines_are_skipped():
    _peer, agi, task = await _channel([Step("EXEC Dial .*", "100 result=0 Trying...\n200 result=0")])
    assert (await agi.exec("Dial", "x")).result == "0"
    agi.close()
    await task


async def test_a_hangup_line_mid_command_raises_and_ends_the_channel():
    peer, agi, task = await _channel([Step("STREAM FILE .*", "HANGUP\n200 result=-1 endpos=0")])
    with pytest.raises(CallerHungUp):
        await agi.play("hotline/welcome-110")
    assert agi.hung_up
    with pytest.raises(CallerHungUp):
        await agi.set_variable("HL_ACTION", "agent")  # nothing is sent on a dead channel
    agi.close()
    await task
    assert len(peer.seen) == 1


async def test_usage_errors_are_read_to_their_end_and_reported():
    usage = (
        "520-Invalid command syntax.  Proper usage follows:\nUsage: GET DATA <file> [timeout]\n520 End of proper usage."
    )
    _peer, agi, task = await _channel([Step("GET DATA", usage), Step("CHANNEL STATUS", "200 result=6")])
    with pytest.raises(AgiCommandError):
        await agi.command("GET DATA")
    assert (await agi.command("CHANNEL STATUS")).result == "6"  # the usage text did not spill into this reply
    agi.close()
    await task


async def test_a_failed_prompt_on_a_live_channel_is_not_a_hangup():
    _peer, agi, task = await _channel(
        [Step("STREAM FILE hotline/missing .*", "200 result=-1 endpos=0"), Step("CHANNEL STATUS", "200 result=6")]
    )
    assert (await agi.play("hotline/missing")).digit == ""
    agi.close()
    await task


async def test_values_cannot_break_out_of_their_quotes():
    peer, agi, task = await _channel([Step(r'SET VARIABLE HL_TARGET "110 \'x\' y"', "200 result=1")])
    await agi.set_variable("HL_TARGET", '110 "x"\\\ny')
    agi.close()
    await task
    assert peer.errors == []


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.txt")), ids=lambda p: p.stem)
async def test_recorded_exchanges_replay(fixture):
    """Each recorded command gets its recorded reply; hang-ups recorded there raise CallerHungUp."""
    env, exchanges = read_fixture(fixture)
    steps = [Step(re_escape(cmd), "\n".join(replies)) for cmd, replies in exchanges]
    peer = ScriptedAsterisk(env, steps)
    agi, task = await peer.channel()
    hung_up_at = None
    for i, (cmd, replies) in enumerate(exchanges):
        try:
            reply = await agi.command(cmd)
        except CallerHungUp:
            hung_up_at = i
            break
        assert reply.raw == [r for r in replies if not r.startswith("100 ")][-1]
    agi.close()
    await task
    assert peer.errors == []
    ends_with_hangup = any(r == "HANGUP" or r.startswith("511 ") for r in exchanges[-1][1])
    assert (hung_up_at == len(exchanges) - 1) == ends_with_hangup


def re_escape(s: str) -> str:
    import re

    return re.escape(s)

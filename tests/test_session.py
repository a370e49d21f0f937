"""The conversation (IvrSession) against a scripted Asterisk: no Asterisk, no recognizer, real router,
real journal and database. Each test is one call: the commands the session sends, in order, and what
the call's record says afterwards."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from hotline.agi.actions import ConferenceDialer
from hotline.agi.audiosocket import AudioSocketServer
from hotline.agi.channel import CallerHungUp
from hotline.agi.heard_so_far import HeardSoFar
from hotline.agi.live_capture import ListenSettings, Speculation
from hotline.agi.prompts import PromptLibrary
from hotline.agi.session import (
    IvrSession,
    Recordings,
    SessionDeps,
    final_decision,
    listens_through_handover,
    went_on_to_danger,
)
from hotline.agi.utterance import Utterance
from hotline.asr.base import Transcript, write_wav
from hotline.config import REPO
from hotline.profile import load_profile
from hotline.router import Router, get_router
from hotline.store import CallLog
from hotline.store.journal import CallJournal
from tests.agi_peer import ScriptedAsterisk, Step, environment
from tests.db_support import migrated_sqlite

SPEECH_WAV = REPO / "sounds" / "samples" / "caller-fight.wav"
OK = "200 result=0 endpos=16000"


@dataclass
class ScriptedSpeech:
    """The recognizer: hands out the next transcript for each answer."""

    texts: list[str]
    heard: list[int] = field(default_factory=list)
    engine: str = "scripted"
    model: str = "test"

    async def recognize(self, pcm16k) -> Transcript:
        self.heard.append(len(pcm16k))
        return Transcript(self.texts.pop(0), self.engine, self.model, len(pcm16k) / 16000, 0.01)

    def streaming(self):
        return None


class RecordingDialer(ConferenceDialer):
    def __init__(self) -> None:
        super().__init__(ami=None)
        self.calls: list[tuple] = []
        self.warned: list[bool] = []
        self.ahead: list[bool] = []  # brought in while the prompt plays (bring_in_ahead)

    async def bring_in(self, uid, platform, other, caller="", delay=0.8, with_agent=True, warn=False) -> None:
        self.calls.append((uid, platform, other, caller))
        self.warned.append(warn)
        self.ahead.append(uid in self._ahead)


@pytest.fixture
def world(tmp_path):
    log = CallLog(migrated_sqlite(tmp_path / "calls.db"))
    journal = CallJournal(log, tmp_path / "journal")
    journal.start()
    yield log, journal, tmp_path
    journal.stop()


def deps(world, texts: list[str], profile: str = "national") -> tuple[SessionDeps, ScriptedSpeech, RecordingDialer]:
    _log, journal, tmp = world
    speech, dialer = ScriptedSpeech(list(texts)), RecordingDialer()
    (tmp / "rec").mkdir(exist_ok=True)
    d = SessionDeps(
        profile=load_profile(profile),
        router=get_router(profile),
        speech=speech,
        journal=journal,
        prompts=PromptLibrary(REPO / "sounds" / "zh" / "hotline"),
        audio=AudioSocketServer(),
        dialer=dialer,
        listen=ListenSettings(),
        recordings=Recordings(str(tmp / "rec"), tmp / "rec"),
        audiosocket_port=0,
        capture="record",
        spawn=lambda coro: asyncio.ensure_future(coro),
    )
    return d, speech, dialer


def speaks(m: re.Match[str]) -> str:
    """RECORD FILE: the caller said something (a real recording lands where Asterisk writes it)."""
    shutil.copy(SPEECH_WAV, m["path"] + ".wav")
    return "200 result=0 (timeout) endpos=40000"


def silent(m: re.Match[str]) -> str:
    write_wav(Path(m["path"] + ".wav"), b"\0" * 16000 * 3)  # three seconds of line silence
    return "200 result=0 (timeout) endpos=24000"


PLAY = r'STREAM FILE hotline/{} "0123456789\*#"'
PLAY_NO_KEYS = r'STREAM FILE hotline/{} ""'
RECORD = r'RECORD FILE (?P<path>\S+) wav "0123456789\*#" 20000 0 BEEP s=2'


def act(action: str, target: str, emergency: str = "0", warn: bool = False, ringback: str = "") -> list[Step]:
    """The variables the dialplan acts on; `warn`: a danger hint, which every answering leg inherits; `ringback`:
    the prompt the caller hears while the handover rings."""
    return [
        *([Step(rf'SET VARIABLE HL_RINGBACK "{ringback}"', "200 result=1")] if ringback else []),
        *([Step(r'SET VARIABLE __HL_HINT "1"', "200 result=1")] if warn else []),
        Step(rf'SET VARIABLE HL_TARGET "{target}"', "200 result=1"),
        Step(rf'SET VARIABLE HL_EMERGENCY "{emergency}"', "200 result=1"),
        Step(rf'SET VARIABLE HL_ACTION "{action}"', "200 result=1"),
    ]


async def run_call(world, peer: ScriptedAsterisk, d: SessionDeps):
    agi, task = await peer.channel()
    session = IvrSession(agi, d)
    await asyncio.wait_for(session.run(), 10)
    agi.close()
    await asyncio.wait_for(task, 5)
    assert peer.errors == [], peer.errors
    assert d.journal.flush()
    log = world[0]
    return log.get(agi.uniqueid), [e.kind for e in log.events(agi.uniqueid)], log.events(agi.uniqueid)


async def test_a_police_matter_at_12345_is_an_emergency_transfer_to_110(world):
    d, _speech, _ = deps(world, ["我家楼下有人在打架，打得头破血流"])
    peer = ScriptedAsterisk(
        environment(platform="12345"),
        [
            Step(PLAY.format("welcome-12345"), OK),
            Step(RECORD, speaks),
            # no prompt before the dial: the dialplan plays it while 110 rings
            *act("transfer", "110", emergency="1", ringback="emergency"),
        ],
    )
    call, kinds, events = await run_call(world, peer, d)
    assert (call.action, call.target, call.emergency) == ("transfer", "110", True)
    assert call.transcript.startswith("我家楼下") and call.recording_path.endswith("-1.wav")
    assert {"answer", "prompt", "speech_end", "transcript", "decision", "action"} <= set(kinds)
    assert [e.detail for e in events if e.kind == "prompt"][-1] == {"prompt": "emergency", "while_ringing": True}


async def test_a_caller_not_understood_at_12345_is_asked_once_more_then_a_person_takes_it(world):
    d, _speech, _ = deps(world, ["嗯那个就是我想说一下", "就是那个事情"])
    peer = ScriptedAsterisk(
        environment(platform="12345"),
        [
            Step(PLAY.format("welcome-12345"), OK),
            Step(RECORD, speaks),
            Step(PLAY.format("ask-again"), OK),
            Step(RECORD, speaks),
            Step(PLAY_NO_KEYS.format("agent"), OK),
            *act("agent", ""),
        ],
    )
    call, _kinds, events = await run_call(world, peer, d)
    assert call.action == "agent" and call.route["rule"] == "not-understood"
    prompts = [e.detail["prompt"] for e in events if e.kind == "prompt"]
    assert prompts.count("ask-again") == 1 and "menu" not in prompts


async def test_a_caller_not_understood_at_110_reaches_a_call_taker_at_once(world):
    d, _speech, _ = deps(world, ["嗯嗯那个"])
    peer = ScriptedAsterisk(
        environment(platform="110"),
        [
            Step(PLAY.format("welcome-110"), OK),
            Step(RECORD, speaks),
            Step(PLAY_NO_KEYS.format("accept-110"), OK),
            *act("agent", ""),
        ],
    )
    call, _, _ = await run_call(world, peer, d)
    assert call.action == "agent" and call.target == "110" and call.route["rule"] == "not-understood"


async def test_a_silent_caller_is_not_sent_to_the_recognizer(world):
    d, speech, _ = deps(world, [])
    peer = ScriptedAsterisk(
        environment(platform="110"),
        [
            Step(PLAY.format("welcome-110"), OK),
            Step(RECORD, silent),
            Step(PLAY_NO_KEYS.format("accept-110"), OK),
            *act("agent", ""),
        ],
    )
    call, _, _ = await run_call(world, peer, d)
    assert speech.heard == [] and call.transcript == "" and call.action == "agent"


async def test_a_key_during_the_welcome_is_the_menu_choice(world):
    d, speech, _ = deps(world, [])
    peer = ScriptedAsterisk(
        environment(platform="12345"),
        [
            Step(PLAY.format("welcome-12345"), "200 result=49 endpos=8000"),  # '1'
            Step(PLAY_NO_KEYS.format("transfer-110"), OK),
            *act("transfer", "110"),
        ],
    )
    call, _, _events = await run_call(world, peer, d)
    assert call.route["rule"] == "dtmf-menu" and call.dtmf == "1" and speech.heard == []


async def test_a_key_the_menu_does_not_offer_plays_the_menu(world):
    d, _, _ = deps(world, [])
    peer = ScriptedAsterisk(
        environment(platform="12345"),
        [
            Step(PLAY.format("welcome-12345"), "200 result=53 endpos=8000"),  # '5'
            Step(r"GET DATA hotline/menu 5000 1", "200 result=2"),
            Step(PLAY_NO_KEYS.format("accept-12345"), OK),
            *act("accept", ""),
        ],
    )
    call, _, _ = await run_call(world, peer, d)
    assert call.action == "accept" and call.dtmf == "2"


async def test_a_fire_reported_to_110_bridges_119_with_the_callers_number_while_the_prompt_plays(world):
    # 119 and the 110 call-taker are dialed before the prompt, not after it: their ringing overlaps its seconds
    d, _, dialer = deps(world, ["我家着火了，厨房烧起来了"])
    rang_before_the_prompt = []

    def prompt_played(_m: re.Match[str]) -> str:
        rang_before_the_prompt.append(list(dialer.calls))
        return OK

    peer = ScriptedAsterisk(
        environment(platform="110", caller="13900001111"),
        [
            Step(PLAY.format("welcome-110"), OK),
            Step(RECORD, speaks),
            Step(PLAY_NO_KEYS.format("emergency"), prompt_played),
            *act("conference", "119", emergency="1"),
        ],
    )
    call, _, _ = await run_call(world, peer, d)
    assert call.action == "conference" and call.emergency
    assert rang_before_the_prompt == [[(call.uniqueid, "110", "119", "13900001111")]]
    assert dialer.calls == rang_before_the_prompt[0] and dialer.ahead == [True]


class HintingRouter:
    """The real router, except that what it cannot place carries a hint of danger (the model's low threshold)."""

    def __init__(self, router) -> None:
        self.router = router

    def route(self, text, platform="12345", attempt=1):
        from dataclasses import replace

        d = self.router.route(text, platform=platform, attempt=attempt)
        if d.understood or not text:
            return d
        hint = ("conference", "110") if platform == "12345" else ("accept", "110")
        return replace(d, danger_hint=True, hint_action=hint[0], hint_target=hint[1])


async def test_a_hint_of_danger_at_12345_bridges_110_at_once_instead_of_asking_again(world):
    d, _speech, dialer = deps(world, ["嗯那个我也说不清楚"])
    d = replace(d, router=HintingRouter(d.router))
    peer = ScriptedAsterisk(
        environment(platform="12345", caller="13700000000"),
        [
            Step(PLAY.format("welcome-12345"), OK),
            Step(RECORD, speaks),
            Step(PLAY_NO_KEYS.format("danger-hint"), OK),
            *act("conference", "110", warn=True),
        ],
    )
    call, _, events = await run_call(world, peer, d)
    await asyncio.sleep(0)
    assert call.action == "conference" and call.target == "110" and call.route["rule"] == "danger-hint"
    assert not any(e.kind == "prompt" and e.detail["prompt"] == "ask-again" for e in events)
    assert dialer.calls == [(call.uniqueid, "12345", "110", "13700000000")]
    assert dialer.warned == [True]  # the 12345 agent and 110 hear the warning when they answer


@pytest.mark.parametrize("platform", ["12345", "110"])
async def test_what_ends_an_answer_at_the_short_silence_follows_the_early_end_setting(world, platform):
    # what the live listener asks at each pause of the caller (agi/live_capture.py): may the answer end after
    # the short silence? By default never; else only on danger, never on an ordinary matter the router
    # understands (the caller's next words can be the danger) nor on words that only hint at danger
    texts = {
        "ordinary": "我们楼下的路灯坏了好几天了",
        "danger phrase": "我们楼下的路灯坏了好几天了。有人拿着刀在追一个女的，快来人",
        "model's danger": "我车停在楼下",  # a fragment the model hears as the start of a danger
        "hint": "你好，我叫王建国",
    }
    ends: dict[str, dict[str, bool]] = {}
    agi, task = await ScriptedAsterisk(environment(platform=platform), []).channel()
    for policy in ("none", "rules-emergency", "emergency"):
        d, _speech, _ = deps(world, list(texts.values()))
        d = replace(d, early_end=policy, router=HintingRouter(d.router))
        session = IvrSession(agi, d)
        session.platform = platform
        ends[policy] = {k: (await session._speculate(HeardSoFar(), b"\0" * 16000))[1] for k in texts}
    assert get_router("national").route(texts["ordinary"], platform=platform).understood
    assert get_router("national").route(texts["model's danger"], platform=platform).rule == "model-emergency"
    assert not any(ends["none"].values())
    assert ends["rules-emergency"] == {"ordinary": False, "danger phrase": True, "model's danger": False, "hint": False}
    assert ends["emergency"] == {"ordinary": False, "danger phrase": True, "model's danger": True, "hint": False}
    agi.close()
    await asyncio.wait_for(task, 5)


def test_a_danger_after_the_ordinary_matter_replaces_it_an_ordinary_addition_does_not(world):
    router = get_router("national")
    first = "我们楼下的路灯坏了好几天了"
    assert not router.route(first, platform="12345").reaches_110_at_once
    danger = went_on_to_danger(router, "12345", f"{first}，有人拿着刀在追一个女的，快来人", 1)
    assert danger is not None and danger.emergency and danger.target == "110"
    assert danger.explanation.startswith("went on after the handover prompt began")
    assert went_on_to_danger(router, "12345", f"{first}，晚上走路黑乎乎的看不见", 1) is None


def test_only_an_ordinary_matter_is_listened_through_its_handover_prompt():
    router = get_router("national")
    assert listens_through_handover(router.route("我们楼下的路灯坏了好几天了", platform="12345"))  # accept
    assert listens_through_handover(router.route("楼上漏水把我家天花板泡坏了，物业也不管", platform="110"))  # transfer
    assert not listens_through_handover(router.route("我家楼下有人在打架，打得头破血流", platform="12345"))
    assert not listens_through_handover(router.route("", platform="12345"))  # not understood: a person


def test_the_conversation_acts_on_an_answer_or_asks_once_more():
    router = Router(load_profile("national"))  # rules only: what each answer is does not hang on a model
    turns = load_profile("national").conversation
    street_light = router.route("我们楼下的路灯坏了好几天了", platform="12345")
    assert final_decision(street_light, 1, turns["12345"], "12345") is street_light  # understood: as decided
    nothing = router.route("喂喂", platform="12345")
    assert not nothing.understood and not nothing.acts_on_hint
    assert final_decision(nothing, 1, turns["12345"], "12345") is None  # 12345 asks again, once
    person = final_decision(nothing, 2, turns["12345"], "12345")
    assert (person.action, person.target, person.rule) == ("agent", "12345", "not-understood")
    at110 = final_decision(router.route("喂喂", platform="110"), 1, turns["110"], "110")
    assert (at110.action, at110.target, at110.rule) == ("agent", "110", "not-understood")  # no re-ask at 110
    hint = replace(nothing, danger_hint=True, hint_action="conference", hint_target="110")
    bridged = final_decision(hint, 1, turns["12345"], "12345")
    assert (bridged.action, bridged.target, bridged.rule) == ("conference", "110", "danger-hint")


async def test_a_hang_up_mid_prompt_closes_the_record_with_a_hangup_event(world):
    d, _, _ = deps(world, [])
    peer = ScriptedAsterisk(environment(platform="12345"), [Step(PLAY.format("welcome-12345"), "HANGUP")])
    call, kinds, _ = await run_call(world, peer, d)
    assert kinds == ["answer", "prompt", "hangup"] and call.action is None


async def test_a_dead_channel_reply_is_a_hang_up(world):
    d, _speech, _ = deps(world, ["我家着火了"])
    peer = ScriptedAsterisk(
        environment(platform="110"),
        [
            Step(PLAY.format("welcome-110"), OK),
            Step(RECORD, speaks),
            Step(r".*", "511 Command Not Permitted on a dead channel or intercept routine"),
        ],
    )
    call, kinds, _ = await run_call(world, peer, d)
    assert call.emergency is True and kinds[-1] == "hangup"  # the decision was recorded before


async def test_the_connection_closing_mid_command_is_a_hang_up(world):
    d, _, _ = deps(world, [])
    peer = ScriptedAsterisk(environment(platform="110"), [Step(PLAY.format("welcome-110"), lambda m: None)])
    _call, kinds, _ = await run_call(world, peer, d)
    assert kinds[-1] == "hangup"


async def test_an_error_is_recorded_and_raised_so_the_dialplan_takes_the_caller_to_a_person(world):
    d, _, _ = deps(world, ["我家楼下有人在打架"])
    peer = ScriptedAsterisk(
        environment(platform="12345"),
        [Step(PLAY.format("welcome-12345"), OK), Step(RECORD, speaks), Step(r".*", "garbage that is not AGI")],
    )
    agi, task = await peer.channel()
    with pytest.raises(Exception) as e:
        await asyncio.wait_for(IvrSession(agi, d).run(), 10)
    assert not isinstance(e.value, CallerHungUp)
    agi.close()
    await task
    assert d.journal.flush()
    call = world[0].get(agi.uniqueid)
    assert "AgiProtocolError" in call.error and call.action == "transfer"  # decided; the dialplan falls back


async def test_the_decision_does_not_wait_for_a_locked_database(world):
    import sqlite3

    log, journal, tmp = world
    locker = sqlite3.connect(str(tmp / "calls.db"), timeout=0)
    locker.execute("BEGIN EXCLUSIVE")
    log.engine.dispose()
    d, _, _ = deps(world, ["我家楼下有人在打架，打得头破血流"])
    peer = ScriptedAsterisk(
        environment(platform="12345"),
        [Step(PLAY.format("welcome-12345"), OK), Step(RECORD, speaks),
         *act("transfer", "110", emergency="1", ringback="emergency")],
    )  # fmt: skip
    agi, task = await peer.channel()
    t0 = time.perf_counter()
    await asyncio.wait_for(IvrSession(agi, d).run(), 10)
    took = time.perf_counter() - t0
    agi.close()
    await task
    assert peer.errors == [] and took < 3  # routed to 110 while the store was locked
    assert log.get(agi.uniqueid) is None or log.get(agi.uniqueid).action is None
    locker.rollback()
    locker.close()
    assert journal.flush(timeout=60)
    assert log.get(agi.uniqueid).action == "transfer"


GET_DIGIT = r"GET DATA hotline/offer-transfer 4000 1"


@pytest.mark.parametrize(("key", "action", "target"), [("1", "transfer", "110"), ("", "guide", "")])
async def test_a_caller_told_to_dial_110_at_12345_is_offered_one_key_to_be_put_through(world, key, action, target):
    # a question about a police matter, nothing happening: the caller is told to dial 110, and then offered the
    # transfer (press 1), as for the guided numbers that offer it; a caller who presses nothing is left guided
    d, _speech, _ = deps(world, ["要是有人欠钱不还，我能报警吗"])
    peer = ScriptedAsterisk(
        environment(platform="12345"),
        [
            Step(PLAY.format("welcome-12345"), OK),
            Step(RECORD, speaks),
            Step(PLAY_NO_KEYS.format("guide-110"), OK),
            Step(GET_DIGIT, f"200 result={key}" if key else "200 result= (timeout)"),  # GET DATA: the digits
            *act(action, target),
        ],
    )
    call, _kinds, events = await run_call(world, peer, d)
    assert call.route["action"] == "guide" and call.route["target"] == "110"
    done = [e.detail for e in events if e.kind == "action"][-1]  # what the dialplan was told to do
    assert (done["action"], done["target"]) == (action, target)
    assert any(e.kind == "dtmf" for e in events) == bool(key)


async def test_a_guide_to_a_number_without_a_transfer_offers_none(world):
    # 公安备案的开锁服务 has no number to put the caller through to: the prompt says where to go, and the call ends
    d, _speech, _ = deps(world, ["我家门锁打不开了，钥匙丢了，想找个开锁的"])
    peer = ScriptedAsterisk(
        environment(platform="12345"),
        [
            Step(PLAY.format("welcome-12345"), OK),
            Step(RECORD, speaks),
            Step(PLAY_NO_KEYS.format("guide-locksmith"), OK),
            *act("guide", ""),
        ],
    )
    call, _kinds, _events = await run_call(world, peer, d)
    assert call.action == "guide" and call.route["target"] == "locksmith"


def cut_off(ended_by: str = "max-length") -> Utterance:
    now = time.time()
    return Utterance(
        path=None, started=now - 21, stopped=now, speech_end=now, voiced_s=19.6, ended_by=ended_by,
        pcm8k=b"\1\0" * 8000 * 20, voiced_frames=980,
    )  # fmt: skip


async def test_an_answer_longer_than_its_last_guess_is_recognised_whole_and_the_guess_is_cancelled(world):
    # the caller spoke on after the last pause's guess (or the answer hit its longest length): that guess is stale;
    # the whole answer is recognised, and the guess's decode, if still waiting for a worker, is not run
    agi, _task = await ScriptedAsterisk(environment(platform="12345"), []).channel()
    d, speech, _ = deps(world, ["我们楼下的路灯坏了好几天了"])
    session = IvrSession(agi, d)
    stale = asyncio.get_running_loop().create_future()
    utt = replace(cut_off(), speculation=Speculation(voiced_frames=900, task=stale))  # 980 frames were said
    tr = await session.transcribe(utt)
    assert tr is not None and tr.text == "我们楼下的路灯坏了好几天了"
    assert speech.heard == [16000 * 20] and stale.cancelled()
    agi.close()


async def test_an_answer_cut_off_is_recognised_from_the_last_guess_that_heard_something(world):
    # a caller cut off at 20 s whose pauses were recognised up to 16 s waits for the decode of the last 4 s only,
    # added to what was heard: not for a decode of all 20 s
    agi, _task = await ScriptedAsterisk(environment(platform="12345"), []).channel()
    d, speech, _ = deps(world, ["我们楼下的路灯坏了好几天了，物业说不归他们管", "晚上老人出门都看不见"])
    session = IvrSession(agi, d)
    so_far = HeardSoFar()
    utt = replace(cut_off(), so_far=so_far)
    await session._speculate(so_far, utt.pcm8k[: 16000 * 16])  # the guess at the pause at 16 s
    tr = await session.transcribe(utt)
    assert tr is not None and tr.text == "我们楼下的路灯坏了好几天了，物业说不归他们管 晚上老人出门都看不见"
    assert speech.heard == [16000 * 16, 16000 * 4]  # 16 s at the pause, then only the 4 s after it
    agi.close()


@dataclass
class SlowSpeech(ScriptedSpeech):
    """A recognizer that takes `delay_s` to decode, as Whisper does 20 s of speech on 2 cores."""

    delay_s: float = 0.0

    async def recognize(self, pcm16k) -> Transcript:
        await asyncio.sleep(self.delay_s)
        return await super().recognize(pcm16k)


@pytest.mark.parametrize(
    ("ended_by", "delay_s", "hold_on_after_s", "told"),
    [
        ("max-length", 1.0, 1.0, True),  # cut off mid-speech: told after 0.5 s
        ("max-length", 0.0, 1.0, False),  # the decision was ready at once
        ("endpoint", 0.8, 0.3, True),  # finished, then waited past the pause and hold_on_after_s
        ("silence", 0.8, 0.3, True),  # the same after RECORD FILE
        ("endpoint", 0.0, 0.3, False),  # decided while the pause ran out (the guess at the pause)
        ("endpoint", 0.8, 0.0, False),  # the prompt is off
        ("hangup", 0.8, 0.3, False),  # nobody to tell
    ],
)
async def test_a_caller_waiting_for_a_slow_decision_is_told_they_were_heard(
    world, ended_by, delay_s, hold_on_after_s, told
):
    # a caller who hears seconds of silence after speaking hangs up or talks on into nothing; the prompt is played
    # only while the decision is not ready, and only to a caller who is waiting for it
    hold_on = Step(PLAY_NO_KEYS.format("hold-on"), "200 result=0 endpos=13000")
    peer = ScriptedAsterisk(environment(platform="12345"), [hold_on] if told else [])
    agi, _task = await peer.channel()
    d, _speech, _ = deps(world, [])
    speech = SlowSpeech(["我们小区门口的路灯坏了一个多月了，晚上老人孩子出门都看不见路"], delay_s=delay_s)
    session = IvrSession(agi, replace(d, speech=speech, hold_on_after_s=hold_on_after_s))
    decision = await session.understood_while_holding(cut_off(ended_by), 1)
    assert decision.target == "12345" and speech.heard  # decided on the whole answer, prompt or not
    assert peer.seen == (['STREAM FILE hotline/hold-on ""'] if told else []) and not peer.errors
    agi.close()


async def test_a_caller_who_hangs_up_during_the_hold_on_prompt_still_leaves_what_they_said(world):
    peer = ScriptedAsterisk(environment(platform="12345"), [Step(PLAY_NO_KEYS.format("hold-on"), "200 result=-1")])
    agi, _task = await peer.channel()
    d, _speech, _ = deps(world, [])
    speech = SlowSpeech(["救命，有人拿刀在砍人"], delay_s=1.0)
    session = IvrSession(agi, replace(d, speech=speech))
    session.uid = agi.uniqueid
    with pytest.raises(CallerHungUp):
        await session.understood_while_holding(cut_off(), 1)
    assert session.transcript == "救命，有人拿刀在砍人"  # recognised to the end, hang-up or not
    agi.close()

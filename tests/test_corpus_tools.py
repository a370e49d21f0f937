"""The tools that make training data: the row checker, the pinyin confuser, the phone-line model."""

from __future__ import annotations

import random
import warnings
from collections import Counter

import numpy as np
from pypinyin import Style, lazy_pinyin, pinyin

from hotline.corpus.phone_line import alaw_decode, alaw_encode, phone_line
from hotline.corpus.pinyin_noise import Confuser, near_sounds
from hotline.corpus.schema import row_problems

CATS = {"national": {"violence", "public_facilities", "fire"}, "guilin": {"gl_power_repair"}}
ROW = {
    "id": "x1", "profile": "national", "platform": "both", "kind": "platform", "targets": "110", "emergency": "1",
    "category": "violence", "tags": "plain", "source": "written", "text": "楼下有人打架",
}  # fmt: skip


def test_a_valid_row_has_no_problems():
    assert row_problems(ROW, CATS) == []
    assert row_problems(dict(ROW, profile="guilin", kind="guide", targets="utility:power", emergency="0",
                             category="gl_power_repair", tags="city"), CATS) == []  # fmt: skip


def test_the_checker_names_each_bad_value():
    assert row_problems(dict(ROW, category="gl_power_repair"), CATS) == [
        "category 'gl_power_repair' is not in profile national"
    ]
    assert row_problems(dict(ROW, kind="platform", targets="12345"), CATS) == [
        "an emergency must be a 110 matter or another emergency number"
    ]
    assert row_problems(dict(ROW, kind="number", targets="110"), CATS) == ["targets '110' for kind number"]
    assert row_problems(dict(ROW, tags="plain,shouting"), CATS) == ["tags ['shouting']"]
    assert row_problems(dict(ROW, category="-"), CATS) == ["category '-' is only for clarify rows"]
    assert row_problems(dict(ROW, source="asr:whisper-base"), CATS) == []
    assert row_problems(dict(ROW, source="model"), CATS) == ["source 'model'"]
    assert row_problems({k: v for k, v in ROW.items() if k != "tags"}, CATS)


def test_near_sounds_follow_the_confusion_pairs():
    assert near_sounds("zhang") == {"zang", "zhan"}
    assert near_sounds("si") == {"shi"}
    assert near_sounds("nian") == {"lian", "niang"}
    assert near_sounds("ling") == {"ning", "lin"}
    assert near_sounds("ma") == set()


def test_confused_text_sounds_the_same_or_near_and_is_reproducible():
    counts = Counter("打架大家强接抢劫路灯路等着火找火报警报境就是那个楼下有人在里面张章脏")
    confuser = Confuser(counts)
    text = "楼下有人在打架，快报警"
    a = confuser.confuse(text, random.Random("seed"), rate=0.5, drop_chance=0.0)
    b = confuser.confuse(text, random.Random("seed"), rate=0.5, drop_chance=0.0)
    assert a == b and a[0] != text and a[1] and not a[2]
    assert len(a[0]) == len(text)
    heard = lazy_pinyin(text, style=Style.NORMAL)
    for orig, new, sound in zip(text, a[0], heard, strict=True):
        if orig != new:
            readings = set(pinyin(new, style=Style.NORMAL, heteronym=True)[0])
            assert readings & ({sound} | near_sounds(sound)), (orig, new)
            assert new in counts  # only common characters are written in
    dropped = confuser.confuse("我家楼下有人在打架", random.Random(1), rate=0.1, drop_chance=1.0)
    assert dropped[2] and len(dropped[0]) == len("我家楼下有人在打架") - 1


def test_alaw_matches_the_reference_codec():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop  # the standard library's G.711 (3.11), as the reference

    x = np.arange(-32768, 32768, 7, dtype=np.int32).astype(np.int16)
    assert alaw_encode(x).tobytes() == audioop.lin2alaw(x.tobytes(), 2)
    codes = np.arange(256, dtype=np.uint8)
    assert alaw_decode(codes).tobytes() == audioop.alaw2lin(codes.tobytes(), 2)


def test_phone_line_pads_adds_quiet_noise_and_is_seeded():
    t = np.arange(8000) / 8000
    tone = (np.sin(2 * np.pi * 440 * t) * 20000).astype(np.int16)
    a = phone_line(tone, np.random.default_rng(5))
    b = phone_line(tone, np.random.default_rng(5))
    assert np.array_equal(a, b)
    assert 8000 + 8000 <= len(a) <= 8000 + int(1.7 * 8000)
    rms = lambda x: float(np.sqrt(np.mean(x.astype(float) ** 2)))  # noqa: E731
    noise, speech = rms(a[: int(0.2 * 8000)]), rms(a[int(0.5 * 8000) : int(1.2 * 8000)])
    assert 0 < noise < speech / 20  # line noise, more than 26 dB under the speech
    assert np.max(np.abs(a)) <= 32767 * 10 ** (-3 / 20) * 1.05  # peak at -3 dBFS or lower


def _fake_zh_tts(tmp_path, monkeypatch, then: str) -> None:
    """A zh-tts that says every line of its batch in order, as zh-tts does, and fails at the first 覅; `then`
    is what it does after the last line."""
    from hotline.corpus import speech

    fake = tmp_path / "zh-tts"
    fake.write_text(
        "#!/usr/bin/env python3\n"
        "import sys, wave\n"
        "batch, out = sys.argv[sys.argv.index('--batch') + 1], sys.argv[-1]\n"
        "for line in open(batch, encoding='utf-8'):\n"
        "    key, text = line.rstrip('\\n').split('\\t')\n"
        "    if '覅' in text:\n"
        "        sys.exit('AssertionError: current_char : 覅')\n"
        "    with wave.open(f'{out}/{key}.wav', 'wb') as w:\n"
        "        w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000); w.writeframes(bytes(160))\n"
        f"{then}\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setattr(speech, "ZH_TTS", fake)


def test_a_text_zh_tts_cannot_say_is_left_out_alone(tmp_path, monkeypatch):
    """One unsayable text (zh-tts's lexicon lacks Wu 覅) must not cost the rest of its batch."""
    from hotline.corpus import speech

    _fake_zh_tts(tmp_path, monkeypatch, then="")
    texts = [f"第{i}句话" for i in range(9)]
    texts[5] = "我讲覅了伊还弗肯走"
    jobs = {(1.0, 1.0): [(f"k{i}", t) for i, t in enumerate(texts)]}
    failed = speech.synthesize(jobs, tmp_path / "tts")
    assert failed == [("我讲覅了伊还弗肯走", "AssertionError: current_char : 覅")]
    made = sorted(p.stem for p in (tmp_path / "tts").glob("*.wav"))
    assert made == [f"k{i}" for i in range(9) if i != 5]
    assert not list((tmp_path / "tts").glob("batch-*"))  # the batch lists are cleaned up
    assert speech.synthesize(jobs, tmp_path / "tts") == [("我讲覅了伊还弗肯走", "AssertionError: current_char : 覅")]


def test_a_zh_tts_failing_after_its_last_text_costs_nothing(tmp_path, monkeypatch):
    from hotline.corpus import speech

    _fake_zh_tts(tmp_path, monkeypatch, then="sys.exit('crashed on exit')")
    jobs = {(1.0, 1.0): [(f"k{i}", f"第{i}句话") for i in range(4)]}
    assert speech.synthesize(jobs, tmp_path / "tts") == []
    assert sorted(p.stem for p in (tmp_path / "tts").glob("*.wav")) == ["k0", "k1", "k2", "k3"]

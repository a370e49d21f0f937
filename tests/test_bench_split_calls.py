"""The sample `benchmarks/bench_split_calls.py` places as real calls: fixed by the ids, half emergencies, one
platform per row, only rows whose speech is in the cache. (The calls themselves need the running system.)"""

from __future__ import annotations

import wave
from collections import Counter
from pathlib import Path

import numpy as np

from hotline.corpus.speech import voice_of
from hotline.understanding.data import Example
from tests.script_support import load_benchmark

bench = load_benchmark("bench_split_calls")
sample_rows = bench.sample_rows


def example(i: int, platform: str, emergency: int) -> Example:
    target = "110" if emergency else "12345"
    return Example(f"zz{i:04d}", "national", platform, f"第{i}个电话", (target,), ("accept",), emergency, target)


def spoken(cache: Path, ex: Example) -> None:
    tts = cache / "tts"
    tts.mkdir(parents=True, exist_ok=True)
    with wave.open(str(tts / f"{voice_of(ex.id, ex.text)[2]}.wav"), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes((np.sin(np.arange(8000) / 5) * 3000).astype("<i2").tobytes())


def test_the_sample_is_half_emergencies_one_platform_a_row_and_only_what_was_spoken(tmp_path):
    rows = [example(i, p, i % 3 == 0) for i in range(60) for p in ("12345", "110")]
    for ex in rows:
        if ex.id != "zz0003":  # an emergency never spoken: never sampled
            spoken(tmp_path, ex)
    picked = sample_rows(rows, 10, tmp_path)
    assert len(picked) == 10 and len({e.id for e in picked}) == 10
    assert Counter(e.emergency for e in picked) == {1: 5, 0: 5}
    assert "zz0003" not in {e.id for e in picked}
    assert sample_rows(list(reversed(rows)), 10, tmp_path) == picked  # the ids fix it, not the file's order
    both = sample_rows(rows, 40, tmp_path)
    assert {e.platform for e in both} == {"12345", "110"}  # a row told at both platforms is placed at either

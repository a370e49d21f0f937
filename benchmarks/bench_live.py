"""Live recognition under load: end of speech -> route decision, and how many calls 2 cores carry.

N simulated Asterisk channels stream the shared spoken calls (../shared/audio/calls, 8 kHz) in real
time over the AudioSocket protocol into the service's own listener (agi/live_capture.py), which
endpoints them, recognises during pauses (Whisper, short context) and routes. Each stream starts at
a random offset and says several utterances, so ends of speech overlap as they would on a busy line.
Asterisk itself is not in this loop (bench_handover.py measures whole calls through it).

usage: .venv/bin/python benchmarks/bench_live.py [LEVELS...]      (default: 1 2 4 6 8)
       HOTLINE_SPECULATE_MS=0 to measure without speculative recognition
"""

from __future__ import annotations

import asyncio
import csv
import os
import random
import struct
import sys
import time
import uuid
import wave
from pathlib import Path

from percentile import pct  # benchmarks/percentile.py: run as benchmarks/<name>.py

SHARED = Path(__file__).resolve().parents[2] / "shared" / "audio" / "calls"
# the answer ends after the long pause (HOTLINE_PAUSE_MS, 1.2 s): the decision is due within 300 ms of that
P95_BUDGET_MS = 1500
MIN_UTTERANCES = 16  # per concurrency level


def load_calls() -> list[tuple[str, str, bytes]]:
    rows = list(csv.DictReader((SHARED / "manifest.tsv").open(encoding="utf-8"), delimiter="\t"))
    out = []
    for r in rows:
        with wave.open(str(SHARED / f"{r['id']}.wav"), "rb") as w:
            assert w.getframerate() == 8000 and w.getnchannels() == 1
            out.append((r["id"], r["platform"], w.readframes(w.getnframes())))
    return out


async def one_stream(port: int, server, recognize, router, calls, seed: int, results: list, per_stream: int) -> None:
    from hotline.agi.live_capture import listen_live
    from hotline.agi.server import listen_settings
    from hotline.agi.session import ends_early
    from hotline.config import Config

    early_end = Config().early_end  # the service's rule for ending an answer at the short silence
    rnd = random.Random(seed)
    await asyncio.sleep(rnd.uniform(0, 3))
    settings = listen_settings(Config())
    for _ in range(per_stream):
        cid, platform, pcm = rnd.choice(calls)
        stream_id, connected = server.expect()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(struct.pack(">BH", 0x01, 16) + uuid.UUID(stream_id).bytes)
        conn = await connected

        async def caller(pcm=pcm, writer=writer) -> None:
            audio = b"\0" * 8000 + pcm + b"\0" * 8000 * 4  # 0.5 s, the sentence, 2 s of silence
            t0 = time.monotonic()
            for i, off in enumerate(range(0, len(audio), 320)):
                writer.write(struct.pack(">BH", 0x10, 320) + audio[off : off + 320])
                delay = t0 + (i + 1) * 0.02 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)

        async def drain(reader=reader) -> None:
            while await reader.read(65536):
                pass

        tasks = [asyncio.ensure_future(caller()), asyncio.ensure_future(drain())]

        async def on_pause(pcm8k: bytes, platform=platform):
            tr = await recognize(pcm8k)
            return tr, ends_early(router.route(tr.text, platform=platform), early_end)

        speculate = settings.speculate_after_ms > 0
        utt = await listen_live(conn, b"", settings, on_pause=on_pause if speculate else None)
        for t in tasks:
            t.cancel()  # the caller stops sending once the listener has hung up the stream
        spec = utt.speculation
        if spec is not None and spec.voiced_frames == utt.voiced_frames:
            tr, _ = await spec.task
            used = True
        else:
            tr = await recognize(utt.pcm8k)
            used = False
        d = router.route(tr.text, platform=platform)
        decided = time.time()
        writer.close()
        if utt.speech_end is not None:
            results.append(
                {"id": cid, "ms": (decided - utt.speech_end) * 1000, "speculative": used, "target": d.target}
            )
        await asyncio.sleep(rnd.uniform(0.5, 2))


async def run_level(n: int, calls, recognizer, router) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    from hotline.agi.audiosocket import AudioSocketServer
    from hotline.asr.base import pcm16_to_16k

    pool = ThreadPoolExecutor(max_workers=getattr(recognizer, "workers", 1))
    loop = asyncio.get_running_loop()

    async def recognize(pcm8k: bytes):
        return await loop.run_in_executor(pool, lambda: recognizer.transcribe_pcm(pcm16_to_16k(pcm8k)))

    server = AudioSocketServer()
    tcp = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    results: list[dict] = []
    cpu0, t0 = time.process_time(), time.monotonic()
    per_stream = max(2, -(-MIN_UTTERANCES // n))
    await asyncio.gather(
        *(one_stream(port, server, recognize, router, calls, 1000 * n + i, results, per_stream) for i in range(n))
    )
    cpu = (time.process_time() - cpu0) / (time.monotonic() - t0)
    tcp.close()
    ms = [r["ms"] for r in results]
    return {
        "streams": n,
        "utterances": len(ms),
        "p50": pct(ms, 0.5),
        "p95": pct(ms, 0.95),
        "max": max(ms),
        "speculative": sum(r["speculative"] for r in results) / max(1, len(results)),
        "cpu_cores": cpu,
    }


async def main(levels: list[int]) -> None:
    from hotline.asr import get_recognizer
    from hotline.router import get_router

    calls = load_calls()
    recognizer = get_recognizer("whisper")
    router = get_router("national")
    recognizer.transcribe_pcm(__import__("numpy").zeros(16000, "float32") + 0.01)  # warm up
    print(
        f"live recognition, {recognizer.engine}:{recognizer.model} short_context={recognizer.short_context}, "
        f"beam {recognizer.beam_size}, {recognizer.workers} decode workers, "
        f"speculate={os.environ.get('HOTLINE_SPECULATE_MS', '240')} ms, {os.cpu_count()} cores"
    )
    sustained = 0
    for n in levels:
        r = await run_level(n, calls, recognizer, router)
        ok = r["p95"] <= P95_BUDGET_MS
        sustained = max(sustained, n) if ok else sustained
        print(
            f"  {n:2d} concurrent streams: {r['utterances']:3d} utterances, end of speech -> decision "
            f"p50 {r['p50']:.0f} ms p95 {r['p95']:.0f} ms max {r['max']:.0f} ms; "
            f"decided from the pause guess {r['speculative']:.0%}; CPU {r['cpu_cores']:.2f} cores"
            + ("" if ok else "  (over the 1.5 s budget)")
        )
    print(f"largest level measured with p95 <= {P95_BUDGET_MS} ms: {sustained or 'none'} concurrent callers speaking")


if __name__ == "__main__":
    asyncio.run(main([int(a) for a in sys.argv[1:]] or [1, 2, 4, 6, 8]))

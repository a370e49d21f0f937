"""The live listener replayed on a spoken split: what the caller's pauses do to what the router hears.

Each row of a frozen split is spoken as `make eval-spoken` speaks it (zh-tts at the row's speed and pitch, the
simulated phone line: scripts/speak_corpus.py's cache) and fed, 20 ms at a time, to the service's endpointer.
At every pause of HOTLINE_SPECULATE_MS the service's Whisper (biased toward the row's profile) recognises what
was said so far and the router decides, as `hotline serve` does during a call. Two rules for ending the answer
after the short silence (HOTLINE_ENDPOINT_MS) are compared: the words so far are understood (the listener until
2026-12-03), and each policy of HOTLINE_EARLY_END (agi/session.py, `ends_early`):

  emergency        an emergency, the model's too
  rules-emergency  a danger phrase of the profile
  none             no answer ends at the short silence (the default)

Under both, any answer ends after the long pause (HOTLINE_PAUSE_MS) or at HOTLINE_MAX_UTTERANCE_S. (What a
caller says after that, over the handover prompt, is not replayed here: zh-tts never pauses that long.)
Prints per rule: emergencies flagged and reaching 110 at once, ordinary rows flagged, right destinations,
and answers ended before the caller had finished.

usage: .venv/bin/python benchmarks/bench_live_replay.py SPLIT.tsv --cache DIR [--limit N]
       (DIR: speak_corpus.py's --cache, with the split already spoken into it)
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from hotline.agi.server import listen_settings
from hotline.agi.session import ends_early
from hotline.asr import get_recognizer
from hotline.asr.base import pcm16_to_16k
from hotline.asr.endpoint import FRAME_BYTES, FRAME_MS, Endpointer
from hotline.config import Config
from hotline.corpus.speech import read_wav_int16, voice_of
from hotline.profile import load_profile
from hotline.router import get_router
from hotline.understanding.data import read_examples

RULES = ("understood", "emergency", "rules-emergency", "none")


@dataclass
class Pause:
    """A pause of the caller: the audio up to it, how long it lasted (frames), what was heard up to it."""

    pcm8k: bytes
    frames: int
    text: str = ""


@dataclass
class Spoken:
    key: str
    profile: str
    pauses: list[Pause] = field(default_factory=list)


def find_pauses(pcm8k: bytes, cfg: Config) -> list[Pause]:
    """The pauses the live listener would recognise at, in order; the last one is where the answer ends
    whatever was said (the long pause, the longest answer, or the end of the audio)."""
    s = listen_settings(cfg)
    ep = Endpointer(s.endpoint, end_ms=s.endpoint.pause_ms)
    spec = max(1, s.speculate_after_ms // FRAME_MS)
    audio = pcm8k + b"\0" * (8000 * 2 * 3)  # the caller then waits in silence
    pauses: list[Pause] = []
    for i in range(0, len(audio), FRAME_BYTES):
        ep.feed(audio[i : i + FRAME_BYTES].ljust(FRAME_BYTES, b"\0"))
        if not ep.speaking:
            continue
        if ep.silent_run == spec:
            pauses.append(Pause(ep.pcm(), spec))
        elif pauses and ep.silent_run > spec:
            pauses[-1].frames = ep.silent_run
        if ep.ended or ep.speech_s >= s.max_utterance_s:
            if ep.silent_run < spec:  # cut mid-word by the longest answer
                pauses.append(Pause(ep.pcm(), ep.silent_run))
            break
    return pauses


def ends_at(pauses: list[Pause], rule: str, router, platform: str, short_frames: int):
    """The pause the answer ends at under `rule`, and the decision made on it."""
    for n, p in enumerate(pauses):
        d = router.route(p.text, platform=platform)
        last = n == len(pauses) - 1
        if last:
            return n, d
        if p.frames >= short_frames and (d.understood if rule == "understood" else ends_early(d, rule)):
            return n, d
    raise ValueError("no pause")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("split", type=Path)
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=0, help="the first N lines only")
    a = ap.parse_args()
    cfg = Config()
    short_frames = max(1, cfg.endpoint_ms // FRAME_MS)

    with a.split.open(encoding="utf-8", newline="") as f:
        raw = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if a.limit:
        raw = raw[: a.limit]
    key_of = {r["text"]: voice_of(r["id"], r["text"])[2] for r in raw}
    spoken: dict[tuple[str, str], Spoken] = {}
    for r in raw:
        wav = a.cache / "line" / f"{key_of[r['text']]}.wav"
        if wav.exists():
            spoken[(key_of[r["text"]], r["profile"])] = Spoken(key_of[r["text"]], r["profile"])
    examples = [e for e in read_examples(a.split) if (key_of.get(e.text), e.profile) in spoken]
    print(f"{a.split.name}: {len(examples)} rows, {len(spoken)} spoken lines", file=sys.stderr)

    rec = get_recognizer("whisper")
    t0, done = time.perf_counter(), 0
    # what was heard at each pause, per line and profile (and listening settings): a rerun reads it back
    heard_file = a.cache / f"replay-{rec.engine}-{rec.model}{getattr(rec, 'config', '')}.jsonl"
    heard: dict[str, list[list]] = {}
    if heard_file.exists():
        for line in heard_file.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            heard[d["id"]] = d["pauses"]

    def hear_id(sp: Spoken) -> str:
        return f"{sp.key}|{sp.profile}|{cfg.speculate_ms}|{cfg.pause_ms}|{cfg.max_utterance_s}"

    def hear(sp: Spoken) -> Spoken:
        pcm, rate = read_wav_int16(a.cache / "line" / f"{sp.key}.wav")
        assert rate == 8000, rate
        sp.pauses = find_pauses(pcm.tobytes(), cfg)
        for p in sp.pauses:
            p.text = rec.transcribe_pcm(pcm16_to_16k(p.pcm8k)).text
            p.pcm8k = b""
        return sp

    for sp in spoken.values():
        if hear_id(sp) in heard:
            sp.pauses = [Pause(b"", frames, text) for frames, text in heard[hear_id(sp)]]
    ordered = sorted((sp for sp in spoken.values() if not sp.pauses), key=lambda s: s.profile)
    with ThreadPoolExecutor(getattr(rec, "workers", 1)) as pool, heard_file.open("a", encoding="utf-8") as out:
        for profile, group in groupby(ordered, key=lambda s: s.profile):
            if getattr(rec, "bias", "none") != "none":  # as the service of that site decodes
                rec.bias_toward(c.phrases for c in load_profile(profile).categories)
            for sp in pool.map(hear, list(group)):
                pauses = [[p.frames, p.text] for p in sp.pauses]
                out.write(json.dumps({"id": hear_id(sp), "pauses": pauses}, ensure_ascii=False) + "\n")
                out.flush()
                done += 1
                if done % 100 == 0:
                    print(f"  {done}/{len(ordered)} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)

    tally = {rule: Counter() for rule in RULES}
    pauses_heard = Counter()
    for e in examples:
        sp = spoken[(key_of[e.text], e.profile)]
        router = get_router(e.profile)
        pauses_heard["lines"] += 1
        pauses_heard["short"] += any(p.frames >= short_frames for p in sp.pauses[:-1])
        for rule in RULES:
            n, d = ends_at(sp.pauses, rule, router, e.platform, short_frames)
            t = tally[rule]
            t["rows"] += 1
            t["target"] += d.target in e.targets
            t["cut"] += n < len(sp.pauses) - 1
            if e.emergency == 1:
                t["em"] += 1
                t["em_flagged"] += d.emergency
                t["em_reached"] += d.reaches_110_at_once
                t["em_cut"] += n < len(sp.pauses) - 1
            elif e.emergency == 0:
                t["neg"] += 1
                t["false"] += d.emergency
    print(
        f"{a.split.name}: {len(examples)} rows; {pauses_heard['short']} of {pauses_heard['lines']} have a pause of "
        f"{cfg.endpoint_ms}-{cfg.pause_ms} ms before their last words; recognised in {time.perf_counter() - t0:.0f} s"
    )
    print(f"{'rule':16s} {'destination':>12s} {'emergencies':>14s} {'at once':>8s} {'false':>19s} {'ended early':>12s}")
    for rule in RULES:
        t = tally[rule]
        print(
            f"{rule:16s} {t['target'] / t['rows']:12.1%} {t['em_flagged']:6d} / {t['em']:<5d} {t['em_reached']:8d} "
            f"{t['false']:5d} / {t['neg']:<4d} ({t['false'] / max(1, t['neg']):4.1%}) {t['cut']:6d} ({t['em_cut']} em.)"
        )


if __name__ == "__main__":
    main()

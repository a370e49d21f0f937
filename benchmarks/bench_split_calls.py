"""A sample of a frozen split, spoken, placed as real calls: SIPp -> Asterisk -> AudioSocket -> recognizer ->
router -> action, as the issue first measured unseen callers (13 spoken requests placed live, 6 right).

Each sampled row is spoken as `make eval-spoken` speaks it (its phone-line WAV from scripts/speak_corpus.py's
cache) and placed at its platform (a `both` row at one of the two, chosen by its id). Half the sample are
emergencies. The call log says what the call heard and decided; that is compared with the row's labels and with
`make eval-spoken`'s reading of the same audio (SPLIT.spoken.tsv in the cache: the whole recording at once), so a
gap between the offline figures and a real call shows here.

Per call: the destination, whether an emergency reached 110 at once (flagged, held in doubt, or bridged on a
danger hint acted on: `Decision.reaches_110_at_once`), seconds from answer to a person answering (the handover's
target, or the platform's own agent), and from the caller's last word to the decision. Needs the system running
(`make start`) and the split spoken into --cache.

usage: .venv/bin/python benchmarks/bench_split_calls.py SPLIT.tsv --cache corpus/speech_cache [--sample 40]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from pathlib import Path

from bench_calls import timed_answers  # the shared calls' benchmark times an answer the same way
from percentile import pct  # benchmarks/percentile.py: run as benchmarks/<name>.py

from hotline.corpus.speech import line_wav, spoken_wav
from hotline.router import route_call
from hotline.sim.sipcall import place_call, seconds_to_person
from hotline.understanding.data import Example, read_examples


def rank(*parts: str) -> str:
    return hashlib.sha256(":".join(("split-calls", *parts)).encode()).hexdigest()


def sample_rows(examples: list[Example], n: int, cache: Path) -> list[Example]:
    """n rows, half of them emergencies, one platform per row, in an order fixed by the ids."""
    one_platform: dict[str, Example] = {}
    for ex in sorted(examples, key=lambda e: rank(e.id, e.platform)):  # a `both` row: the platform its hash puts first
        # not line_wav: the phone-line WAV is made for the rows placed only
        if ex.id not in one_platform and ex.emergency is not None and spoken_wav(ex.id, ex.text, cache).exists():
            one_platform[ex.id] = ex
    rows = sorted(one_platform.values(), key=lambda e: rank(e.id))
    emergencies = [e for e in rows if e.emergency == 1][: n // 2]
    ordinary = [e for e in rows if e.emergency == 0][: n - len(emergencies)]
    return sorted(emergencies + ordinary, key=lambda e: e.id)


def offline_transcripts(spoken: Path) -> dict[str, str]:
    """What `make eval-spoken` heard in each row's recording: its SPLIT.spoken.tsv, by row id."""
    if not spoken.exists():
        return {}
    with spoken.open(encoding="utf-8", newline="") as f:
        return {r["id"]: r["text"] for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("split", type=Path)
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--sample", type=int, default=40)
    a = ap.parse_args()
    rows = sample_rows(read_examples(a.split), a.sample, a.cache)
    if not rows:
        print(f"no row of {a.split} is spoken in {a.cache}: run scripts/speak_corpus.py first", file=sys.stderr)
        return 2
    heard_offline = offline_transcripts(a.cache / f"{a.split.stem}.spoken.tsv")
    tally = {k: 0 for k in ("dest", "dest_off", "em_n", "em", "em_off", "em_reach", "od_n", "false", "same", "held")}
    to_person: list[float] = []
    to_decision: list[float] = []
    after_pause: list[float] = []  # answers the caller ended with a pause
    after_cut_off: list[float] = []  # answers cut off at the longest length
    t0 = time.time()
    for ex in rows:
        wav = line_wav(ex.id, ex.text, a.cache)
        res = place_call(wav, platform=ex.platform, hold_s=20, timeout_s=180)
        route = res["route"] or {}
        offline = heard_offline.get(ex.id, "")
        off = route_call(offline, ex.platform, profile=ex.profile) if offline else None
        live_dest = route.get("target") in ex.targets
        flagged = bool(route.get("emergency"))
        # the conversation's own test (Decision.reaches_110_at_once) on what the call heard: flagged, held in doubt,
        # or a danger hint acted on (an understood 12345 matter with a hint goes to a warned agent, not to 110)
        reached = route_call(res["transcript"] or "", ex.platform, profile=ex.profile).reaches_110_at_once
        tally["dest"] += live_dest
        tally["dest_off"] += bool(off and off.target in ex.targets)
        tally["same"] += " ".join((res["transcript"] or "").replace('"', "”").split()) == offline  # as that file has it
        if ex.emergency == 1:
            tally["em_n"] += 1
            tally["em"] += flagged
            tally["em_off"] += bool(off and off.emergency)
            tally["em_reach"] += reached
        else:
            tally["od_n"] += 1
            tally["false"] += flagged
        answers = timed_answers(res["events"])
        ended, decided_after = [how for how, _ in answers], [ms for _, ms in answers]
        to_decision += decided_after
        for how, ms in answers:
            (after_cut_off if how == "max-length" else after_pause).append(ms)
        held = any(e["kind"] == "prompt" and e.get("prompt") == "hold-on" for e in res["events"])
        tally["held"] += held
        wait = seconds_to_person(res["events"])
        if wait is not None:
            to_person.append(wait)
        mark = "ok" if live_dest and (flagged or ex.emergency == 0) else "MISSED" if ex.emergency == 1 else "WRONG"
        print(
            f"{ex.id}@{ex.platform} em={ex.emergency}: {mark:6} {res['outcome']:<22} -> {route.get('target')} "
            f"emergency={int(flagged)} hint={int(bool(route.get('danger_hint')))} person "
            f"{'-' if wait is None else f'{wait:.1f} s'}  ended by {'/'.join(map(str, ended))}, decided after "
            f"{'/'.join(f'{ms / 1000:.1f}' for ms in decided_after)} s{' (hold-on)' if held else ''}  "
            f"heard '{res['transcript']}'",
            flush=True,
        )
    n, t = len(rows), tally
    print(f"\n{a.split.name}: {n} calls placed in {time.time() - t0:.0f} s")
    print(f"right destination: live {t['dest']}/{n}, offline reading of the same audio {t['dest_off']}/{n}")
    print(
        f"emergencies flagged: live {t['em']}/{t['em_n']}, offline {t['em_off']}/{t['em_n']}; reaching 110 at once "
        f"(flagged or bridged on a hint) {t['em_reach']}/{t['em_n']}"
    )
    print(f"ordinary calls flagged as emergencies: {t['false']}/{t['od_n']}")
    print(f"live transcript the same as the offline one: {t['same']}/{n}")
    if to_decision:
        print(
            f"the caller's last word -> decision over {len(to_decision)} answers: p50 {pct(to_decision, 0.5):.0f} ms, "
            f"p95 {pct(to_decision, 0.95):.0f} ms, max {max(to_decision):.0f} ms"
        )
        for what, ms in (("ended by a pause", after_pause), ("cut off at the longest answer", after_cut_off)):
            if ms:
                print(f"  {what}: {len(ms)} answers, p50 {pct(ms, 0.5):.0f} ms, max {max(ms):.0f} ms")
    print(f"calls in which the caller heard hold-on while the answer was recognised: {t['held']}/{n}")
    if to_person:
        print(
            f"answer -> a person answering over {len(to_person)} calls: p50 {pct(to_person, 0.5):.1f} s, "
            f"p95 {pct(to_person, 0.95):.1f} s, max {max(to_person):.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

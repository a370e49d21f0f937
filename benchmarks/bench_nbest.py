"""Would Whisper's other hypotheses catch the emergencies its best one garbles? (an experiment, session 59)

Each row of a spoken split (already spoken by `make eval-spoken`: scripts/speak_corpus.py's cache) is recognised
as the service does (Whisper base, beam 5, biased toward the row's profile), keeping the beam's N best
hypotheses instead of one. Every hypothesis is routed; the figures compare the service's rule (the best
hypothesis decides) with rules that flag an emergency when K of the N hypotheses say so (the emergency's
decision then stands). Hypotheses are cached in DIR/nbest-<model>.jsonl (about 1.2 s a row on 2 cores).

Measured on test BR (session 59): the beam's hypotheses differ in a character or two (他姓王 / 他信王), so they
rarely hear what the best one missed: K=1 of 5 catches 4 more of 576 emergencies and flags 10 more of 846 ordinary
rows; K=2 of 5, 2 more and 4 more. Not adopted.

usage: .venv/bin/python benchmarks/bench_nbest.py SPLIT.tsv --cache DIR [--n 5] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from itertools import groupby
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corpus.speech import apply_line, voice_of  # noqa: E402
from hotline.asr import get_recognizer  # noqa: E402
from hotline.asr.base import read_wav_16k  # noqa: E402
from hotline.asr.whisper import WhisperRecognizer  # noqa: E402
from hotline.evaluate import evaluate_examples  # noqa: E402
from hotline.profile import load_profile  # noqa: E402
from hotline.router.decide import get_router  # noqa: E402
from hotline.understanding.data import Example, read_examples  # noqa: E402

_heard = threading.local()


class _KeepingHypotheses:
    """The recognizer's CTranslate2 model, asked for its `n` best hypotheses; the service's own decoding (its
    gates, its loop guard) reads the best as before, and the last decode's hypotheses are in `_heard.hyps`."""

    def __init__(self, rec: WhisperRecognizer, n: int) -> None:
        self._rec, self._model, self._n = rec, rec._model.model, n

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("num_hypotheses", self._n)
        results = self._model.generate(*args, **kwargs)
        decode, t2s = self._rec._tokenizer.decode, self._rec._t2s.convert
        _heard.hyps = [t2s(decode(ids).strip()) for ids in results[0].sequences_ids]
        return results


def keeping_hypotheses(rec: WhisperRecognizer, n: int) -> None:
    rec._model.model = _KeepingHypotheses(rec, n)


def recognize_split(split: Path, cache: Path, n: int, limit: int | None) -> dict[str, dict[str, Any]]:
    with split.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[:limit]
    key_of = {r["id"]: voice_of(r["id"], r["text"])[2] for r in rows}  # the speech cache's key of each row
    rows = [r for r in rows if (cache / "tts" / f"{key_of[r['id']]}.wav").exists()]
    out = cache / "nbest-whisper-base.jsonl"
    heard: dict[str, dict[str, Any]] = {}
    if out.exists():
        for line in out.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            heard[d["key"]] = d
    unheard = {key_of[r["id"]]: r for r in rows if key_of[r["id"]] not in heard}  # one decode per distinct speech
    todo = sorted(unheard.values(), key=lambda r: r["profile"])
    if todo:
        rec = get_recognizer("whisper", "whisper-base")
        keeping_hypotheses(rec, n)

        def recognize(r: dict[str, str]) -> dict[str, Any]:
            key = key_of[r["id"]]
            _heard.hyps = []
            tr = rec.transcribe_pcm(read_wav_16k(apply_line(key, cache / "tts", cache / "line")))
            return {"key": key, "text": tr.text, "hyps": list(_heard.hyps)}

        print(f"recognizing {len(todo)} rows ({len(heard)} cached)", file=sys.stderr)
        with out.open("a", encoding="utf-8") as log, ThreadPoolExecutor(rec.workers) as pool:
            for profile, group in groupby(todo, key=lambda r: r["profile"]):
                rec.bias_toward(c.phrases for c in load_profile(profile).categories)
                for d in pool.map(recognize, list(group)):
                    heard[d["key"]] = d
                    log.write(json.dumps(d, ensure_ascii=False) + "\n")
    return {r["id"]: heard[key_of[r["id"]]] for r in rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("split", type=Path)
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--limit", type=int)
    a = ap.parse_args()
    heard = recognize_split(a.split, a.cache, a.n, a.limit)
    said = [ex for ex in read_examples(a.split) if heard.get(ex.id) and heard[ex.id]["text"].strip()]
    # unsayable rows and those heard as nothing are left out, as make eval-spoken does
    rules = {"best hypothesis (the service)": None, **{f"{k} of {a.n} hypotheses": k for k in (1, 2, 3)}}
    chosen: dict[str, list[Example]] = {name: [] for name in rules}
    for ex in said:
        h, router = heard[ex.id], get_router(ex.profile)
        best = " ".join(h["text"].split())
        flagged = [t for t in (" ".join(t.split()) for t in h["hyps"]) if t and router.route(t, ex.platform).emergency]
        best_flagged = router.route(best, platform=ex.platform).emergency
        for name, k in rules.items():
            text = flagged[0] if k is not None and not best_flagged and len(flagged) >= k else best
            chosen[name].append(replace(ex, text=text))
    print(f"{a.split.name}: {a.n}-best hypotheses of Whisper base (beam 5), each routed ({len(said)} rows)")
    print(f"{'rule':34s} {'right destination':>18s} {'emergencies flagged':>22s} {'ordinary flagged':>20s}")
    for name, examples in chosen.items():
        r = evaluate_examples(examples)
        em = f"{r['emergency_hit']}/{r['emergency_rows']} ({r['emergency_recall']:.1%})"
        fl = f"{r['false_emergencies']}/{r['non_emergency_rows']} ({r['false_emergency_rate']:.1%})"
        print(f"{name:34s} {r['target_accuracy']:>18.1%} {em:>22s} {fl:>20s}")


if __name__ == "__main__":
    main()

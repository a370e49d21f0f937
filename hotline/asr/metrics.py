"""Character error rate for Chinese transcripts (punctuation and spaces ignored, simplified script)."""

from __future__ import annotations

import re

import opencc

_t2s = opencc.OpenCC("t2s")
_KEEP = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")


def normalize_for_cer(text: str) -> str:
    return "".join(_KEEP.findall(_t2s.convert(text))).lower()


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def cer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalize_for_cer(reference), normalize_for_cer(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)

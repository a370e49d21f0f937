"""What the learned layer reads of an utterance: characters, sounds and the rules' own evidence.

- ``c:`` character 1-3-grams of each clause of the normalized text (fillers gone, simplified);
- ``p:`` toneless pinyin syllable 2-3-grams of each clause, its ends marked: the recognizer writes a homophone
  (加油战 for 加油站, 宝安 for 保安, 店棍 for 电棍), and the syllables read it as the word that was said. They
  weigh half as much as characters (``SUBORDINATE_WEIGHT``): at full weight they repeat every word of a complaint told
  first (天天, 被人偷了) and outweighed the danger told after it (README, "the ninth round");
- ``e:`` character 2-3-grams of what was said last (the normalized call's last ``END_CHARS`` characters, marks
  removed), at the syllables' weight (``SUBORDINATE_WEIGHT``): a danger told after a complaint (上次反映的路灯没人修
  ……现在有人倒在路边不动了) is what the caller ends on, where a recognizer's transcript has no punctuation to tell
  its clauses apart. Measured against v3 (README, "the model reading what was said last");
- ``r:`` the rules' findings: categories and cues matched, and in what context (negated, supposed,
  past, over, urgent), how they were heard, the rules' decision.

Pinyin syllable n-grams were in features v1 and dropped in v2 (on the written dev split they added nothing to
characters + the rules' evidence); v3 brought them back for the recognizer's homophones, measured on the frozen
splits as callers are heard (spoken Q + R: 1,103 -> 1,117 of 1,183 emergencies). Character 4-grams (leaving
authors out: 98.2% instead of 98.0% of emergencies at 5% false) flagged more of the frozen splits' ordinary calls:
not used (README). Homophones also reach the model through the pinyin-confusion and recognizer-transcript rows
of the training data.

The same function serves training and the service, so the two never drift apart; the artifact
records `FEATURES_VERSION` and a model built by another version is stale.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from hotline.router.phrase_index import char_readings

if TYPE_CHECKING:
    from hotline.router.decide import Decision, Findings, Router

FEATURES_VERSION = 4  # 3: toneless pinyin syllable 2-3-grams at half weight; 4: the call's last words (e:)
# syllables and the last words weigh half as much as characters: they repeat what the characters say
SUBORDINATE_WEIGHT = 0.5
SUBORDINATE = ("p:", "e:")
END_CHARS = 16
_SPLIT = re.compile(r"[|#]+")


def text_tokens(text: str) -> list[str]:
    out: list[str] = []
    for clause in _SPLIT.split(text):
        if not clause:
            continue
        padded = f"<{clause}>"
        n = len(padded)
        for k in (1, 2, 3):
            out.extend("c:" + padded[i : i + k] for i in range(n - k + 1) if padded[i : i + k] not in ("<", ">"))
        syl = ["<", *(_syllable(ch) for ch in clause), ">"]
        for k in (2, 3):
            out.extend("p:" + "_".join(syl[i : i + k]) for i in range(len(syl) - k + 1))
    # what was said last, across clause marks (a transcript has none)
    tail = _SPLIT.sub("", text)[-END_CHARS:]
    for k in (2, 3):
        out.extend("e:" + tail[i : i + k] for i in range(len(tail) - k + 1))
    return out


def _syllable(ch: str) -> str:
    """The common toneless reading of a character (as the rules' sound matching reads the text)."""
    return min(char_readings(ch))


def rule_tokens(found: Findings, decision: Decision, router: Router) -> list[str]:
    """The rules' verdict and evidence; independent of the receiving platform (the owner, not the action)."""
    out = [f"r:rule:{decision.rule}"]
    if decision.emergency:
        out += ["r:emergency", f"r:emergency:{decision.target}"]
    cat = router.category(decision.category) if decision.category else None
    if cat is not None:
        out.append(f"r:owner:{category_owner(cat)}")
    if found.narrative:
        out.append("r:narrative")
    for e in found.evidence:
        cat = e.category
        flags = [f for f, on in (("neg", e.negated), ("hypo", e.hypothetical)) if on]
        out += [f"r:cat:{cat}", f"r:tense:{e.tense}", f"r:cat:{cat}:{e.tense}", f"r:via:{e.via}"]
        out += [f"r:{f}" for f in flags] + [f"r:cat:{cat}:{f}" for f in flags]
        if e.emergency:
            out.append("r:em_phrase")
    return out


def category_owner(cat) -> str:
    """The owner label (hotline.understanding.data.owner_of) of a profile category."""
    if cat.owner == "agent":
        return "agent"
    return cat.target if cat.target != "receiving" else "none"


class Vectorizer:
    """Token lists -> sublinear tf-idf rows (syllables and last words at ``SUBORDINATE_WEIGHT``), L2-normalized (as
    scikit-learn's TfidfVectorizer does), over a fixed vocabulary: small enough to carry in the artifact, exact at
    train and serve time."""

    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray) -> None:
        self.vocabulary = list(vocabulary)
        self.index = {t: i for i, t in enumerate(self.vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float64)
        # syllables (which only bridge homophones) and the last words weigh less than the characters they repeat
        self.weight = np.array([SUBORDINATE_WEIGHT if t[:2] in SUBORDINATE else 1.0 for t in self.vocabulary])

    @classmethod
    def fit(cls, docs: Sequence[Sequence[str]], min_df: int = 2) -> Vectorizer:
        df: Counter[str] = Counter()
        for d in docs:
            df.update(set(d))
        vocab = sorted(t for t, c in df.items() if c >= min_df)
        n = len(docs)
        idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in vocab])
        return cls(vocab, idf)

    def row(self, tokens: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """(indices, values) of one document."""
        counts = Counter(i for i in map(self.index.get, tokens) if i is not None)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        val = (1.0 + np.log(tf)) * self.idf[idx] * self.weight[idx]
        return idx, val / np.linalg.norm(val)

    def matrix(self, docs: Sequence[Sequence[str]]):
        from scipy.sparse import csr_matrix

        indptr, indices, data = [0], [], []
        for d in docs:
            idx, val = self.row(d)
            order = np.argsort(idx)
            indices.append(idx[order])
            data.append(val[order])
            indptr.append(indptr[-1] + len(idx))
        return csr_matrix(
            (np.concatenate(data) if data else [], np.concatenate(indices) if indices else [], indptr),
            shape=(len(docs), len(self.vocabulary)),
        )

"""Find trigger phrases in normalized text by characters and by pinyin.

The recognizer's typical errors are homophones (抢劫 -> 强接, 打架 -> 打家, 路灯 -> 路等), so a
phrase also matches where every character of the text can be read with the phrase's syllable
(tones ignored, every reading of a polyphonic character allowed). Phrases of three or more
characters also match under the usual fuzzy pairs of southern accents (zh/z, ch/c, sh/s, l/n,
-ng/-n), at a lower weight.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from pypinyin import Style, lazy_pinyin, pinyin

from hotline.profile import SENTENCE_WILDCARD, WILDCARD, is_gapped, split_gaps

GAP = 4  # what a WILDCARD (被*打了) spans inside one clause: 被同学打了
SENTENCE_GAP = 12  # what a SENTENCE_WILDCARD (包~滴滴响) spans inside one sentence: 门口有个包，滴滴响
VIA_CHARS = "chars"
VIA_PINYIN = "pinyin"
VIA_SOUND = "sound"  # same syllables, no character in common (吵到半 -> 盗版 is the risk here)
VIA_FUZZY = "fuzzy"
# the recognizer wrote a common real word (大人) that sounds like a phrase (打人): used only when
# nothing else in the utterance matched (see Router.route)
VIA_WEAK = "weak"
# grammatical particles: sharing one with a phrase (挂了 / 刮了) says nothing about the word itself
PARTICLES = frozenset("了着过的地得子儿们个把被在")
QUALITY = {VIA_CHARS: 1.0, VIA_PINYIN: 0.85, VIA_SOUND: 0.5, VIA_FUZZY: 0.6, VIA_WEAK: 0.45}


def _fuzzy(syl: str) -> str:
    for a, b in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if syl.startswith(a):
            syl = b + syl[2:]
            break
    if syl.startswith("l"):
        syl = "n" + syl[1:]
    if syl.endswith("ng") and len(syl) > 2:
        syl = syl[:-1]
    return syl


def _gapped_pattern(phrase: str) -> re.Pattern[str]:
    gaps = {WILDCARD: f"[^|#]{{0,{GAP}}}", SENTENCE_WILDCARD: f"[^#]{{0,{SENTENCE_GAP}}}"}
    return re.compile("".join(gaps.get(p) or re.escape(p) for p in split_gaps(phrase)))


def intensified(phrase: str, intensifiers: Iterable[str], negations: str = "不没") -> list[str]:
    """The phrase with an intensifier said before its negation (说话不利索 -> 说话都不利索, 叫不醒 -> 叫都不醒):
    callers stress what cannot be done with 都 or 也, and the phrase must still be heard."""
    if is_gapped(phrase):
        return []
    out = []
    for i in range(1, len(phrase)):
        if phrase[i] in negations and phrase[i - 1] not in negations:
            out.extend(phrase[:i] + w + phrase[i:] for w in intensifiers if not phrase[:i].endswith(w))
    return out


@lru_cache(maxsize=65536)
def char_readings(ch: str) -> frozenset[str]:
    """The common toneless reading of a character of the text; a non-Chinese one reads as itself.

    A recognizer that mishears writes the homophone it knows best, read in its common way, so rare
    readings (家 gu, 着 zhao) would only add false matches on the text side.
    """
    if not ("\u3400" <= ch <= "\u9fff"):
        return frozenset((ch,))
    return frozenset(pinyin(ch, style=Style.NORMAL, heteronym=False)[0])


def syllables(text: str) -> list[str]:
    """The toneless reading of each character of `text`, one item per character (a non-Chinese one as itself)."""
    return lazy_pinyin(text, style=Style.NORMAL, errors=list)


@lru_cache(maxsize=65536)
def _fuzzy_readings(ch: str) -> frozenset[str]:
    return frozenset(_fuzzy(r) for r in char_readings(ch))


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Frequent real words (see scripts/build_common_words.py): written there, they were meant."""
    text = resources.files("hotline.router").joinpath("common_words.txt").read_text(encoding="utf-8")
    return frozenset(w for w in text.split("\n") if w and not w.startswith("#"))


def _splits_word(text: str, start: int, end: int, common: frozenset[str]) -> bool:
    """True when the span cuts a common word at either edge (K市|火车站: 市火 is no 失火)."""
    return (start > 0 and text[start - 1 : start + 1] in common) or (
        end < len(text) and text[end - 1 : end + 1] in common
    )


@dataclass(frozen=True)
class Hit:
    key: str  # the owner of the phrase (a category or cue id)
    phrase: str
    start: int
    end: int
    via: str
    heard: str  # the text as it was said there


@dataclass(frozen=True)
class _Entry:
    key: str
    phrase: str
    syllables: tuple[str, ...]
    fuzzy: tuple[str, ...]


class PhraseIndex:
    """Compiled phrases of one profile. Build once, match many times."""

    def __init__(self, phrases: Iterable[tuple[str, str]]) -> None:
        self._by_text: dict[str, list[str]] = defaultdict(list)
        # each phrase heard by sound under its first two syllables (plain; fuzzy for three or more), with its place
        # among them: a text is read once, position by position, not once per phrase (thousands)
        self._by_syl2: dict[tuple[str, ...], list[tuple[int, _Entry]]] = defaultdict(list)
        self._by_fuzzy2: dict[tuple[str, ...], list[tuple[int, _Entry]]] = defaultdict(list)
        # "被*打了", "包~滴滴响": found by characters only, each gap within its clause or sentence
        self._gapped: list[tuple[str, str, re.Pattern[str]]] = []
        heard = 0
        for key, phrase in phrases:
            if is_gapped(phrase):
                self._gapped.append((key, phrase, _gapped_pattern(phrase)))
                continue
            if key in self._by_text[phrase]:
                continue
            self._by_text[phrase].append(key)
            if len(phrase) < 2:
                continue  # a single character by sound would match far too much
            syl = tuple(lazy_pinyin(phrase, style=Style.NORMAL))
            if len(syl) != len(phrase):
                continue  # mixed scripts: characters only
            entry = _Entry(key, phrase, syl, tuple(_fuzzy(s) for s in syl))
            heard += 1  # the profile's order among the phrases heard by sound
            self._by_syl2[syl[:2]].append((heard, entry))
            if len(phrase) >= 3:
                self._by_fuzzy2[entry.fuzzy[:2]].append((heard, entry))
        # each phrase under its first two characters (a single character under itself), with its place in the
        # profile's order
        self._by_head: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for order, phrase in enumerate(self._by_text):
            self._by_head[phrase[:2]].append((order, phrase))

    def _said(self, text: str) -> list[tuple[int, int, str]]:
        """Every phrase written in `text` as (its place in the profile's order, start, phrase), in that order."""
        found = []
        head = self._by_head
        n = len(text)
        for i in range(n):
            heads = (text[i], text[i : i + 2]) if i + 1 < n else (text[i],)
            for key in heads:
                for order, phrase in head.get(key, ()):
                    if text.startswith(phrase, i):
                        found.append((order, i, phrase))
        found.sort()
        return found

    @staticmethod
    def _candidates(
        index: dict[tuple[str, ...], list[tuple[int, _Entry]]], readings: list[frozenset[str]], i: int
    ) -> list[_Entry]:
        """The phrases whose first two syllables can be read at `i`, each once, in the order of the readings of `i`
        and of the profile."""
        found = []
        for ri, first in enumerate(readings[i]):
            for second in readings[i + 1]:
                found.extend((ri, order, e) for order, e in index.get((first, second), ()))
        if len(found) > 1:
            found.sort(key=lambda f: f[:2])
        entries: list[_Entry] = []
        seen: set[int] = set()
        for _, _, e in found:
            if id(e) not in seen:  # reached by two readings of a character
                seen.add(id(e))
                entries.append(e)
        return entries

    def find(self, text: str, by_sound: bool = True) -> list[Hit]:
        hits: list[Hit] = []
        covered: set[tuple[str, str, int]] = set()
        for _, start, phrase in self._said(text):
            for key in self._by_text[phrase]:
                hits.append(Hit(key, phrase, start, start + len(phrase), VIA_CHARS, phrase))
                covered.add((key, phrase, start))
        for key, phrase, rx in self._gapped:
            for m in rx.finditer(text):
                hits.append(Hit(key, phrase, m.start(), m.end(), VIA_CHARS, m.group(0)))
        if not by_sound:
            return hits
        common = common_words()
        readings = [char_readings(ch) for ch in text]
        fuzzy = [_fuzzy_readings(ch) for ch in text] if self._by_fuzzy2 else []
        n = len(text)
        for i in range(n - 1):
            for e in self._candidates(self._by_syl2, readings, i):
                m = len(e.syllables)
                if i + m > n or (e.key, e.phrase, i) in covered:
                    continue
                if all(e.syllables[k] in readings[i + k] for k in range(2, m)):
                    heard = text[i : i + m]
                    if _splits_word(text, i, i + m, common):
                        continue  # 市火 in 市火车站 is no 失火
                    if heard in common:
                        via = VIA_WEAK  # 大家 is rarely a misheard 打架: kept only as a last resort
                    elif any(a == b and a not in PARTICLES for a, b in zip(heard, e.phrase, strict=True)):
                        via = VIA_PINYIN  # a word of the phrase itself was heard, not just 了 or 着
                    else:
                        via = VIA_SOUND
                    hits.append(Hit(e.key, e.phrase, i, i + m, via, heard))
                    covered.add((e.key, e.phrase, i))
            if not fuzzy:
                continue
            for e in self._candidates(self._by_fuzzy2, fuzzy, i):
                m = len(e.fuzzy)
                if i + m > n or (e.key, e.phrase, i) in covered:
                    continue
                if (
                    all(e.fuzzy[k] in fuzzy[i + k] for k in range(2, m))
                    and text[i : i + m] not in common
                    and not _splits_word(text, i, i + m, common)
                ):
                    hits.append(Hit(e.key, e.phrase, i, i + m, VIA_FUZZY, text[i : i + m]))
                    covered.add((e.key, e.phrase, i))
        return hits

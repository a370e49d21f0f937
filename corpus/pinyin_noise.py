"""Recognizer-style errors made from pinyin: same-sound and near-sound characters, dropped characters.

A recognizer that mishears a caller writes a character of the same sound (打架 -> 打家, 抢劫 -> 强接)
or of a near sound (zh/z, ch/c, sh/s, l/n, an/ang, en/eng, in/ing -- the confusions of Southern and
Southwestern Mandarin, and of a narrow phone band), and on a bad line it drops characters. `Confuser`
rewrites a sentence that way. Tones are ignored (a recognizer that picks the wrong character rarely
keeps the tone). Replacement characters are drawn by frequency from a list of common characters, as a
recognizer's language model prefers common characters.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from pypinyin import Style, lazy_pinyin, pinyin

_HAN = re.compile(r"[\u4e00-\u9fff]")
_INITIAL_PAIRS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"))
_FINAL_PAIRS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


def near_sounds(syllable: str) -> set[str]:
    """Syllables one confusion away (zh/z ch/c sh/s l/n initials, an/ang en/eng in/ing finals)."""
    out = set()
    for a, b in _INITIAL_PAIRS:
        for x, y in ((a, b), (b, a)):
            if (
                syllable.startswith(x)
                and not (x == "z" and syllable[:2] == "zh")
                and not (x in ("c", "s") and syllable[:2] in ("ch", "sh"))
            ):
                out.add(y + syllable[len(x) :])
    for a, b in _FINAL_PAIRS:
        for x, y in ((a, b), (b, a)):
            if syllable.endswith(x) and not (x in ("an", "en", "in") and syllable.endswith(x + "g")):
                out.add(syllable[: -len(x)] + y)
    out.discard(syllable)
    return out


class Confuser:
    """Rewrites sentences as a recognizer mishears them. `char_counts`: common characters with a
    frequency, the only characters ever written in."""

    def __init__(self, char_counts: Counter[str]) -> None:
        self._by_sound: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for ch, n in char_counts.items():
            if not _HAN.fullmatch(ch):
                continue
            for syl in set(pinyin(ch, style=Style.NORMAL, heteronym=True)[0]):
                self._by_sound[syl].append((ch, n))

    def candidates(self, ch: str, syllable: str, near: bool) -> list[tuple[str, int]]:
        sounds = near_sounds(syllable) if near else {syllable}
        return [(c, n) for s in sounds for c, n in self._by_sound.get(s, []) if c != ch]

    def confuse(self, text: str, rng: random.Random, rate: float = 0.15, near_share: float = 0.3,
                drop_chance: float = 0.3) -> tuple[str, bool, bool]:  # fmt: skip
        """The sentence misheard: about `rate` of its Chinese characters replaced (at least one), a
        `near_share` of them by a near sound, and with `drop_chance` one character dropped.
        Returns (text, replaced anything, dropped one)."""
        chars = list(text)
        han = [i for i, c in enumerate(chars) if _HAN.fullmatch(c)]
        if not han:
            return text, False, False
        sounds = lazy_pinyin(text, style=Style.NORMAL, errors=lambda s: ["?"] * len(s))
        n = max(1, round(len(han) * rate * rng.uniform(0.5, 1.5)))
        replaced = False
        for i in rng.sample(han, min(n, len(han))):
            near = rng.random() < near_share
            cands = self.candidates(chars[i], sounds[i], near) or self.candidates(chars[i], sounds[i], not near)
            if cands:
                chars[i] = rng.choices([c for c, _ in cands], weights=[w for _, w in cands])[0]
                replaced = True
        dropped = False
        if len(han) > 4 and rng.random() < drop_chance:
            chars[rng.choice(han)] = ""
            dropped = True
        return "".join(chars), replaced, dropped


def char_counts(texts: Iterable[str]) -> Counter[str]:
    """How often each Chinese character occurs in these texts."""
    c: Counter[str] = Counter()
    for t in texts:
        c.update(_HAN.findall(t))
    return c

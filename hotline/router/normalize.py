"""Turn what the recognizer (or a CLI user) produced into text the matcher can rely on.

Traditional -> simplified (OpenCC), full-width -> half-width (NFKC), lower case, words of regional speech
read as their Mandarin (咗 -> 了, 而家 -> 现在, 阿拉 -> 我们: lexicon ``dialect_words``), spoken fillers
dropped, punctuation reduced to clause ("|") and sentence ("#") marks that the context rules use.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

CLAUSE = "|"
SENTENCE = "#"

# (an ellipsis is no mark here: NFKC has made it dots, see normalize_text)
# where a sentence ends (also where the router reads what follows a supposition's sentence apart)
SENTENCE_PUNCT = re.compile(r"[。！？!?；;\n\r]+")
_ELLIPSIS = re.compile(r"\.{2,}")
_CLAUSE_PUNCT = re.compile(r"[，,、:：/\\()（）\[\]【】「」『』《》<>\"'“”‘’~`—\-_=+*&^%$@]+")
# Anything that is not a CJK ideograph, a Latin letter, a digit or one of our marks is noise.
_NOISE = re.compile(r"[^\u4e00-\u9fff\u3400-\u4dbfa-z0-9|#]+")
_MARKS = re.compile(r"[|#]*#[|#]*|\|+")


@lru_cache(maxsize=1)
def _converters() -> tuple[opencc.OpenCC, opencc.OpenCC]:
    return opencc.OpenCC("t2s"), opencc.OpenCC("tw2s")


def to_simplified(text: str) -> str:
    """Traditional -> simplified. A recognizer that writes traditional characters writes Taiwan's 著 for 着
    (拿著棍子, 睡著了), which plain t2s keeps (著 is a simplified character of its own: 著名); Taiwan's rules
    tell the two apart, but turn the northwest's 么 (么事了, 么有钱) into 幺: only their 着 is taken."""
    t2s, tw2s = _converters()
    out = t2s.convert(text)
    if "著" in out:
        tw = tw2s.convert(text)
        if len(tw) == len(out):
            out = "".join("着" if a == "著" and b == "着" else a for a, b in zip(out, tw, strict=True))
    return out


@dataclass(frozen=True)
class Normalized:
    text: str  # simplified, marks "|" and "#" between clauses and sentences
    truncated: bool
    han_chars: int  # how many CJK ideographs: no Chinese at all means nothing to route
    # the same text with its fillers kept: 就是 and 那个 are words of their own in 我现在就是这个情况 and
    # 现在那个人又来了, which say a supposition is real (ContextReader.supposition_is_real). No default: an empty
    # one would silently read every supposition as only asked
    with_fillers: str


def _clean_controls(text: str) -> str:
    return "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\r\t" else " " for ch in text)


def normalize_text(
    text: str, fillers: tuple[str, ...] = (), max_chars: int = 4000, dialect: tuple[str, ...] = ()
) -> Normalized:
    """Normalize caller text for matching. Never raises on odd input (binary, emoji, huge). `dialect` holds
    ``word=mandarin`` pairs (lexicon ``dialect_words``)."""
    truncated = len(text) > max_chars
    text = text[:max_chars]
    text = unicodedata.normalize("NFKC", _clean_controls(text))
    text = in_mandarin(to_simplified(text).lower(), dialect)
    text = SENTENCE_PUNCT.sub(SENTENCE, text)
    text = _CLAUSE_PUNCT.sub(CLAUSE, text)
    text = re.sub(r"\s+", "", text)
    # An ellipsis (dots after NFKC) is most often a hesitation inside what is said (工厂…爆…了, 被…关在…后备箱) and
    # is dropped. In the text with its fillers kept, read for a supposition then said to be real, it is the pause
    # where the caller turns from asking to telling (要是孩子被锁在车里打什么电话……我现在就是这个情况).
    kept = _marks_collapsed(_NOISE.sub("", _ELLIPSIS.sub(CLAUSE, text)))
    text = _marks_collapsed(without_words(_NOISE.sub("", text), fillers))
    return Normalized(text=text, truncated=truncated, han_chars=han_chars(text), with_fillers=kept)


def in_mandarin(text: str, dialect: tuple[str, ...]) -> str:
    """`text` with each regional word read as its Mandarin, the longest first, in one pass (a replacement is
    never read again). Every list of the profile is written in Mandarin: 揸车撞咗人 reads 开车撞了人 (撞了人 is
    matched), 佢而家仲喺门口 reads 他现在还在门口; the learned layer reads Cantonese and Mandarin callers alike."""
    if not dialect:
        return text
    pattern, mandarin = _dialect_map(dialect)
    return pattern.sub(lambda m: mandarin[m.group(0)], text)


@lru_cache(maxsize=8)
def _dialect_map(dialect: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    mandarin = dict(pair.split("=", 1) for pair in dialect)
    return re.compile("|".join(map(re.escape, sorted(mandarin, key=len, reverse=True)))), mandarin


def _marks_collapsed(text: str) -> str:
    """Runs of marks made one (a sentence mark wins over a clause mark), none at either end."""
    return _MARKS.sub(lambda m: SENTENCE if SENTENCE in m.group(0) else CLAUSE, text).strip("|#")


def without_words(text: str, words: tuple[str, ...]) -> str:
    """`text` with every one of `words` taken out, the longest first (那个什么 before 那个)."""
    for word in sorted(words, key=len, reverse=True):
        if word in text:
            text = text.replace(word, "")
    return text


def simplified(text: str) -> str:
    """The text in simplified characters, nothing else changed, its punctuation kept for a reviewer (break-off
    words are found in it before the fillers, among them 哎 and 呀, are dropped)."""
    return to_simplified(_clean_controls(text))


def han_chars(text: str) -> int:
    """How many CJK ideographs `text` holds."""
    return sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")

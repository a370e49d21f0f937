"""route_call: given what the caller said and which platform received the call, decide the action.

`Router.route` runs named steps, each a method below, in this order:

  1. normalize   traditional -> simplified, regional words read as Mandarin (咗 -> 了), fillers dropped, clause
                 and sentence marks
  2. match       the profile's phrases by characters and by sound (pinyin)
  3. context     each phrase: negated? hypothetical? past, over, or happening now? (`context.py`)
  4. emergency   danger to life, property or public safety -> 110 / 119 / 120 now; a long story's last
                 clauses read as a spoken request of their own (`told_last`); what follows a break-off word
                 (`broke_off`; also after a matter already reported, an opening that plays the matter down, and the
                 last trailing off), a supposition said to be real without its supposition words (`made_real`), and
                 the sentences told after a supposition's (`told_after_supposing`), read again as a call of their
                 own
  5. destination the best-scoring owner (110, 12345, a guided number); overlap; too weak to act on
  6. action      accept / transfer / conference / guide / agent / clarify at this platform
  7. model       the learned layer's verdict combined with the rules' (`combine.py`: the one place)

Rules, in the order they win (each decision names the one that fired): emergency-first,
explicit-agent, no-match, overlap, low-confidence, category / other-number / out-of-scope /
hypothetical; then model-emergency and model-owner when the learned layer speaks (see combine.py).
Negated (不是要报警, 没有人受伤), hypothetical (如果…怎么办) and finished (火已经灭了) matters never make an
emergency.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from hotline.profile import PLATFORMS, Category, Cue, Profile, literal_parts, load_profile
from hotline.router.context import ContextReader, HitContext
from hotline.router.normalize import (
    CLAUSE,
    SENTENCE,
    SENTENCE_PUNCT,
    Normalized,
    han_chars,
    normalize_text,
    simplified,
    without_words,
)
from hotline.router.phrase_index import (
    QUALITY,
    VIA_CHARS,
    VIA_PINYIN,
    VIA_WEAK,
    Hit,
    PhraseIndex,
    intensified,
    syllables,
)

if TYPE_CHECKING:
    from hotline.understanding.model import UnderstandingModel

log = logging.getLogger("hotline.router")

ACTIONS = ("accept", "transfer", "conference", "guide", "clarify", "agent")
# When an emergency matches several services, the police come first: they can bring the others.
EMERGENCY_PRIORITY = {"110": 0, "119": 1, "120": 2, "122": 3, "12395": 4}
_CUE_PREFIX = "cue:"
# the same phrase heard more often than this adds nothing (its score counts once; 没打架…又打架了 is two)
MAX_HITS_PER_PHRASE = 4
# how far after a cue's phrase its everyday_after words are read: 拿着铁锹在院子里铲雪 is work, not a threat
EVERYDAY_AFTER_CHARS = 8
# a call broken off more often than this is read after its last few break-off words only
MAX_BREAK_OFFS = 4
# after a matter already reported, a word of now this many characters into a clause opens it (，可那个讨债的今天…)
NOW_WORD_WITHIN = 8
# but not 到现在, 至今天: until now, said of what has long been so (到现在还没回复)
_UNTIL = "到至"
# a word playing the matter down (lexicon ``played_down``) opens the call when it starts within this many characters,
# and what follows is read apart when it holds at least this many Chinese characters: the model reads a few words
# alone at random (没什么事，手机揣兜里碰着了 read as a fire)
PLAYED_DOWN_WITHIN = 6
PLAYED_DOWN_MIN_CHARS = 12
# what follows the last place the caller trails off (……, ——) is read apart when it holds at least this many Chinese
# characters: a whole second matter (我想举报……我们坐的那条海钓船进水了，船老大让大家穿救生衣), not the next fragment of
# broken speech (前天…我的…摩托车…丢了), nor a few words that only end the first (……就是，跟一个人说话，不要机器)
TRAILED_OFF_MIN_CHARS = 16
_TRAILING_MARKS = ("…", "——")
_SPACES = re.compile(r"\s+")
# a spoken request's raw transcript, fillers and all, is at most this many times its normalized length bound: a
# longer one (a hostile text of thousands of 嗯) is not searched by sound
SOUND_MAX_CHARS_PER_SPOKEN = 4
# how far into its clause a word of the past may precede a report verb (上周在网上投诉; 昨天给派出所打了电话)
REPORTED_VERB_WITHIN = 6
_TAIL_LEAD = "，。,.…、！!？?；;：: \t\n—-"
# after a word of lexicon ``break_off_before_pause``: a particle perhaps, then a pause (a mark, or the space with
# which the recognizer separates what was said between pauses)
_PAUSES = "，。,.…、！!？?；;：: \t\n—~"
_BEFORE_PAUSE = f"(?=[{_PAUSES}])"
_AFTER_PAUSE = f"(?<=[{_PAUSES}])"
_PAUSE = f"(?:[啊呀哈呢嘛])?{_BEFORE_PAUSE}"
_AFTER_TRAILING = "(?<=[…—])"  # the caller trails off (……) or breaks off (——)
_AFTER_SENTENCE = "(?<=[。！？!?…—])"  # a sentence ends, or the caller trails off or breaks off


@dataclass(frozen=True)
class Evidence:
    phrase: str
    heard: str
    category: str
    via: str  # chars | pinyin | sound | fuzzy | weak
    negated: bool = False
    hypothetical: bool = False
    tense: str = "unknown"  # urgent | past | over | unknown
    emergency: bool = False


@dataclass
class Decision:
    target: str
    action: str
    emergency: bool
    category: str | None
    category_name: str | None
    matched: list[str]
    profile: str
    confidence: float
    receiving: str
    rule: str
    explanation: str
    guide_number: str | None = None
    guide_to: str | None = None
    attempt: int = 1
    work_order: str | None = None  # "push": a work order also goes to the target's system
    normalized: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    # A danger hint: the rules heard a danger word only weakly, or the model's emergency probability
    # passed the lower hint threshold (or the call is an emergency). The conversation acts on it
    # instead of asking again: hint_action / hint_target say what the router proposes (on 12345: a
    # three-way call with 110).
    danger_hint: bool = False
    hint_action: str | None = None
    hint_target: str | None = None
    # The learned layer's verdict (version, probabilities, what it changed); None = rules only
    model: dict[str, Any] | None = None
    # Where the emergency was heard when the caller told something else first: a long story's last clauses
    # (Router.told_last) or what followed a break-off word (Router.broke_off); None otherwise
    told_last: str | None = None

    @property
    def understood(self) -> bool:
        """Something matched well enough to act on; else the caller is asked again (or the menu)."""
        return self.action != "clarify" and self.rule not in ("no-match", "low-confidence")

    @property
    def acts_on_hint(self) -> bool:
        """Not understood, yet a hint of danger: the conversation takes the hint's action at once
        (from 12345 a three-way call with 110, at 110 a call-taker) instead of asking again."""
        return not self.understood and self.danger_hint and bool(self.hint_action)

    @property
    def reaches_110_at_once(self) -> bool:
        """A person with 110 on the line at the first answer: an emergency, a rules' emergency held in
        doubt (a three-way call with 110), or a danger hint acted on."""
        return self.emergency or self.rule == "rules-doubted" or self.acts_on_hint

    @property
    def hands_away(self) -> bool:
        """The caller leaves without a person of this call who could hear a danger: told a number to dial,
        or blind-transferred to neither an emergency service nor 110 (from 110 to 12345, to a utility)."""
        return self.action == "guide" or (self.action == "transfer" and self.target not in EMERGENCY_PRIORITY)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["evidence"] = [asdict(e) for e in self.evidence]
        return d

    def event_detail(self) -> dict[str, Any]:
        """What the call log's `decision` event says of it (the full decision is the call's `route`)."""
        return {
            "action": self.action,
            "target": self.target,
            "rule": self.rule,
            "category": self.category,
            "emergency": self.emergency,
            "matched": self.matched[:10],
        }


@dataclass
class Findings:
    """What the rules found in one utterance (steps 1-3): what decides, and what the model reads."""

    norm: Normalized
    narrative: bool
    evidence: list[Evidence]
    scores: dict[str, float]  # category id -> weight of its phrases said (not negated)
    emergency_keys: list[str]  # categories and cues that make it an emergency
    matched: list[str]

    @property
    def text(self) -> str:
        return self.norm.text


class Router:
    """A profile compiled for matching, with the learned layer when one is loaded. Thread-safe."""

    def __init__(self, profile: Profile, model: UnderstandingModel | None = None) -> None:
        self.profile = profile
        self.model = model
        self._cats: dict[str, Category] = {c.id: c for c in profile.categories}
        self._cues: dict[str, Cue] = {_CUE_PREFIX + c.id: c for c in profile.cues}
        stressed = profile.lexicon.intensifiers

        def said(phrases: tuple[str, ...]) -> list[str]:
            return [v for p in phrases for v in (p, *intensified(p, stressed))]

        pairs = [(c.id, p) for c in profile.categories for p in (*said(c.phrases), *c.context)]
        self._context_words = {(c.id, p) for c in profile.categories for p in c.context}
        pairs += [(_CUE_PREFIX + c.id, p) for c in profile.cues for p in said(c.phrases)]
        self._index = PhraseIndex(pairs)
        self._exclude: dict[str, tuple[str, ...]] = {c.id: c.exclude for c in profile.categories}
        self._exclude.update({k: c.exclude for k, c in self._cues.items()})
        self._everyday_after = {k: c.everyday_after for k, c in self._cues.items() if c.everyday_after}
        # the aspect words that say an item's phrase is going on (在流血, 正撬): all of them (lexicon ``progressive``)
        # before a cue or an item that is an emergency unless over; only ``progressive_strong`` before a matter
        # urgent only when said so (正撬, but 里面还有人在赌博 is no emergency); none before a place (在学校)
        lx = profile.lexicon
        going_on = {"always": lx.progressive, "unless_past": lx.progressive, "if_urgent": lx.progressive_strong}
        self._going_on = {c.id: going_on.get(c.emergency, ()) for c in profile.categories}
        self._going_on.update(dict.fromkeys(self._cues, lx.progressive))
        self._context = ContextReader(profile.lexicon, profile.settings.negation_window)
        # the exceptions first: where one is found (对不对), the break-off word inside it (不对) is not
        words = [alt for alt in (_alternatives(lx.break_off_exceptions), _alternatives(lx.break_off)) if alt]
        if lx.break_off_before_pause:
            words.append(f"(?:{_alternatives(lx.break_off_before_pause)}){_PAUSE}")
        if lx.break_off_exclamations:
            exclamation = _alternatives(lx.break_off_exclamations)
            words.append(f"{_AFTER_PAUSE}(?:{exclamation})+{_BEFORE_PAUSE}")
            # said twice or more, it needs no pause after it (……哎哎哎他回屋拿了把刀出来了)
            words.append(f"{_AFTER_PAUSE}(?:{exclamation}){{2,}}")
        if lx.break_off_after_trailing:
            words.append(f"{_AFTER_TRAILING}(?:{_alternatives(lx.break_off_after_trailing)})")
        if lx.break_off_after_sentence:
            words.append(f"{_AFTER_SENTENCE}(?:{_alternatives(lx.break_off_after_sentence)})")
        self._break_off = re.compile("|".join(words)) if words and profile.settings.break_off_min_chars else None
        self._reported = None
        if lx.already_reported and lx.break_off_after_reported and self._break_off is not None:
            # the word of now opens the clause, or is said a few words into it (，可那个讨债的今天又来了)
            reported = [_alternatives(lx.already_reported)]
            if lx.report_verbs and lx.past:
                said_before = f"(?:{_alternatives(lx.past)})[^{_PAUSES}]{{0,{REPORTED_VERB_WITHIN}}}?"
                reported.append(f"{said_before}(?:{_alternatives(lx.report_verbs)})")
            self._reported = (
                re.compile("|".join(reported)),
                re.compile(
                    f"{_AFTER_PAUSE}(?P<lead>[^{_PAUSES}]{{0,{NOW_WORD_WITHIN}}}?)"
                    f"(?<![{_UNTIL}])(?:{_alternatives(lx.break_off_after_reported)})"
                ),
            )
        self._played_down = None
        if lx.played_down and self._break_off is not None:
            self._played_down = re.compile(f"(?:{_alternatives(lx.played_down)})[^{_PAUSES}]*[{_PAUSES}]+")
        self._break_off_sounds = [tuple(syllables(w)) for w in lx.break_off_by_sound]
        self._reported_sounds = [tuple(syllables(w)) for w in lx.already_reported_by_sound]
        self._break_off_exceptions = frozenset(lx.break_off_exceptions)

    def category(self, cid: str) -> Category | None:
        return self._cats.get(cid)

    @property
    def category_ids(self) -> set[str]:
        return set(self._cats)

    # ------------------------------------------------------------------------- the decision
    def route(self, text: str, platform: str = "12345", attempt: int = 1, use_model: bool = True) -> Decision:
        """Decide what happens to a call. use_model=False: the rules alone (for comparison)."""
        if platform not in PLATFORMS:
            raise ValueError(f"platform must be one of {', '.join(PLATFORMS)}, not {platform!r}")
        whole = self.read_as_one(text, platform, attempt, use_model)
        if whole.emergency:
            return whole
        return (
            self.broke_off(text, whole, use_model)
            or self.made_real(text, whole, use_model)
            or self.told_after_supposing(text, whole, use_model)
            or whole
        )

    def read_as_one(self, text: str, platform: str, attempt: int, use_model: bool = True) -> Decision:
        """The call read as one request: the rules, then combined with the model."""
        found = self.find(text)
        decision = self.decide(found, platform, attempt)
        # the model reads the whole story as the rules read it (as it was trained); the rules' emergency in
        # its last clauses then enters the combination like any other rules' emergency
        told = self.told_last(found, platform, attempt)
        from hotline.router.combine import combine, rules_hint

        if use_model and self.model is not None:
            try:
                prediction = self.model.predict(found, decision, self)
            except Exception:  # the model must never cost a caller the decision: the rules stand
                log.exception("understanding model failed on this utterance; the rules decide alone")
            else:
                return combine(self, told or decision, found, prediction)
        return rules_hint(told or decision, found, self)

    def broke_off(self, text: str, whole: Decision, use_model: bool = True) -> Decision | None:
        """A caller who breaks off one matter to tell another (物业收了钱不干活…卧槽，前面有人拿着刀在追一个女的)
        tells the second as a request of its own; read as one call, the complaint's words outweigh it. What
        follows each of the profile's break-off words (lexicon ``break_off``), when it holds at least
        ``break_off_min_chars`` Chinese characters, is read as a call of its own, rules and model; its emergency is
        the decision when the call read as one has none. Else None. So is what follows a word of now after a matter
        already reported (上次投诉过…，可那个讨债的今天又来了), the pause after an opening that plays the matter down
        (也没什么大事，就是…) and the last place the caller trails off (我想举报……我们坐的那条海钓船进水了)."""
        if self._break_off is None:
            return None
        plain = simplified(text[: self.profile.settings.max_chars])
        points = break_off_points(plain, self._break_off, MAX_BREAK_OFFS, self._break_off_exceptions)
        more: list[tuple[str, int]] = []
        since_reported: set[int] = set()
        # by sound in a spoken request only: a recognizer's transcript, a few seconds of speech
        spoken = self.profile.settings.spoken_max_chars
        said = len(whole.normalized) <= spoken and len(plain) <= SOUND_MAX_CHARS_PER_SPOKEN * spoken
        sounds = syllables(plain) if said and (self._reported_sounds or self._break_off_sounds) else None
        if self._reported is not None:
            heard = sound_points(plain, self._reported_sounds, sounds) if sounds is not None else []
            more += reported_break_off_points(
                plain, *self._reported, MAX_BREAK_OFFS, min((e for _, e in heard), default=None)
            )
            # the word of now counts toward what is told where the tail is read without it
            since_reported = {start for word, start in more if not plain.startswith(word, start)}
        if self._played_down is not None:
            more += played_down_points(plain, self._played_down)
        if self._break_off_sounds and sounds is not None:
            more += sound_points(plain, self._break_off_sounds, sounds)
        # the last place the caller trails off (……), when a whole matter follows it with no further trailing off
        # and no other break-off word (……诶诶，对面楼着火了 is read after 诶诶)
        trailed = trailed_off_point(plain)
        if trailed and all(start < trailed[0][1] for _, start in [*more, *points]):
            more += trailed
        if more:
            by_start = {start: (word, start) for word, start in [*more, *points]}  # one reading per place
            points = sorted(by_start.values(), key=lambda p: p[1])[-MAX_BREAK_OFFS:]
        for word, start in points:
            tail = plain[start:].lstrip(_TAIL_LEAD)
            # after a matter already reported, the word of now (今天, 现在) is said of what has happened since: it
            # counts toward what is told (今天那个仓库冒烟了), though the tail is read without it - by the rules alone
            # when the tail is shorter than a break-off's (the model reads so few characters at random)
            least = self.profile.settings.break_off_min_chars
            told = han_chars(tail) + (han_chars(word) if start in since_reported else 0)
            if told < least:
                continue
            note = f"told after 「{word}」, breaking off another matter; read as one call: {whole.rule}"
            if d := self.read_apart(tail, whole, note, use_model and han_chars(tail) >= least):
                d.told_last = tail
                return d
        return None

    def made_real(self, text: str, whole: Decision, use_model: bool = True) -> Decision | None:
        """A caller who asks about a supposition and then says it is happening (如果有人在门口放了个包一直滴滴响，
        要不要紧……它现在就放在我家门口): the supposition words (lexicon ``hypothetical``) make the rules and the
        model read a question, though the caller told what is going on. When a word of ``supposition_real`` follows
        the supposition in a later clause, the call is read again without the supposition words; its emergency is
        the decision when the call read as one has none. Else None."""
        lx = self.profile.lexicon
        if not any(m in whole.normalized for m in lx.hypothetical):
            return None  # nothing supposed (most calls): no second normalization
        said = text[: self.profile.settings.max_chars]
        # a recognizer's transcript marks its pauses with spaces only (如果有人说要跳海 他现在就站在堤上)
        if not self._context.supposition_is_real(self.normalize(_SPACES.sub("，", said)).with_fillers):
            return None
        plain = without_words(simplified(said), lx.hypothetical)
        return self.read_apart(plain, whole, f"a supposition said to be real; read as asked: {whole.rule}", use_model)

    def told_after_supposing(self, text: str, whole: Decision, use_model: bool = True) -> Decision | None:
        """A caller who asks about a supposition, then, in sentences of their own, tells their own case
        (如果老人出门找不到了，多长时间才能报失踪？我妈出门一个多小时了，没带手机，她有点糊涂): read as one call, the
        supposition makes the whole a question. What follows the end of the sentence that holds the last
        supposition word, when it holds at least ``break_off_min_chars`` Chinese characters, is read as a call of
        its own, rules and model; its emergency is the decision when the call read as one has none. Else None."""
        lx = self.profile.lexicon
        least = self.profile.settings.break_off_min_chars
        if not least or not any(m in whole.normalized for m in lx.hypothetical):
            return None
        plain = simplified(text[: self.profile.settings.max_chars])
        last = self._context.last_supposition(plain)
        end = SENTENCE_PUNCT.search(plain, last) if last >= 0 else None
        if end is None:
            return None
        tail = plain[end.end() :].lstrip(_TAIL_LEAD)
        if han_chars(tail) < least:
            return None
        note = f"told after a supposition's sentence; read as one call: {whole.rule}"
        if d := self.read_apart(tail, whole, note, use_model):
            d.told_last = tail
            return d
        return None

    def read_apart(self, part: str, whole: Decision, note: str, use_model: bool = True) -> Decision | None:
        """`part` of the call read as a call of its own, rules and model: its decision when it is an emergency
        (keeping the whole call's phrases and normalized text for the reviewer), else None."""
        d = self.read_as_one(part, whole.receiving, whole.attempt, use_model)
        if not d.emergency:
            return None
        d.matched = list(dict.fromkeys([*d.matched, *whole.matched]))
        d.normalized = whole.normalized
        d.explanation += f" ({note})"
        return d

    def find(self, text: str) -> Findings:
        """Steps 1-3: normalize, match, read each phrase's context."""
        norm = self.normalize(text)
        # A narrative (a written message, a long monologue) is not repaired by sound, and its
        # events need urgency said where they are told before they count as an emergency.
        narrative = len(norm.text) > self.profile.settings.spoken_max_chars
        hits = self.match(norm, narrative)
        return self.read_context(norm, hits, narrative)

    def decide(self, found: Findings, platform: str, attempt: int) -> Decision:
        """Steps 4-6 by the rules: emergency first, then the destination, then the action there."""
        base = dict(profile=self.profile.id, receiving=platform, attempt=attempt, normalized=found.text)
        if found.emergency_keys:
            return self.emergency(found, platform, base)
        if not found.scores:
            return self.no_match(found, platform, attempt, base)
        return self.destination_and_action(found, platform, attempt, base)

    # ---------------------------------------------------------------------- 1. normalize
    def normalize(self, text: str) -> Normalized:
        lx = self.profile.lexicon
        return normalize_text(text, lx.fillers, self.profile.settings.max_chars, lx.dialect_words)

    def says_nothing(self, norm: Normalized) -> bool:
        """Only fillers and words that tell no matter on their own (lexicon ``empty_words``): a false start
        (我 那个 我刚 你) or a greeting, in which no model may read a danger or an owner."""
        return han_chars(without_words(norm.text, self.profile.lexicon.empty_words)) == 0

    # -------------------------------------------------------------------------- 2. match
    def hits_in(self, text: str) -> list[Hit]:
        """Every phrase found in normalized `text`, by characters and by sound, before exclusion and context."""
        return self._index.find(text, by_sound=True)

    def match(self, norm: Normalized, narrative: bool) -> list[Hit]:
        t = norm.text
        hits = _first_few(_longest_only(self._index.find(t, by_sound=not narrative))) if norm.han_chars else []
        # a place word heard by sound only (老是 -> 老师) is too weak to keep
        hits = [
            h
            for h in hits
            if not self._excluded(t, h) and not (h.via != VIA_CHARS and (h.key, h.phrase) in self._context_words)
        ]
        # A common word heard where a phrase was expected (大人 for 打人) counts only when nothing else
        # in the utterance matched, and never as an emergency cue on its own.
        if any(h.via != VIA_WEAK and not h.key.startswith(_CUE_PREFIX) for h in hits):
            return [h for h in hits if h.via != VIA_WEAK]
        return [h for h in hits if not (h.via == VIA_WEAK and h.key.startswith(_CUE_PREFIX))]

    def _excluded(self, text: str, h: Hit) -> bool:
        for word in self._exclude.get(h.key, ()):
            i = text.find(word, max(0, h.start - len(word)))
            while i != -1 and i <= h.start:
                if i + len(word) >= h.end:
                    return True
                i = text.find(word, i + 1)
        if everyday := self._everyday_after.get(h.key):
            # the next few characters of its sentence (a recognizer's pause may split the clause: 拿着铁锹 | 铲雪)
            end = text.find(SENTENCE, h.end)
            after = text[h.end : end if end != -1 else len(text)][:EVERYDAY_AFTER_CHARS]
            return any(w in after for w in everyday)
        return False

    # ------------------------------------------------------------------------ 3. context
    def supposes(self, norm: Normalized) -> bool:
        """The caller supposes (如果, 万一, 假如 … anywhere in what was said) and does not then say it is
        happening (……就现在): asks, does not report."""
        lx = self.profile.lexicon
        return any(m in norm.text for m in lx.hypothetical) and not self._context.supposition_is_real(norm.with_fillers)

    def read_context(self, norm: Normalized, hits: list[Hit], narrative: bool) -> Findings:
        t = norm.text
        lx = self.profile.lexicon
        urgent_anywhere = not narrative and any(m in t for m in lx.urgent)
        consult = any(m in t for m in lx.consult)
        real = self._context.supposition_is_real(norm.with_fillers)  # a supposition then said to be happening
        contexts = [
            self._context.read(t, h.start, h.end, urgent_anywhere, narrative, real, self._going_on[h.key]) for h in hits
        ]
        # "没有人受伤": the caller rules out injury, so a scrape or a past scuffle is no emergency
        # unless something else (a weapon, urgency of a matter that is always urgent) says so
        no_injury = any(h.key.startswith(_CUE_PREFIX) and c.negated for h, c in zip(hits, contexts, strict=True))
        evidence: list[Evidence] = []
        scores: dict[str, float] = {}
        counted: set[tuple[str, str]] = set()
        emergency_keys: list[str] = []
        cue_waiting: list[tuple[str, Evidence]] = []
        for h, c in zip(hits, contexts, strict=True):
            is_cue = h.key.startswith(_CUE_PREFIX)
            # a danger word heard only by its sound (强接 for 抢劫, 炸了 in 跳闸了) is a hint, not an
            # emergency by itself: the learned layer, trained on the recognizer's own errors, decides it
            emerg = h.via in (VIA_CHARS, VIA_PINYIN) and self._is_emergency(h.key, c, narrative, consult, no_injury)
            ev = Evidence(h.phrase, h.heard, h.key, h.via, c.negated, c.hypothetical, c.tense, emerg)
            evidence.append(ev)
            if is_cue:
                if emerg:
                    if self._cues[h.key].alone:
                        emergency_keys.append(h.key)
                    else:
                        cue_waiting.append((h.key, ev))
                continue
            if c.negated or (h.key, h.phrase) in counted:
                continue
            counted.add((h.key, h.phrase))
            cat = self._cats[h.key]
            score = QUALITY[h.via] * cat.weight * _length_factor(h.phrase)
            if (h.key, h.phrase) in self._context_words:
                score *= 0.5
            if cat.emergency == "always" and not emerg:
                score *= 0.5  # 火灾隐患, a past flood: the matter is rarely that service's own
            scores[h.key] = scores.get(h.key, 0.0) + score
            if emerg:
                emergency_keys.append(h.key)

        # a cue such as 受伤 needs an incident (a 110/119/120 matter) or urgency to count
        incident = any(self._cats[k].owner == "110" or self._cats[k].target in EMERGENCY_PRIORITY for k in scores)
        for key, ev in cue_waiting:
            if incident or ev.tense == "urgent":
                emergency_keys.append(key)
        matched = list(dict.fromkeys(e.phrase for e in evidence if not e.negated))
        return Findings(norm, narrative, evidence, scores, emergency_keys, matched)

    def _is_emergency(self, key: str, c: HitContext, narrative: bool, consult: bool, no_injury: bool) -> bool:
        """Does this phrase, in its context, make the call an emergency?"""
        if c.negated or c.hypothetical or c.habitual or c.tense == "over" or (narrative and c.tense != "urgent"):
            return False
        # a question (about a matter, a procedure, what to do) with no strong urgency asks, it does not report
        calm_question = (consult and c.tense != "urgent") or c.question
        if key.startswith(_CUE_PREFIX):
            return c.tense != "past" and not calm_question
        rule = self._cats[key].emergency
        return (
            (rule == "always" and not c.long_ago)
            or (rule == "unless_past" and c.tense != "past" and not calm_question and not no_injury)
            or (rule == "if_urgent" and c.tense == "urgent" and not c.question)
        )

    # ------------------------------------------------------------------------ 4. emergency
    def emergency(self, found: Findings, platform: str, base: dict[str, Any]) -> Decision:
        scores, keys = found.scores, found.emergency_keys
        cat_keys = [k for k in keys if not k.startswith(_CUE_PREFIX)]
        if cat_keys:
            # the strongest emergency item; ties -> the police first
            def order(k: str) -> tuple[float, int]:
                return (-scores.get(k, 0.0), EMERGENCY_PRIORITY.get(self._cats[k].target, 9))

            cat = self._cats[min(cat_keys, key=order)]
            target = platform if cat.target == "receiving" else cat.target
            # a 12345 item made urgent by a cue (a dispute with a knife) is a police matter now
            if target not in EMERGENCY_PRIORITY:
                target = "110"
            category, name = cat.id, cat.name
        else:
            cue = self._cues[keys[0]]
            target = cue.target
            # a 110 item also said (even of the past) names the matter better than the cue
            police = sorted((c for c in scores if self._cats[c].owner == "110"), key=scores.get, reverse=True)
            category = police[0] if police else cue.id
            name = self._cats[category].name if police else cue.name
        triggers = [e.phrase for e in found.evidence if e.emergency]
        unsure = all(e.via == VIA_WEAK for e in found.evidence if e.emergency)
        best = max(scores.values(), default=1.0)
        return Decision(
            target=target,
            action=self.emergency_action(target, platform, unsure),
            emergency=True,
            category=category,
            category_name=name,
            matched=found.matched,
            confidence=max(0.7, _confidence(best, 0.0)),
            rule="emergency-first",
            explanation=f"emergency ({'、'.join(dict.fromkeys(triggers))}): {name} -> {target} at once",
            guide_number=None,
            evidence=found.evidence,
            **base,
        )

    def told_last(self, found: Findings, platform: str, attempt: int) -> Decision | None:
        """A caller who breaks off a long story to say what is happening (…房产证办了三年…哎你等一下，我楼下
        那家在往外冒黑烟，有人在喊) tells it as a spoken request. A narrative's last clauses (the profile's
        ``narrative_tail_chars``) are read as one: their own urgency, question and tense. Their emergency, when
        the story read whole has none; else None."""
        chars = self.profile.settings.narrative_tail_chars
        if not found.narrative or found.emergency_keys or not chars:
            return None
        start = narrative_tail(found.text, chars)
        text = found.text[start:]
        # the tail is cut from the text without fillers: it is read without them throughout
        norm = Normalized(text=text, truncated=False, han_chars=han_chars(text), with_fillers=text)
        if not norm.han_chars:
            return None
        tail = self.read_context(norm, self.match(norm, narrative=False), narrative=False)
        if not tail.emergency_keys:
            return None
        base = dict(profile=self.profile.id, receiving=platform, attempt=attempt, normalized=found.text)
        d = self.emergency(tail, platform, base)
        d.matched = list(dict.fromkeys([*tail.matched, *found.matched]))
        d.explanation += f" (told last, after a story of {len(found.text)} characters)"
        d.told_last = text.replace("|", "，")  # the normalized clauses, as a reviewer reads them
        return d

    def emergency_action(self, target: str, platform: str, unsure: bool = False) -> str:
        """How an emergency for `target` leaves `platform` (unsure: heard only weakly or by the model)."""
        if target == platform:
            return "accept"
        if unsure:
            return "conference"  # heard only as a common word (大人 for 打人): people decide, together
        if platform == "110":
            return "conference"  # the police stay on the line while 119/120 join
        if target in PLATFORMS:
            return self.profile.settings.emergency_handover
        number = self.profile.numbers.get(target)
        if number and number.handover in ("transfer", "conference"):
            return number.handover
        return self.profile.settings.emergency_handover

    # ------------------------------------------------------------------- 5. destination
    def no_match(self, found: Findings, platform: str, attempt: int, base: dict[str, Any]) -> Decision:
        why = "no Chinese speech" if not found.norm.han_chars else "no linkage item matched"
        action = "clarify" if attempt <= 1 else "agent"
        return Decision(
            target=platform,
            action=action,
            emergency=False,
            category=None,
            category_name=None,
            matched=found.matched,
            confidence=0.0,
            rule="no-match",
            explanation=f"{why}; "
            + ("ask the caller again" if action == "clarify" else "second miss: hand to an agent"),
            evidence=found.evidence,
            **base,
        )

    def destination_and_action(self, found: Findings, platform: str, attempt: int, base: dict[str, Any]) -> Decision:
        # Destinations compete by the sum of their items (a long complaint about wages, social
        # insurance and a labour contract is one 12345 matter); the best item names the category.
        scores = found.scores
        by_target: dict[str, float] = {}
        for cid, sc in scores.items():
            key = self._group(cid, platform)
            by_target[key] = by_target.get(key, 0.0) + sc
        ranked = sorted(by_target.items(), key=lambda kv: kv[1], reverse=True)
        best_group, best = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        cat = self._cats[max((c for c in scores if self._group(c, platform) == best_group), key=lambda c: scores[c])]
        confidence = _confidence(best, second)
        common = dict(category=cat.id, category_name=cat.name, matched=found.matched, evidence=found.evidence, **base)

        if cat.owner == "agent":
            return Decision(
                target=platform,
                action="agent",
                emergency=False,
                confidence=confidence,
                rule="explicit-agent",
                explanation="the caller asked for an agent",
                **common,
            )

        # overlap: both platforms' items score close -> three-way call to settle it (协商)
        police, gov = by_target.get("110", 0.0), by_target.get("12345", 0.0)
        hi, lo = max(police, gov), min(police, gov)
        if best_group in PLATFORMS and lo > 0 and lo >= self.profile.settings.overlap_ratio * hi:
            other = "110" if platform == "12345" else "12345"
            top = [c for c in sorted(scores, key=scores.get, reverse=True) if self._cats[c].owner in PLATFORMS]
            names = "、".join(self._cats[c].name for c in top[:2])
            return Decision(
                target=other,
                action="conference",
                emergency=False,
                confidence=round(0.5 * lo / hi, 3),
                rule="overlap",
                explanation=f"responsibility unclear between 110 and 12345 ({names}): three-way call",
                **common,
            )

        # a common word heard where a phrase was expected (不对 for 部队) is all that matched: too weak to send
        # a caller anywhere on its own; the caller is asked again (or the model decides)
        only_weak = all(e.via == VIA_WEAK for e in found.evidence if e.category == cat.id and not e.negated)
        if confidence < self.profile.settings.min_confidence or only_weak:
            action = "clarify" if attempt <= 1 else "agent"
            return Decision(
                target=platform,
                action=action,
                emergency=False,
                confidence=confidence,
                rule="low-confidence",
                explanation=f"weak match for {cat.name}; "
                + ("ask again" if action == "clarify" else "hand to an agent"),
                **common,
            )
        hypothetical = all(e.hypothetical for e in found.evidence if e.category == cat.id and not e.negated)
        return self.category_action(cat, platform, confidence, hypothetical, common)

    def _group(self, cid: str, platform: str) -> str:
        cat = self._cats[cid]
        if cat.owner == "none":
            return f"none:{cid}"
        if cat.owner == "agent":
            return "agent"
        return platform if cat.target == "receiving" else cat.target

    # ------------------------------------------------------------------------ 6. action
    def category_action(
        self, cat: Category, platform: str, confidence: float, hypothetical: bool, common: dict[str, Any]
    ) -> Decision:
        """The action for a (non-emergency) matter of category `cat` received at `platform`."""
        target = platform if cat.target == "receiving" else cat.target
        guide_number = guide_to = None
        if cat.owner == "none":
            action = cat.handover or "guide"
            guide_to = cat.guide_to or None
            guide_number = target if target not in PLATFORMS else None
            rule = "out-of-scope"
            why = f"{cat.name} is for neither platform: explain and guide ({cat.guide_to or target})"
        elif target == platform:
            action, rule = "accept", "category"
            why = f"{cat.name} belongs to {platform}: accept"
        elif target in PLATFORMS:
            # a supposed police matter asked at 12345 (如果遇到小偷怎么办): tell the caller to dial 110;
            # a question about a government matter asked at 110 is 12345's own work: put it through
            if hypothetical and target == "110":
                action, rule, guide_number = "guide", "hypothetical", target
                why = f"a question about {cat.name}, nothing happening: tell the caller to dial {target}"
            else:
                action = cat.handover if cat.handover == "conference" else "transfer"
                rule = "category"
                why = f"{cat.name} belongs to {target}: " + ("one-key transfer" if action == "transfer" else action)
        else:
            number = self.profile.numbers[target]
            action = cat.handover or number.handover
            if number.emergency and action in ("transfer", "conference"):
                action = number.not_urgent  # nothing is happening now (a hazard, a past event): as the profile says
            rule = "other-number"
            guide_number = number.dial or None
            guide_to = number.name
            why = f"{cat.name}: {number.name}" + (f" ({number.dial})" if number.dial else "")
        work_order = "push" if cat.handover == "push" and target != platform else None
        if action == "push":
            action = "transfer"
        return Decision(
            target=target,
            action=action,
            emergency=False,
            confidence=confidence,
            rule=rule,
            explanation=why,
            guide_number=guide_number,
            guide_to=guide_to,
            work_order=work_order,
            **common,
        )


def _length_factor(phrase: str) -> float:
    n = sum(map(len, literal_parts(phrase)))
    return min(2.0, max(0.7, 1.0 + 0.3 * (n - 2)))


def _confidence(best: float, second: float) -> float:
    strength = 1.0 - math.exp(-best / 1.2)
    margin = (best - second) / best if best > 0 else 0.0
    return round(strength * (0.5 + 0.5 * margin), 3)


def _alternatives(words: tuple[str, ...]) -> str:
    """A regular expression of `words`, the longest first."""
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))


def break_off_points(
    text: str, words: re.Pattern[str], most: int, exceptions: frozenset[str] = frozenset()
) -> list[tuple[str, int]]:
    """Each break-off word in `text` (not the `exceptions` that `words` also finds) with where what follows it
    starts, first to last; only the last `most` (a hostile text of a thousand such words costs no more than a
    caller's few)."""
    points = [(m.group(0), m.end()) for m in words.finditer(text) if m.group(0) not in exceptions]
    return points[-most:]


def reported_break_off_points(
    text: str, reported: re.Pattern[str], now: re.Pattern[str], most: int, heard_end: int | None = None
) -> list[tuple[str, int]]:
    """After the first word of a matter already handed in (`reported`: 上次投诉过; or one heard by sound that ends at
    `heard_end`), each word of now said after a pause or a few words into the clause after it (`now`: ，现在;
    ，可那个讨债的今天) with where what is told since starts (after the word that opens its clause, else the clause);
    only the last `most`."""
    first = reported.search(text)
    ends = [e for e in (first.end() if first else None, heard_end) if e is not None]
    if not ends:
        return []
    # a word of now opening the clause: what follows it; said a few words into the clause: the whole clause
    points = [(m.group(0), m.start() if m.group("lead") else m.end()) for m in now.finditer(text, min(ends))]
    return points[-most:]


def trailed_off_point(text: str) -> list[tuple[str, int]]:
    """The last place `text` trails off (…… or ——) with where what follows starts, when that holds at least
    TRAILED_OFF_MIN_CHARS Chinese characters (and so no further trailing off); else []."""
    ends = [text.rfind(mark) + len(mark) for mark in _TRAILING_MARKS if mark in text]
    if not ends or han_chars(text[max(ends) :]) < TRAILED_OFF_MIN_CHARS:
        return []
    return [("……", max(ends))]


def played_down_points(text: str, played_down: re.Pattern[str]) -> list[tuple[str, int]]:
    """Where the call opens by playing its matter down (也没什么大事，就是…): the words up to the pause after them, with
    where what follows starts; [] when no such word starts within the call's first PLAYED_DOWN_WITHIN characters, or
    fewer than PLAYED_DOWN_MIN_CHARS Chinese characters follow."""
    m = played_down.search(text)
    if m is None or m.start() > PLAYED_DOWN_WITHIN or han_chars(text[m.end() :]) < PLAYED_DOWN_MIN_CHARS:
        return []
    return [(m.group(0), m.end())]


def sound_points(text: str, sounds: list[tuple[str, ...]], heard: list[str] | None = None) -> list[tuple[str, int]]:
    """Each place in `text` that sounds as one of the words `sounds` (toneless pinyin syllables) with where what
    follows it starts: the recognizer's 哀压 for 哎呀, 回房 for 回访. A spoken request's length: one syllable per
    character. `heard`: the text's syllables, when the caller has them already."""
    heard = syllables(text) if heard is None else heard
    points = []
    for sound in sounds:
        n = len(sound)
        points += [(text[i : i + n], i + n) for i in range(len(heard) - n + 1) if tuple(heard[i : i + n]) == sound]
    return points


def narrative_tail(text: str, max_chars: int) -> int:
    """Where a narrative's tail starts: its last whole clauses, together at most `max_chars` characters
    (len(text) when even the last clause is longer)."""
    start = len(text)
    while max_chars > 0 and start > 0:
        i = max(text.rfind(CLAUSE, 0, start - 1), text.rfind(SENTENCE, 0, start - 1)) + 1
        if len(text) - i > max_chars:
            break
        start = i
    return start


def _inside_longer(hits: list[Hit]) -> set[int]:
    """The indices of the hits lying strictly inside a longer one.

    One pass over the hits by start (longest first at each start), keeping the furthest end reached by
    a hit that starts earlier: n log n, so a hostile text of thousands of hits costs milliseconds."""
    order = sorted(range(len(hits)), key=lambda i: (hits[i].start, -hits[i].end))
    inside: set[int] = set()
    reach_before = -1  # the furthest end of the hits starting before the current start
    group_start, group_end = None, -1
    for i in order:
        h = hits[i]
        if h.start != group_start:
            reach_before = max(reach_before, group_end)
            group_start, group_end = h.start, h.end  # the longest hit starting here comes first
        if reach_before >= h.end or group_end > h.end:
            inside.add(i)
    return inside


def _longest_only(hits: list[Hit]) -> list[Hit]:
    """Drop a hit lying strictly inside a longer one: the longer phrase is the more specific. A phrase found by its
    characters gives way only to a longer one found by characters: a longer phrase guessed by sound is no more
    specific than the words said (侧翻了 sounds like 车翻了, but 侧翻 was said)."""
    if len(hits) < 2:
        return hits
    by_chars = [i for i, h in enumerate(hits) if h.via == VIA_CHARS]
    inside = {i for i in _inside_longer(hits) if hits[i].via != VIA_CHARS}
    inside |= {by_chars[j] for j in _inside_longer([hits[i] for i in by_chars])}
    keep = []
    seen: set[tuple[str, int, int]] = set()
    for i, h in enumerate(hits):
        if i in inside or (h.key, h.start, h.end) in seen:
            continue  # 拿着刀 and 拿*刀 heard on the same span: one piece of evidence
        seen.add((h.key, h.start, h.end))
        keep.append(h)
    return keep


def _first_few(hits: list[Hit], per_phrase: int = MAX_HITS_PER_PHRASE) -> list[Hit]:
    """The first few times each phrase is heard: its score counts once, and a text repeating one phrase
    thousands of times would otherwise read the context of each (quadratic in its length)."""
    seen: dict[tuple[str, str], int] = {}
    keep = []
    for h in hits:
        n = seen.get((h.key, h.phrase), 0)
        if n < per_phrase:
            keep.append(h)
        seen[(h.key, h.phrase)] = n + 1
    return keep


@lru_cache(maxsize=16)
def _router_for(profile_id: str, path: str, mtime: float) -> Router:
    from hotline.understanding.model import service_model

    return Router(load_profile(profile_id), model=service_model())


def get_router(profile: str = "national") -> Router:
    """The router of a profile, with the learned layer when a fresh one is installed (cached)."""
    p = load_profile(profile)
    return _router_for(p.id, str(p.path), p.path.stat().st_mtime)


def route_call(text: str, platform: str = "12345", profile: str = "national", attempt: int = 1) -> Decision:
    """Decide what happens to a call: the one entry point the rest of the product uses."""
    return get_router(profile).route(text, platform=platform, attempt=attempt)

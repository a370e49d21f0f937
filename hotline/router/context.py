"""The context of one matched phrase: is it denied, supposed, over, or happening now?

Read from the words around the phrase, within its clause (between , ; marks) and its sentence
(between . ! ? marks), using the profile's lexicon (data an operator edits):

- negated: a declarative negator (没有, 不是 ...) just before the phrase, in its clause;
- hypothetical: 如果 / 万一 before it in the sentence, or a risk / habit word (隐患, 经常) in the clause; not
  when the caller then says the supposed thing is happening (……就现在, 它现在就放在我家门口: supposition_real);
- tense: over (the matter is resolved: 已经灭了, 找到了, 后来没事了 — said after it, with no urgency
  after that), urgent (正在, 刚才, 救命 ... said of it, or a word of now said after the clause's last past
  marker and before it: 上个礼拜反映过…现在他拿着刀), past (昨天, 上周, dates ...) or unknown;
- long_ago: past, and long ago (上个月, 两年前): even a drowning or a disappearance is not urgent now;
- habitual: told as a habit (经常被打, 每天晚上飙车) with no urgency said in its clause, and no word of now said
  between the habit word and the phrase (狗天天半夜叫 说了也不听 现在他喝醉了说要弄死我们: a transcript has no
  marks to end the habit's clause);
- question: said in a sentence that asks (现在报警还有用吗, 要不要打120) with no strong urgency in it and no
  request that someone come (能不能派个人过来: asked politely, but asked because it is happening), not
  a supposition then said to be real, and no word of now said between the question and the phrase (请问补办要多久
  我现在在车站 有个男的拿着刀在追人).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from hotline.profile import Lexicon
from hotline.router.normalize import CLAUSE, SENTENCE


@dataclass(frozen=True)
class HitContext:
    negated: bool
    hypothetical: bool
    tense: str  # urgent | past | over | unknown
    long_ago: bool = False  # past, and long ago (上个月, 两年前): no longer urgent, whatever it was
    habitual: bool = False  # told as a habit (经常, 天天) with no urgency in its clause
    question: bool = False  # said in a sentence that asks something, with no strong urgency in it


def _alternation(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


# how far into its clause a supposition (如果, 要是 …) reaches: a word of supposition_real further on tells what is so
SUPPOSITION_CLAUSE_CHARS = 12
# how far before a phrase a fear with a time to come in it reaches (怕哪天他又 = 5 characters after 怕)
FEARED_REACH = 8
# size words between a remembered event's word and the event (那次小地震, 那场大火)
RECALLED_SIZE = "小大"


def _last_end(text: str, words: Sequence[str]) -> int:
    """Where the last of `words` in `text` ends (-1: none of them is there)."""
    return max((i + len(w) for w in words if (i := text.rfind(w)) != -1), default=-1)


def _all(text: str, word: str) -> list[int]:
    out, i = [], text.find(word)
    while i != -1:
        out.append(i)
        i = text.find(word, i + 1)
    return out


class ContextReader:
    def __init__(self, lexicon: Lexicon, negation_window: int) -> None:
        self.lx = lexicon
        self.window = negation_window
        self._negators = tuple(sorted(lexicon.negators, key=len, reverse=True))
        # how far before the window an exception to a negator may begin (有没有 cut to 没有 would read as denied)
        self._exception_reach = max((len(e) for e in lexicon.negator_exceptions), default=0)
        self._past_re = _alternation(lexicon.past_patterns)
        self._long_ago_re = _alternation(lexicon.long_ago_patterns)
        self._resolved_re = _alternation(lexicon.resolved_patterns)
        self._stranger_re = _alternation(lexicon.taken_by_stranger)
        # words of now that end the past in a clause: the urgency words, and those that open what has happened
        # since a matter was reported (今天, 今晚, 这会儿); in a narrative only the strongest urgency
        self._now_words = {
            narrative: (*(lexicon.urgent_now if narrative else lexicon.urgent), *lexicon.break_off_after_reported)
            for narrative in (False, True)
        }

    def is_past(self, span: str) -> bool:
        return any(m in span for m in self.lx.past) or bool(self._past_re and self._past_re.search(span))

    def past_ends(self, span: str) -> int:
        """Where the last past marker in `span` ends (-1: none)."""
        ends = [x.end() for x in self._past_re.finditer(span)] if self._past_re is not None else []
        return max([_last_end(span, self.lx.past), *ends])

    def now_since_past(self, before: str, after: str, now_words: tuple[str, ...]) -> bool:
        """A word of now said after the last past marker before the phrase, and no past marker after it in its
        clause (上个礼拜反映过挖沙的事 你们说转给水务了 现在那个老板拿着刀): the caller has come from what happened
        to what is happening. A recognizer's transcript has no marks to end the past's clause."""
        last = self.past_ends(before)
        return last != -1 and any(m in before[last:] for m in now_words) and not self.is_past(after)

    @staticmethod
    def now_since(before: str, markers: Sequence[str], now_words: tuple[str, ...]) -> bool:
        """A word of now said after the last of `markers` (a habit word, a question word) before the phrase
        (狗天天半夜叫 说了也不听 现在他喝醉了说要弄死我们): the caller has come from the habit or the question to what
        is happening. A recognizer's transcript has no marks to end the habit's or the question's clause."""
        last = _last_end(before, markers)
        return last != -1 and any(m in before[last:] for m in now_words)

    def is_feared(self, before: str, phrase: str) -> bool:
        """`before` (the phrase's clause up to it) ends with a word that fears or guards against the phrase (怕着火,
        防走失) and not with one that merely ends in one (害怕出人命: the caller is afraid of what is going on); a
        phrase of ``feared_anyway`` stays a danger (怕爆炸 beside a gas leak, 怕人还在里头)."""
        lx = self.lx
        if any(phrase.startswith(w) for w in lx.feared_anyway):
            return False
        if any(before.endswith(m) for m in lx.feared) and not any(before.endswith(x) for x in lx.feared_exceptions):
            return True
        # 我怕哪天就着火了, 担心以后他走丢: a time to come between the fear and the phrase, a few characters apart
        when = max((i for w in lx.feared_when if (i := before.rfind(w)) != -1), default=-1)
        if when == -1:
            return False
        fear = _last_end(before[:when], lx.feared)
        # (好害怕哪天他走丢了 too: a fear of a time to come, not of what is going on)
        return fear != -1 and len(before) - fear <= FEARED_REACH

    def is_recalled(self, before: str) -> bool:
        """`before` (the phrase's clause up to it) ends with a word naming a remembered event (那次, 上回), a size
        word allowed between (那次小地震)."""
        return any(before.rstrip(RECALLED_SIZE).endswith(m) for m in self.lx.recalled)

    def is_progressive(self, before: str, words: tuple[str, ...]) -> bool:
        """`before` (the phrase's clause up to it) ends with one of `words`, aspect words of an action going on (在,
        正: 就是前几天来要钱的那个，在踹门), not with a word that merely ends in one (好在, 实在)."""
        return any(before.endswith(m) for m in words) and not any(
            before.endswith(x) for x in self.lx.progressive_exceptions
        )

    def is_long_ago(self, span: str) -> bool:
        return any(m in span for m in self.lx.long_ago) or bool(self._long_ago_re and self._long_ago_re.search(span))

    def is_over(self, text: str, end: int) -> bool:
        """A resolution said after the phrase (火已经灭了, 后来找到了), not denied (还没找到), not said of a
        stranger taking someone away (taken_by_stranger: 被一个自称是他舅舅的人接走了), and no danger said to go
        on after it (人还在, 又来了: the lexicon's urgent_now and ongoing words)."""
        rest = text[end:]
        found = [(i, i + len(m)) for m in self.lx.resolved for i in _all(rest, m)]
        if self._resolved_re is not None:
            found += [(x.start(), x.end()) for x in self._resolved_re.finditer(rest)]
        if not found:
            return False
        # taken away by a stranger (被一个自称…的人接走了, 被人拽上车带走了: found in the whole text, as the phrase may
        # be part of it): a resolution's words overlapping one tell an abduction there
        taken = (
            [(x.start() - end, x.end() - end) for x in self._stranger_re.finditer(text)] if self._stranger_re else []
        )
        for i, j in found:
            if any(i < b and a < j for a, b in taken):
                continue
            denied = any(n in rest[max(0, i - 2) : i] for n in self._negators)
            if not denied and not any(u in rest[j:] for u in (*self.lx.urgent_now, *self.lx.ongoing)):
                return True
        return False

    def last_supposition(self, text: str) -> int:
        """Where the last supposition word (lexicon ``hypothetical``: 如果, 万一 …) of `text` begins, or -1."""
        return max((text.rfind(m) for m in self.lx.hypothetical), default=-1)

    def supposition_is_real(self, text: str) -> bool:
        """The caller supposes (如果, 万一 …) and then says it is happening: a word of the lexicon's
        supposition_real in a clause after the one holding the last supposition word (or SUPPOSITION_CLAUSE_CHARS
        on), not denied right after it. `text` is normalized with its fillers kept (Normalized.with_fillers)."""
        last = self.last_supposition(text)
        if last < 0:
            return False
        ends = [i for i in (text.find(CLAUSE, last), text.find(SENTENCE, last)) if i != -1]
        # a transcript runs the turn into the question's clause (你们能帮忙开门吗我姑妈就是这样): far enough after
        # the supposition word, its clause has moved on
        rest = text[min([*ends, last + SUPPOSITION_CLAUSE_CHARS]) :]
        # denied right after it (他现在没来, 他现在还没去): what was supposed is not happening
        return any(
            not any(n in rest[i + len(m) : i + len(m) + 3] for n in self._negators)
            for m in self.lx.supposition_real
            for i in _all(rest, m)
        )

    def read(
        self,
        text: str,
        start: int,
        end: int,
        urgent_anywhere: bool,
        narrative: bool,
        real: bool = False,
        going_on: tuple[str, ...] = (),
    ) -> HitContext:
        """real: supposition_is_real(text), read once per text by the caller, as urgent_anywhere is. going_on: the
        aspect words that, right before this phrase, say it is going on (the router's choice by what the phrase
        names: 在流血 is bleeding now, 在学校 is where)."""
        lx = self.lx
        clause_start = max(text.rfind(CLAUSE, 0, start), text.rfind(SENTENCE, 0, start)) + 1
        ends = [i for i in (text.find(CLAUSE, end), text.find(SENTENCE, end)) if i != -1]
        clause_end = min(ends) if ends else len(text)
        sent_start = text.rfind(SENTENCE, 0, start) + 1
        sent_end = text.find(SENTENCE, end)
        sent_end = len(text) if sent_end == -1 else sent_end

        # an exception is masked before the window is cut: 有没有正规开锁的 cut to 没有正规 would read as denied
        wide = text[max(clause_start, start - self.window - self._exception_reach) : start]
        for exc in lx.negator_exceptions:
            wide = wide.replace(exc, "·" * len(exc))
        window = wide[-self.window :] if self.window else ""
        negated = any(n in window for n in self._negators)

        clause = text[clause_start:clause_end]
        sentence = text[sent_start:sent_end]
        hypothetical = (
            (not real and any(m in text[sent_start:start] for m in lx.hypothetical))
            or any(m in clause for m in lx.potential)
            # feared or guarded against, said right before it (怕着火, 防走失): not happening
            or self.is_feared(text[clause_start:start], text[start:end])
        )
        # in a narrative, only the strongest urgency, said in the same clause, makes it "now"
        urgent_words = lx.urgent_now if narrative else lx.urgent
        # 现在 / 就在 say "now" weakly: beside a past marker they tell of today's consequences
        # (前天被打了，现在脸还肿着), not of danger now
        strong = [m for m in urgent_words if m not in lx.urgent_weak]
        if self.is_over(text, end):
            tense = "over"
        elif (
            any(m in clause for m in strong)
            or self.now_since_past(text[clause_start:start], text[end:clause_end], self._now_words[narrative])
            or (
                self.is_progressive(text[clause_start:start], going_on)
                and not self.is_past(clause)
                and not any(m in sentence for m in lx.progressive_unsure)
            )
        ):
            tense = "urgent"
        elif self.is_past(clause):
            tense = "past"
        elif any(m in clause for m in urgent_words):
            tense = "unknown" if self.is_past(sentence) else "urgent"
        elif self.is_past(sentence):
            # a word of now after the sentence's last past marker, before the phrase (上个月困过人 物业不管
            # 今天又坏了 我爸…倒在楼梯上了): what the caller tells since then may be happening
            since = self.now_since_past(text[sent_start:start], text[end:clause_end], self._now_words[narrative])
            tense = "unknown" if since or any(m in sentence for m in strong) else "past"
        elif urgent_anywhere:
            tense = "urgent"
        else:
            tense = "unknown"
        long_ago = tense == "past" and self.is_long_ago(sentence)
        if (
            tense in ("past", "unknown")
            and self.is_recalled(text[clause_start:start])
            and not any(m in sentence for m in lx.ongoing)
        ):
            # 前几天那次地震我家墙裂了: the event is named as one the caller remembers, however urgent its kind
            # (not when it happens again: 上次走失的那个弟弟，今天又跑出去了)
            tense, long_ago = "past", True
        habitual = (
            any(m in clause for m in lx.habitual)
            and not any(m in clause for m in strong)
            and not self.now_since(text[clause_start:start], lx.habitual, self._now_words[narrative])
        ) or (
            # told as a habit after it (扬言要泼汽油，这话说了好几回了): with no urgency anywhere in the sentence
            any(m in text[end:sent_end] for m in lx.habitual_after)
            and not any(m in sentence for m in (*strong, *lx.ongoing))
        )
        question = (
            not real
            and any(m in sentence for m in lx.question)
            and not any(m in sentence for m in strong)
            and not any(m in sentence for m in lx.dispatch)
            and not self.now_since(text[sent_start:start], lx.question, self._now_words[narrative])
        )
        return HitContext(negated, hypothetical, tense, long_ago, habitual, question)

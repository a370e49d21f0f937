"""route_call: given what the caller said and which platform received the call, decide the action.

Order of the rules (each decision names the one that fired):
  1. emergency-first    danger to life, property or public safety -> 110 / 119 / 120 now
  2. explicit-agent     the caller asks for a person
  3. no-match           nothing recognised -> clarify, and on the second miss an agent
  4. overlap            both platforms' items match about equally -> three-way call (协商)
  5. category           the best-matching item's owner decides accept / transfer / guide
Negated (不是要报警, 没有人受伤) and hypothetical (如果…怎么办) phrases never make an emergency.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from hotline.profile import PLATFORMS, Category, Cue, Profile, load_profile
from hotline.router.normalize import CLAUSE, SENTENCE, normalize_text
from hotline.router.phrase_index import QUALITY, VIA_CHARS, VIA_WEAK, Hit, PhraseIndex

ACTIONS = ("accept", "transfer", "conference", "guide", "clarify", "agent")
# When an emergency matches several services, the police come first: they can bring the others.
_EMERGENCY_PRIORITY = {"110": 0, "119": 1, "120": 2, "122": 3, "12395": 4}
_CUE_PREFIX = "cue:"


@dataclass(frozen=True)
class Evidence:
    phrase: str
    heard: str
    category: str
    via: str  # chars | pinyin | fuzzy
    negated: bool = False
    hypothetical: bool = False
    tense: str = "unknown"  # urgent | past | unknown
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

    @property
    def understood(self) -> bool:
        """Something matched well enough to act on; else the caller is asked again (or the menu)."""
        return self.action != "clarify" and self.rule not in ("no-match", "low-confidence")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["evidence"] = [asdict(e) for e in self.evidence]
        return d


class Router:
    """A profile compiled for matching. Thread-safe after construction."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._cats: dict[str, Category] = {c.id: c for c in profile.categories}
        self._cues: dict[str, Cue] = {_CUE_PREFIX + c.id: c for c in profile.cues}
        pairs = [(c.id, p) for c in profile.categories for p in (*c.phrases, *c.context)]
        self._context_words = {(c.id, p) for c in profile.categories for p in c.context}
        pairs += [(_CUE_PREFIX + c.id, p) for c in profile.cues for p in c.phrases]
        self._index = PhraseIndex(pairs)
        self._exclude: dict[str, tuple[str, ...]] = {c.id: c.exclude for c in profile.categories}
        self._exclude.update({k: c.exclude for k, c in self._cues.items()})
        lx = profile.lexicon
        self._negators = tuple(sorted(lx.negators, key=len, reverse=True))
        self._past_re = re.compile("|".join(f"(?:{p})" for p in lx.past_patterns)) if lx.past_patterns else None

    # ------------------------------------------------------------------ context of one hit
    def _is_past(self, span: str) -> bool:
        lx = self.profile.lexicon
        return any(m in span for m in lx.past) or bool(self._past_re and self._past_re.search(span))

    def _context(self, text: str, h: Hit, urgent_anywhere: bool, narrative: bool) -> tuple[bool, bool, str]:
        """(negated, hypothetical, tense) of one hit; tense is urgent | past | unknown."""
        lx = self.profile.lexicon
        clause_start = max(text.rfind(CLAUSE, 0, h.start), text.rfind(SENTENCE, 0, h.start)) + 1
        ends = [i for i in (text.find(CLAUSE, h.end), text.find(SENTENCE, h.end)) if i != -1]
        clause_end = min(ends) if ends else len(text)
        sent_start = text.rfind(SENTENCE, 0, h.start) + 1
        sent_end = text.find(SENTENCE, h.end)
        sent_end = len(text) if sent_end == -1 else sent_end

        window = text[max(clause_start, h.start - self.profile.settings.negation_window) : h.start]
        for exc in lx.negator_exceptions:
            window = window.replace(exc, "·")
        negated = any(n in window for n in self._negators)

        clause = text[clause_start:clause_end]
        sentence = text[sent_start:sent_end]
        hypothetical = any(m in text[sent_start : h.start] for m in lx.hypothetical) or any(
            m in clause for m in lx.potential
        )
        # in a narrative, only the strongest urgency, said in the same clause, makes it "now"
        urgent_words = lx.urgent_now if narrative else lx.urgent
        if any(m in clause for m in urgent_words):
            tense = "urgent"
        elif self._is_past(clause):
            tense = "past"
        elif self._is_past(sentence):
            tense = "unknown" if any(m in sentence for m in urgent_words) else "past"
        elif urgent_anywhere:
            tense = "urgent"
        else:
            tense = "unknown"
        return negated, hypothetical, tense

    def _excluded(self, text: str, h: Hit) -> bool:
        for word in self._exclude.get(h.key, ()):
            i = text.find(word, max(0, h.start - len(word)))
            while i != -1 and i <= h.start:
                if i + len(word) >= h.end:
                    return True
                i = text.find(word, i + 1)
        return False

    # ------------------------------------------------------------------------- the decision
    def route(self, text: str, platform: str = "12345", attempt: int = 1) -> Decision:
        if platform not in PLATFORMS:
            raise ValueError(f"platform must be one of {', '.join(PLATFORMS)}, not {platform!r}")
        prof = self.profile
        lx = prof.lexicon
        norm = normalize_text(text, lx.fillers, prof.settings.max_chars)
        t = norm.text
        base = dict(profile=prof.id, receiving=platform, attempt=attempt, normalized=t)

        # A narrative (a written message, a long monologue) is not repaired by sound, and its
        # events need urgency said where they are told before they count as an emergency.
        narrative = len(t) > prof.settings.spoken_max_chars
        hits = _longest_only(self._index.find(t, by_sound=not narrative)) if norm.han_chars else []
        # a place word heard by sound only (老是 -> 老师) is too weak to keep
        hits = [
            h
            for h in hits
            if not self._excluded(t, h) and not (h.via != VIA_CHARS and (h.key, h.phrase) in self._context_words)
        ]
        # A common word heard where a phrase was expected (大人 for 打人) counts only when nothing else
        # in the utterance matched, and never as an emergency cue on its own.
        if any(h.via != VIA_WEAK and not h.key.startswith(_CUE_PREFIX) for h in hits):
            hits = [h for h in hits if h.via != VIA_WEAK]
        else:
            hits = [h for h in hits if not (h.via == VIA_WEAK and h.key.startswith(_CUE_PREFIX))]
        urgent_anywhere = not narrative and any(m in t for m in lx.urgent)
        consult = any(m in t for m in lx.consult)

        # "没有人受伤": the caller rules out injury, so a scrape or a past scuffle is no emergency
        # unless something else (a weapon, urgency of a matter that is always urgent) says so
        no_injury = any(
            h.key.startswith(_CUE_PREFIX) and self._context(t, h, urgent_anywhere, narrative)[0] for h in hits
        )
        evidence: list[Evidence] = []
        scores: dict[str, float] = {}
        counted: set[tuple[str, str]] = set()
        emergency_keys: list[str] = []
        cue_waiting: list[tuple[str, Evidence]] = []
        for h in hits:
            negated, hypo, tense = self._context(t, h, urgent_anywhere, narrative)
            is_cue = h.key.startswith(_CUE_PREFIX)
            emerg = False
            if not negated and not hypo and not (narrative and tense != "urgent"):
                calm_question = consult and tense != "urgent"
                if is_cue:
                    emerg = tense != "past" and not calm_question
                else:
                    rule = self._cats[h.key].emergency
                    emerg = (
                        rule == "always"
                        or (rule == "unless_past" and tense != "past" and not calm_question and not no_injury)
                        or (rule == "if_urgent" and tense == "urgent")
                    )
            ev = Evidence(h.phrase, h.heard, h.key, h.via, negated, hypo, tense, emerg)
            evidence.append(ev)
            if is_cue:
                if emerg:
                    if self._cues[h.key].alone:
                        emergency_keys.append(h.key)
                    else:
                        cue_waiting.append((h.key, ev))
                continue
            if negated or (h.key, h.phrase) in counted:
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
        incident = any(self._cats[k].owner == "110" or self._cats[k].target in _EMERGENCY_PRIORITY for k in scores)
        for key, ev in cue_waiting:
            if incident or ev.tense == "urgent":
                emergency_keys.append(key)

        matched = list(dict.fromkeys(e.phrase for e in evidence if not e.negated))

        if emergency_keys:
            return self._emergency(platform, emergency_keys, scores, matched, evidence, base)

        if not scores:
            why = "no Chinese speech" if not norm.han_chars else "no linkage item matched"
            action = "clarify" if attempt <= 1 else "agent"
            return Decision(
                target=platform,
                action=action,
                emergency=False,
                category=None,
                category_name=None,
                matched=matched,
                confidence=0.0,
                rule="no-match",
                explanation=f"{why}; "
                + ("ask the caller again" if action == "clarify" else "second miss: hand to an agent"),
                evidence=evidence,
                **base,
            )

        # Destinations compete by the sum of their items (a long complaint about wages, social
        # insurance and a labour contract is one 12345 matter); the best item names the category.
        by_target: dict[str, float] = {}
        for cid, sc in scores.items():
            key = self._group(cid, platform)
            by_target[key] = by_target.get(key, 0.0) + sc
        ranked_targets = sorted(by_target.items(), key=lambda kv: kv[1], reverse=True)
        best_group, best = ranked_targets[0]
        second = ranked_targets[1][1] if len(ranked_targets) > 1 else 0.0
        cat = self._cats[max((c for c in scores if self._group(c, platform) == best_group), key=lambda c: scores[c])]
        confidence = _confidence(best, second)
        common = dict(category=cat.id, category_name=cat.name, matched=matched, evidence=evidence, **base)

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
        if best_group in PLATFORMS and lo > 0 and lo >= prof.settings.overlap_ratio * hi:
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

        if confidence < prof.settings.min_confidence:
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

        target = platform if cat.target == "receiving" else cat.target
        hypothetical = all(e.hypothetical for e in evidence if e.category == cat.id and not e.negated)
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
            if hypothetical:
                action, rule, guide_number = "guide", "hypothetical", target
                why = f"a question about {cat.name}, nothing happening: tell the caller to dial {target}"
            else:
                action = cat.handover if cat.handover == "conference" else "transfer"
                rule = "category"
                why = f"{cat.name} belongs to {target}: " + ("one-key transfer" if action == "transfer" else action)
        else:
            number = prof.numbers[target]
            action = cat.handover or number.handover
            if number.emergency and action in ("transfer", "conference"):
                action = "guide"  # nothing is happening now (a hazard, a past event): say the number
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

    def _group(self, cid: str, platform: str) -> str:
        cat = self._cats[cid]
        if cat.owner == "none":
            return f"none:{cid}"
        if cat.owner == "agent":
            return "agent"
        return platform if cat.target == "receiving" else cat.target

    def _emergency(self, platform, emergency_keys, scores, matched, evidence, base) -> Decision:
        prof = self.profile
        cat_keys = [k for k in emergency_keys if not k.startswith(_CUE_PREFIX)]
        if cat_keys:
            # the strongest emergency item; ties -> the police first
            def order(k: str) -> tuple[float, int]:
                return (-scores.get(k, 0.0), _EMERGENCY_PRIORITY.get(self._cats[k].target, 9))

            key = min(cat_keys, key=order)
            cat = self._cats[key]
            target = platform if cat.target == "receiving" else cat.target
            # a 12345 item made urgent by a cue (a dispute with a knife) is a police matter now
            if target not in _EMERGENCY_PRIORITY:
                target = "110"
            category, name = cat.id, cat.name
        else:
            cue = self._cues[emergency_keys[0]]
            target = cue.target
            # a 110 item also said (even of the past) names the matter better than the cue
            police = sorted((c for c in scores if self._cats[c].owner == "110"), key=scores.get, reverse=True)
            category = police[0] if police else cue.id
            name = self._cats[category].name if police else cue.name
        triggers = [e.phrase for e in evidence if e.emergency]
        unsure = all(e.via == VIA_WEAK for e in evidence if e.emergency)
        if target == platform:
            action = "accept"
        elif unsure:
            action = "conference"  # heard only as a common word (大人 for 打人): people decide, together
        elif platform == "110":
            action = "conference"  # the police stay on the line while 119/120 join
        elif target in PLATFORMS:
            action = prof.settings.emergency_handover
        else:
            number = prof.numbers.get(target)
            action = (
                number.handover
                if number and number.handover in ("transfer", "conference")
                else prof.settings.emergency_handover
            )
        best = max(scores.values(), default=1.0)
        return Decision(
            target=target,
            action=action,
            emergency=True,
            category=category,
            category_name=name,
            matched=matched,
            confidence=max(0.7, _confidence(best, 0.0)),
            rule="emergency-first",
            explanation=f"emergency ({'、'.join(dict.fromkeys(triggers))}): {name} -> {target} at once",
            guide_number=None,
            evidence=evidence,
            **base,
        )


def _length_factor(phrase: str) -> float:
    n = len(phrase.replace("*", ""))
    return min(2.0, max(0.7, 1.0 + 0.3 * (n - 2)))


def _confidence(best: float, second: float) -> float:
    strength = 1.0 - math.exp(-best / 1.2)
    margin = (best - second) / best if best > 0 else 0.0
    return round(strength * (0.5 + 0.5 * margin), 3)


def _longest_only(hits: list[Hit]) -> list[Hit]:
    """Drop a hit lying strictly inside a longer one: the longer phrase is the more specific."""
    if len(hits) < 2:
        return hits
    keep = []
    seen: set[tuple[str, int, int]] = set()
    for h in hits:
        if (h.key, h.start, h.end) in seen:
            continue  # 拿着刀 and 拿*刀 heard on the same span: one piece of evidence
        seen.add((h.key, h.start, h.end))
        inside = any(o.start <= h.start and h.end <= o.end and (o.end - o.start) > (h.end - h.start) for o in hits)
        if not inside:
            keep.append(h)
    return keep


@lru_cache(maxsize=16)
def _router_for(profile_id: str, path: str, mtime: float) -> Router:
    return Router(load_profile(profile_id))


def get_router(profile: str = "national") -> Router:
    p = load_profile(profile)
    return _router_for(p.id, str(p.path), p.path.stat().st_mtime)


def route_call(text: str, platform: str = "12345", profile: str = "national", attempt: int = 1) -> Decision:
    """Decide what happens to a call: the one entry point the rest of the product uses."""
    return get_router(profile).route(text, platform=platform, attempt=attempt)

"""Step 7: the rules' decision combined with the learned layer's prediction. The one place.

The combination, in order (thresholds live in the model artifact, tuned by `hotline train`; a
narrative — longer than a spoken request — uses ``emergency_narrative`` / ``owner_narrative`` instead,
while its hint is a spoken request's). The model is not read in a call that says nothing once the fillers
and the words that tell no matter on their own are gone (lexicon ``empty_words``: 我 那个 我刚 你): its
probabilities there are only its prior, and such a caller is asked again like any caller not understood:

0. Doubt: a rules' emergency whose emergency probability is below ``doubt`` (a strong word said of a
   bill, a noisy bar or a row of neighbours: 气得我想杀人, 简直是抢钱, 脑袋要炸了) is held as a danger
   hint instead (rule ``rules-doubted``): from 12345 a three-way call with 110 (the 12345 agent stays on
   the line), at 110 a call-taker. A person always judges it; nothing is blind-transferred on one word.
   ``doubt`` is set so low that about 1 in 1,000 of the true emergencies the rules flagged among unheard
   authors' lines falls below it, and those still reach 110 this way (train.py).
0b. Outweighed: a rules' emergency at 12345 that the model hears no emergency in (below its emergency
   threshold) while it is sure, with at least ``doubt_owner``, that the matter is 12345's own (the guard
   rail of a bridge knocked off long ago, a smoking chimney, a dog that has bitten before) is that 12345
   matter (rule ``rules-outweighed``), accepted by a 12345 agent who is warned of the danger hint and can bring
   110 in with one key. ``doubt_owner`` is never below 0.9 and above the 12345 probability of every true
   emergency among the unheard authors' lines there (train.py). At 110 a call-taker judges such a call
   (step 0), never sent away from 110.
1. Emergency = the rules OR the model. The rules' emergency stands as it is. When the rules see none
   but the model's emergency probability reaches ``emergency`` (tuned for recall), the call becomes an
   emergency (rule ``model-emergency``): to the model's emergency number when it names one
   (119/120/122/12395), else 110; from 12345 as a three-way call (the 12345 agent stays on the line,
   since no phrase confirmed it), from 110 accepted (or 119/120 conferenced in).
1b. Which service: when the rules' emergency goes to 119/120/122/12395 and the model gives 110 at least
   ``override`` (a drowning, a fall, someone lying in the street: matters the schemes give the police),
   110 takes it and brings that service in. 110 is a right place for every emergency; the model learned
   from people's labels which ones are the police's first.
2. Danger hint: an emergency, a doubted one, or the model's probability at least ``hint`` (a lower
   threshold), or a danger word the rules heard only by sound. The Decision carries ``danger_hint`` with the action the
   router proposes for it (from 12345: a three-way call with 110; at 110: a 110 call-taker). The
   conversation uses it instead of asking the caller again. A caller with a hint is never handed away
   without a person (``kept_with_a_person``): 110 keeps its call-taker on a three-way call with 12345
   instead of a blind transfer, and no one is only told an emergency number to dial.
3. Destination: when the rules found nothing or only weakly (no-match, low-confidence), the model's
   owner decides when its probability reaches ``owner``; when the rules chose a destination with a
   confidence below ``rules_sure`` and the model names another with at least ``override``, the model's
   decides (rule ``model-owner`` either way); its top category of that owner names the matter. Not on
   fewer than ``owner_min_chars`` Chinese characters: there the rules' silence means a greeting or noise.
   A destination the rules chose surely is overruled the same way by a model that disagrees with at least
   ``override_sure``: the rules' phrases name a matter (路灯, 派出所, 狗) but not always whose it is
   (a lamp post's cable sparking on the ground, a dog bite to be paid for, a police word in a paperwork
   question); the model learned that from many authors' labels.
   Otherwise the rules' destination stands.
4. Evidence: the model's version and probabilities go into ``Decision.model`` with what it changed,
   beside the rules' phrases, in ``hotline route --json`` and the call log.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hotline.profile import PLATFORMS
from hotline.router.decide import _CUE_PREFIX, EMERGENCY_PRIORITY, Decision, Findings, Router
from hotline.router.phrase_index import VIA_CHARS, VIA_PINYIN
from hotline.understanding.features import category_owner

if TYPE_CHECKING:
    from hotline.understanding.model import Prediction

WEAK_RULES = ("no-match", "low-confidence")
SETTLED_RULES = (*WEAK_RULES, "explicit-agent", "overlap")
NON_DESTINATIONS = ("clarify",)
# A caller is handed on without a person -- from 110 to 12345, or only told an emergency number to dial -- when
# the model hears even less danger than a hint needs: there the hint threshold is this share of the tuned one (a
# hint keeps 110's call-taker on a three-way call with 12345, or bridges 110 in). Half, over the frozen splits:
# 4 of 36,407 written and 8 of 9,559 spoken emergencies no longer handed away, for 3.5% (written) and 8.3%
# (spoken) of the ordinary 110-dialed 12345 matters kept with a 110 call-taker, and 29 questions at 12345 about
# a police matter answered on a three-way call with 110 (session 52)
HANDED_ON_HINT_SHARE = 0.5


def _hint_plan(platform: str) -> tuple[str, str]:
    """What a danger hint asks for: from 12345 a three-way call with 110; at 110 a call-taker."""
    return ("conference", "110") if platform == "12345" else ("accept", "110")


def _weak_danger(router: Router, found: Findings) -> bool:
    """A danger word heard only by sound (or as a common word), not denied, supposed or over."""
    for e in found.evidence:
        if e.via in (VIA_CHARS, VIA_PINYIN) or e.negated or e.hypothetical or e.tense in ("past", "over"):
            continue
        if e.category.startswith(_CUE_PREFIX):
            return True
        cat = router.category(e.category)
        if cat is not None and cat.emergency in ("always", "unless_past"):
            return True
    return False


def _with_hint(d: Decision, hint: bool) -> Decision:
    if d.emergency:
        return replace(d, danger_hint=True, hint_action=d.action, hint_target=d.target)
    if hint:
        action, target = _hint_plan(d.receiving)
        return kept_with_a_person(replace(d, danger_hint=True, hint_action=action, hint_target=target))
    return d


def kept_with_a_person(d: Decision) -> Decision:
    """A caller with a danger hint is not handed away without a person who can judge it (step 2).

    110 does not blind-transfer such a caller to 12345: the 110 call-taker stays on a three-way call with
    12345. Nobody is only told an emergency number and left to dial it: the receiving platform's person
    takes the call (110 at 110) or stays on a three-way call with that service (also where the profile puts such a
    caller through: ``not_urgent: transfer``). A hint is seldom an
    emergency, so the matter's destination stands; what changes is that a person hears the caller.
    """
    # a transfer away from 110, or to an emergency service (its matter with nothing happening now, put through by
    # the profile's ``not_urgent``): the receiving platform's person stays on a three-way call
    if d.action == "transfer" and d.target != "110" and (d.receiving == "110" or d.target in EMERGENCY_PRIORITY):
        stays = "110 stays on the line, " if d.receiving == "110" else ""
        return replace(
            d,
            action="conference",
            explanation=f"{d.explanation}; a hint of danger: {stays}a three-way call with {d.target}",
        )
    if d.action == "guide" and d.target in EMERGENCY_PRIORITY:
        action = "accept" if d.target == d.receiving else "conference"
        how = "a call-taker takes the call" if action == "accept" else f"a three-way call with {d.target}"
        return replace(
            d,
            action=action,
            guide_number=None,
            guide_to=None,
            explanation=f"{d.explanation}; a hint of danger: not only told the number, {how}",
        )
    return d


def rules_own_destination(d: Decision) -> bool:
    """A destination of the rules' own making, one a confident model may overrule (step 3): not an emergency,
    nothing or little found, a request for a person, or an overlap (no doubt of the rules: both platforms
    settle it on a three-way call)."""
    return not d.emergency and d.rule not in SETTLED_RULES


def _overruled(d: Decision, pred: Prediction, th: dict[str, float]) -> bool:
    """The rules chose a destination of their own and a model sure enough names another (step 3): above
    ``override`` where they chose unsurely (confidence below ``rules_sure``), above ``override_sure`` else."""
    if not rules_own_destination(d) or not _disagrees(d, pred):
        return False
    sure = d.confidence >= th.get("rules_sure", 0.0)
    return pred.owner_p >= th.get("override_sure" if sure else "override", 1.01)


def _disagrees(d: Decision, pred: Prediction) -> bool:
    owner_target = d.receiving if pred.owner in ("none", "agent") else pred.owner
    return owner_target != d.target


def _handed_on(d: Decision) -> bool:
    """The caller would leave without a person of the emergency services: at 110 (anything but 110's own
    matter is handed to 12345 or explained), or at 12345 only told an emergency number to dial."""
    return d.receiving == "110" or (d.action == "guide" and d.target in EMERGENCY_PRIORITY)


def rules_hint(d: Decision, found: Findings, router: Router | None = None) -> Decision:
    """Rules only (no model loaded): the hint comes from the rules' evidence alone."""
    return _with_hint(d, router is not None and _weak_danger(router, found))


def combine(router: Router, d: Decision, found: Findings, pred: Prediction) -> Decision:
    th = pred.thresholds
    # a narrative (a written message, a long monologue) has thresholds of its own (see train.py)
    em_th = th.get("emergency_narrative", 1.01) if found.narrative else th["emergency"]
    owner_th = th.get("owner_narrative", 1.01) if found.narrative else th["owner"]
    changed: dict[str, Any] = {}
    rules_verdict = {"target": d.target, "action": d.action, "emergency": d.emergency, "rule": d.rule}

    # nothing said once fillers and words that tell no matter are gone (silence, "嗯嗯那个", noise, a false
    # start: 我 那个 我刚 你): the model's probabilities are only its prior there, never evidence of danger or
    # of an owner
    heard = not router.says_nothing(found.norm)

    # 0b. outweighed: a rules' emergency at 12345 the model hears no emergency in and is sure is 12345's matter
    outweighed = heard and outweighed_by_owner(d, pred, th, em_th)
    # 0. doubt: a rules' emergency the model finds no trace of danger in is held as a hint for a person
    doubted = not outweighed and heard and d.emergency and pred.p_emergency < th.get("doubt", 0.0)
    if outweighed:
        d = held_as_matter(router, d, pred, found)
        changed["emergency"] = changed["destination"] = True
    elif doubted:
        d = held_as_hint(d, pred)
        changed["emergency"] = True
    # 1. emergency: the rules OR the model
    elif heard and not d.emergency and pred.p_emergency >= em_th:
        d = model_emergency(router, d, pred)
        changed["emergency"] = True
    # 1b. which emergency service: the rules sent an emergency to 119/120/122/12395 and the model, with
    #     at least ``override``, hears a police matter (a drowning, a fall, someone lying in the street):
    #     110 takes it and brings the service in (110 is always a right place for an emergency)
    elif police_first(d, pred, th):
        d = police_emergency(router, d, pred)
        changed["destination"] = True
    # 3. destination: the model's owner where the rules found nothing or only weakly, or chose a destination
    #    (unsurely or surely) and a model confident enough disagrees
    elif (
        heard
        and pred.owner not in NON_DESTINATIONS
        and found.norm.han_chars >= th.get("owner_min_chars", 0)
        and ((d.rule in WEAK_RULES and pred.owner_p >= owner_th) or _overruled(d, pred, th))
    ):
        d = model_destination(router, d, pred, found)
        changed["destination"] = True

    # 2. danger hint. It costs a warning to the 12345 agent, or keeps 110's call-taker on the line: a long story,
    # which hides its danger more than a short request does, gets it at the same threshold (4 of 495 TeddyCup
    # messages); it is lower where the caller would be handed on without a person (HANDED_ON_HINT_SHARE)
    hint_th = th["hint"] * (HANDED_ON_HINT_SHARE if _handed_on(d) else 1.0)
    hint = doubted or outweighed or (heard and pred.p_emergency >= hint_th) or _weak_danger(router, found)
    d = _with_hint(d, hint)

    # 4. evidence
    d.model = {**pred.to_dict(), "changed": sorted(changed), "rules": rules_verdict}
    return d


def police_first(d: Decision, pred: Prediction, th: dict[str, float]) -> bool:
    """The rules' emergency goes to another service while the model is sure it is the police's (step 1b)."""
    return (
        d.emergency
        and d.target in EMERGENCY_PRIORITY
        and d.target != "110"
        and pred.owners.get("110", 0.0) >= th.get("override", 1.01)
    )


def police_emergency(router: Router, d: Decision, pred: Prediction) -> Decision:
    """An emergency the rules sent to another service, put to 110 (step 1b): 110 brings that service in."""
    return replace(
        d,
        target="110",
        action=router.emergency_action("110", d.receiving),
        explanation=f"{d.explanation}; the model hears a police matter (p={pred.owners['110']:.2f}): 110 takes it "
        f"and brings {d.target} in",
    )


def outweighed_by_owner(d: Decision, pred: Prediction, th: dict[str, float], em_th: float) -> bool:
    """A rules' emergency at 12345 that the model hears no emergency in and is sure is 12345's own (step 0b)."""
    return (
        d.emergency
        and d.receiving == "12345"
        and pred.p_emergency < em_th
        and pred.owner == d.receiving
        and pred.owner_p >= th.get("doubt_owner", 1.01)
    )


def held_as_matter(router: Router, d: Decision, pred: Prediction, found: Findings) -> Decision:
    """A rules' emergency outweighed (step 0b): the 12345 matter the model names, for a 12345 agent."""
    out = model_destination(router, d, pred, found)
    return replace(
        out,
        rule="rules-outweighed",
        explanation=f"the rules heard {d.category_name or d.category} ({d.rule}), the model hears no emergency "
        f"(p={pred.p_emergency:.3f}) and a 12345 matter (p={pred.owner_p:.2f}): {out.explanation}; the agent sees "
        "the danger hint",
    )


def held_as_hint(d: Decision, pred: Prediction) -> Decision:
    """A rules' emergency in doubt: a person with 110 on the line judges it (see step 0)."""
    action, target = _hint_plan(d.receiving)
    return replace(
        d,
        target=target,
        action=action,
        emergency=False,
        rule="rules-doubted",
        explanation=f"the rules heard {d.category_name or d.category} ({d.rule}), the model hears no danger now "
        f"(p={pred.p_emergency:.3f}): {action} -> {target}, a person judges",
        guide_number=None,
        guide_to=None,
    )


def model_emergency(router: Router, d: Decision, pred: Prediction) -> Decision:
    platform = d.receiving
    target = pred.owner if pred.owner in EMERGENCY_PRIORITY else "110"
    cat = router.category(pred.category) if pred.category else None
    if d.category and (c := router.category(d.category)) and c.owner == "110":
        cat = c  # the rules named a police matter (said of the past, say): it names it best
    name = cat.name if cat else "危险情况"
    return replace(
        d,
        target=target,
        action=router.emergency_action(target, platform, unsure=True),
        emergency=True,
        category=cat.id if cat else d.category,
        category_name=name if cat else d.category_name,
        confidence=round(pred.p_emergency, 3),
        rule="model-emergency",
        explanation=f"the model hears danger now (p={pred.p_emergency:.2f}): {name} -> {target} at once",
        guide_number=None,
        guide_to=None,
    )


def model_destination(router: Router, d: Decision, pred: Prediction, found: Findings) -> Decision:
    platform, owner = d.receiving, pred.owner
    common = dict(
        category=pred.category,
        category_name=None,
        matched=d.matched,
        evidence=d.evidence,
        profile=d.profile,
        receiving=platform,
        attempt=d.attempt,
        normalized=d.normalized,
    )
    why = f"the model: {owner} (p={pred.owner_p:.2f})"
    cat = router.category(pred.category) if pred.category else None
    if owner == "agent":  # a person, as the rules' explicit-agent does (category_action would accept it)
        named = cat is not None and category_owner(cat) == "agent"
        common.update(category=cat.id if named else None, category_name=cat.name if named else None)
        return Decision(
            target=platform, action="agent", emergency=False, confidence=pred.owner_p, rule="model-owner",
            explanation=f"{why}: the caller asks for a person", **common,
        )  # fmt: skip
    if cat is not None and category_owner(cat) == owner:
        common["category_name"] = cat.name
        out = router.category_action(cat, platform, round(pred.owner_p, 3), router.supposes(found.norm), common)
        return replace(out, rule="model-owner", explanation=f"{why}; {out.explanation}")
    common["category"] = None
    if owner == "none":
        return Decision(
            target=platform, action="guide", emergency=False, confidence=pred.owner_p, rule="model-owner",
            explanation=f"{why}: for neither platform, explain and guide", **common,
        )  # fmt: skip
    if owner in PLATFORMS:
        action = "accept" if owner == platform else "transfer"
        guide_number = None
        if action == "transfer" and owner == "110" and router.supposes(found.norm):
            # as the rules do (decide.category_action): a police matter only supposed (如果 / 万一 …), asked
            # at 12345 with nothing happening, is answered with the number to dial, not put through to 110
            action, guide_number = "guide", owner
        return Decision(
            target=owner, action=action, emergency=False, confidence=pred.owner_p, rule="model-owner",
            explanation=f"{why}: {action}", guide_number=guide_number, **common,
        )  # fmt: skip
    number = router.profile.numbers.get(owner)
    if number is None:  # a number this profile does not know: leave it to the rules
        return d
    action = number.handover
    if number.emergency:
        action = number.not_urgent  # nothing happening now: as the profile says (put through, or say the number)
    elif action not in ("transfer", "conference", "guide"):
        action = "guide"
    return Decision(
        target=owner, action=action, emergency=False, confidence=pred.owner_p, rule="model-owner",
        explanation=f"{why}: {number.name}", guide_number=number.dial or None, guide_to=number.name, **common,
    )  # fmt: skip

"""Words of a profile that the router can never use, though the profile's schema accepts them.

- An item's ``exclude`` word drops a hit only where it covers all of it (天然气没气了 drops 没气了): a word that
  covers no hit of its item, said alone, drops nothing (天然气没气); and it is looked for in the normalized text, so
  one holding a filler or a regional word is never found (一直跟着我那个工单 reads 一直跟着我工单 there).
- A phrase, context or exclude word holding a regional word (lexicon ``dialect_words``) is looked for in text where
  that word has been read as its Mandarin (打佢 in text that reads 打他).
- A cue's ``everyday_after`` word is looked for in the normalized text after a hit, so it too must survive
  normalization (铲雪, not 那个铲雪).
- A ``lexicon`` word that the router looks for in the normalized text must survive normalization: one holding a
  filler is looked for in text that has lost it (来人啊 in text without 啊), unless it is looked for with the
  fillers kept (supposition_real: 我就是那个人, 就是这样).

`hotline profiles check` reports them, so an operator's edit that would silently do nothing is caught.
"""

from __future__ import annotations

from hotline.profile import Profile
from hotline.router.decide import _CUE_PREFIX, Router
from hotline.router.normalize import in_mandarin

# the lexicon's word lists that the router looks for in the normalized text (ContextReader, Router.read_context)
READ_NORMALIZED = (
    "negators", "negator_exceptions", "hypothetical", "potential", "habitual", "habitual_after", "feared",
    "feared_exceptions", "feared_anyway", "feared_when", "recalled", "progressive", "progressive_strong",
    "progressive_exceptions", "progressive_unsure", "consult", "question", "dispatch", "past", "long_ago", "urgent",
    "urgent_now", "urgent_weak", "resolved", "ongoing",
)  # fmt: skip
# ... and those it looks for in the normalized text with its fillers kept (ContextReader.supposition_is_real)
READ_WITH_FILLERS = ("supposition_real",)


def dead_words(profile: Profile) -> list[str]:
    """Each word of `profile` the router can never use, with why (empty: none)."""
    router = Router(profile)
    problems = []
    items = [*((c.id, c) for c in profile.categories), *((_CUE_PREFIX + c.id, c) for c in profile.cues)]
    dialect = profile.lexicon.dialect_words
    for key, item in items:
        for field in ("phrases", "context", "exclude"):
            for word in getattr(item, field, ()):
                if (mandarin := in_mandarin(word, dialect)) != word:
                    what = {"phrases": "phrase", "context": "context word", "exclude": "exclude word"}[field]
                    problems.append(f"{key}: {what} {word!r} holds a regional word, the text reads {mandarin!r}")
        for word in item.exclude:
            text = router.normalize(word).text
            if text != word:  # looked for in normalized text (一直跟着我那个工单 reads 一直跟着我工单 there)
                problems.append(f"{key}: exclude word {word!r} is looked for in normalized text: {text!r}")
            elif not any(h.key == key for h in router.hits_in(text)):
                problems.append(f"{key}: exclude word {word!r} covers no hit of it, so it drops nothing")
        for word in getattr(item, "everyday_after", ()):
            if (heard := router.normalize(word).text) != word:
                problems.append(f"{key}: everyday_after word {word!r} is looked for in normalized text: {heard!r}")
    for field in (*READ_NORMALIZED, *READ_WITH_FILLERS):
        for word in getattr(profile.lexicon, field):
            norm = router.normalize(word)
            heard = norm.with_fillers if field in READ_WITH_FILLERS else norm.text
            if heard != word:
                problems.append(f"lexicon.{field}: {word!r} is looked for in normalized text, where it reads {heard!r}")
    return problems

"""Linkage profiles: the city schemes' item lists as validated data.

A profile is a YAML file (see ``profiles/``). City profiles ``extends: national`` and may absorb
national categories into their own annex categories (``includes``). Validation errors name the file
and the field, e.g. ``profiles/guilin.yaml: categories[3].owner: Input should be '110', ...``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

PLATFORMS = ("12345", "110")
Target = Literal[
    "110",
    "12345",
    "119",
    "120",
    "122",
    "12348",
    "12313",
    "12395",
    "utility:power",
    "utility:water",
    "utility:gas",
    "utility:heat",
    "utility:telecom",
    "locksmith",
    "receiving",  # a category's target: stays with whichever platform received the call
]
TARGETS = tuple(t for t in get_args(Target) if t != "receiving")  # what `hotline route` may answer
Owner = Literal["110", "12345", "other", "none", "agent"]
# always: the matter is an emergency by itself (drowning, missing child, fire)
# unless_past: violent matters, an emergency unless the caller tells of the past
# if_urgent: an emergency only with urgency cues (正在, 刚才, 还没走)
# never: not an emergency by itself (emergency cues elsewhere in the utterance still count)
EmergencyRule = Literal["always", "unless_past", "if_urgent", "never"]
Handover = Literal["accept", "transfer", "conference", "guide", "push", "agent"]


# A phrase's gaps: * for a few characters inside one clause (被*打了: 被同学打了), ~ for more, across the
# clauses of one sentence (包~滴滴响: 门口有个包，滴滴在响). The router's PhraseIndex says how many.
WILDCARD = "*"
SENTENCE_WILDCARD = "~"
_GAPS = re.compile(r"([*~])")


def split_gaps(phrase: str) -> list[str]:
    """A phrase's parts and the gaps between them, in order (被*打了 -> 被, *, 打了)."""
    return [p for p in _GAPS.split(phrase) if p]


def is_gapped(phrase: str) -> bool:
    """A phrase with a gap (被*打了, 包~滴滴响): its parts are said apart."""
    return WILDCARD in phrase or SENTENCE_WILDCARD in phrase


def literal_parts(phrase: str) -> list[str]:
    """What a caller says of a phrase: its parts without the gaps (被*打了 -> 被, 打了)."""
    return [p for p in split_gaps(phrase) if p not in (WILDCARD, SENTENCE_WILDCARD)]


class ProfileError(Exception):
    """A profile could not be loaded; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    annex: str = ""  # where the item comes from in the city's scheme
    owner: Owner
    target: Target
    emergency: EmergencyRule = "never"
    handover: Handover | None = None  # None: derived from owner/target and the receiving platform
    phrases: tuple[str, ...] = ()
    # places and people that hint at the domain (公交车, 学校, 医院) but name no matter: half weight
    context: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # longer words that contain a phrase but mean something else (跳楼价)
    includes: tuple[str, ...] = ()  # national categories absorbed (and replaced) by this one
    replaces: tuple[str, ...] = ()  # national categories dropped, their phrases not taken
    weight: float = Field(default=1.0, gt=0, le=5)
    guide_to: str = ""  # for out-of-scope items: the channel the caller is told about

    @field_validator("phrases")
    @classmethod
    def _phrases_clean(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for p in v:
            if not p or not p.strip():
                raise ValueError("empty phrase")
        return v


class Cue(_Strict):
    """An emergency cue: raises any matter to an emergency (weapon, injury, threat to life)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    target: Target = "110"
    alone: bool = True  # False: counts only with an incident (a 110/119/120 matter) or urgency cues
    phrases: tuple[str, ...] = Field(min_length=1)
    exclude: tuple[str, ...] = ()  # longer words that contain a phrase but mean something else (救命钱)
    # words said just after a phrase, in its sentence, that put the thing to everyday work: 拿着铁锹 | 在铲雪
    everyday_after: tuple[str, ...] = ()


class Number(_Strict):
    """A telephony target other than the receiving platform: how it is named, said and reached."""

    name: str
    dial: str = Field(default="", pattern=r"^[0-9]*$")  # the digits a caller would dial, if any
    spoken: str = ""  # how the prompt says it, e.g. 幺幺零
    emergency: bool = False
    handover: Handover = "guide"
    transfer_offer: bool = False  # guide: offer to put the caller through (a trunk is configured)
    # an emergency number's matter with nothing happening now (a fire already out, a crash with nobody hurt, "should
    # I go to hospital"): guide (say the number) or transfer (put the caller through: its call-taker judges)
    not_urgent: Literal["guide", "transfer"] = "guide"

    @model_validator(mode="after")
    def _not_urgent_of_an_emergency_service(self) -> Number:
        # another number's matter is always one with nothing happening now: its handover says what is done
        if self.not_urgent != "guide" and not self.emergency:
            raise ValueError("not_urgent applies to an emergency service (emergency: true); set handover instead")
        return self


class Lexicon(_Strict):
    @field_validator("dialect_words")
    @classmethod
    def _word_pairs(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for pair in v:
            word, _, mandarin = pair.partition("=")
            if not word or not mandarin or "=" in mandarin:
                raise ValueError(f"dialect word {pair!r} is not word=mandarin (咗=了)")
        return v

    @field_validator("past_patterns", "long_ago_patterns", "resolved_patterns", "taken_by_stranger")
    @classmethod
    def _valid_regex(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for pat in v:
            try:
                re.compile(pat)
            except re.error as e:
                raise ValueError(f"bad regular expression {pat!r}: {e}") from None
        return v

    # a regional word and the Mandarin it is read as, ``word=mandarin`` (咗=了, 而家=现在, 阿拉=我们): every other
    # list is written in Mandarin only. Only words no Mandarin sentence holds (not 系: 关系; not 伊: 伊利)
    dialect_words: tuple[str, ...] = ()
    fillers: tuple[str, ...] = ()
    # words that, with the fillers, tell no matter on their own (我, 刚才, 你好, 想问一下): a call of nothing
    # else (我 那个 我刚 你) is a false start, in which the learned layer's probabilities are only its prior
    empty_words: tuple[str, ...] = ()
    negators: tuple[str, ...] = ()
    negator_exceptions: tuple[str, ...] = ()
    hypothetical: tuple[str, ...] = ()
    # a supposition the caller then says is real, in a clause after it (要是有人拿刀闹事怎么办……就现在): what
    # was supposed is reported, not asked about
    supposition_real: tuple[str, ...] = ()
    # said before a phrase's own negation to stress it (说话都不利索, 喊他也不应): every phrase is also heard with one
    # of them there (phrase_index.intensified)
    intensifiers: tuple[str, ...] = ()
    potential: tuple[str, ...] = ()  # 隐患, 频发: a risk or a habit, not an event happening now
    habitual: tuple[str, ...] = ()  # 经常, 天天: a habit; no emergency unless urgency is said in the clause
    # said after a danger in its sentence, a habit too (这话说了好几回了, 不是第一次了): unless urgency is said in it
    habitual_after: tuple[str, ...] = ()
    feared: tuple[str, ...] = ()  # said right before a phrase, it is feared or guarded against (怕着火, 防走失)
    feared_exceptions: tuple[str, ...] = ()  # ... not when the word ends one of these (害怕出人命)
    feared_anyway: tuple[str, ...] = ()  # ... nor before a phrase that begins with one of these (怕爆炸, 怕人还在)
    # a time to come said between the feared word and the phrase (怕哪天着火, 担心以后他走丢): feared too
    feared_when: tuple[str, ...] = ()
    # said right before a phrase (那次地震, 上回着火), it names an event the caller recalls: over, unless urgent
    recalled: tuple[str, ...] = ()
    # said right before a phrase, the aspect of an action going on (在踹门, 正砸): the phrase is happening now
    # unless its own clause tells a past; not when the word ends one of progressive_exceptions (好在, 实在)
    progressive: tuple[str, ...] = ()
    progressive_strong: tuple[str, ...] = ()  # ... those that also make a matter urgent only when said so (正撬)
    progressive_exceptions: tuple[str, ...] = ()
    progressive_unsure: tuple[str, ...] = ()  # ... nor in a sentence that only suspects or informs (我怀疑…在吸毒)
    consult: tuple[str, ...] = ()
    # a sentence asking something (能报警吗, 要不要打120, 去哪里开单子): a danger word in it is asked about,
    # not happening, unless strong urgency is said in the same sentence
    question: tuple[str, ...] = ()
    # a request that someone come now (派人过来, 能不能来个人): a sentence asking for it is no mere question
    dispatch: tuple[str, ...] = ()
    past: tuple[str, ...] = ()
    past_patterns: tuple[str, ...] = ()  # regular expressions, e.g. dates: 7月5号, 2019年
    long_ago: tuple[str, ...] = ()  # long past (上个月, 几年前): not even an always-urgent matter is urgent
    long_ago_patterns: tuple[str, ...] = ()
    urgent: tuple[str, ...] = ()
    urgent_now: tuple[str, ...] = ()  # the strongest urgency: the only kind that counts in a narrative
    urgent_weak: tuple[str, ...] = ()  # urgent words that a past marker beside them outweighs (现在)
    # the matter is over, said after it (火已经灭了, 孩子找到了, 后来没事了); not when denied (还没找到)
    resolved: tuple[str, ...] = ()
    # the same, as regular expressions: someone took the matter away (已经被救护车接走了, 被保安拉开了)
    resolved_patterns: tuple[str, ...] = ()
    # regular expressions: someone taken away by a stranger (被一个自称是他舅舅的人接走了, 被几个人拉上车带走了) - an
    # abduction, where the same words said of a helper (被救护车接走了) tell a resolution
    taken_by_stranger: tuple[str, ...] = ()
    ongoing: tuple[str, ...] = ()  # after a resolution, the danger goes on (又, 还在): not over
    # words with which a caller breaks off one matter to tell another (你等一下, 不对, 还有个事): what follows
    # is also read as a call of its own (Router.broke_off)
    break_off: tuple[str, ...] = ()
    break_off_exceptions: tuple[str, ...] = ()  # words holding one that break nothing off (对不对)
    # words that break off another matter only when the caller pauses after them (还有，我楼下那个老太太摔了 but
    # not 还有人在打; 然后，就是，门外有人在割防盗门 but not 然后他就走了): a pause mark or a space follows,
    # perhaps after a particle (还有啊，)
    break_off_before_pause: tuple[str, ...] = ()
    # exclamations said alone between pauses (……啊，有人从后面勒我; 诶诶诶，下边那两伙人抄家伙了): the caller sees
    # something happen while telling another matter
    break_off_exclamations: tuple[str, ...] = ()
    # words that break off another matter after the caller trails off (…… or ——): 天天吵……现在他们在里面吵
    break_off_after_trailing: tuple[str, ...] = ()
    # words that break off another matter when they open a sentence, or after the caller trails off (。！？ …… ——):
    # 没有加班费。今天有个妹子在流水线上倒了
    break_off_after_sentence: tuple[str, ...] = ()
    # words of a matter already handed in (我上次投诉过, 你们说转给社区, 协调过了): after one, a word of now said
    # after a pause (``break_off_after_reported``: 现在, 今天, 刚才) opens what has happened since, read as a call of
    # its own (上次投诉的违规搭建，现在它塌下来了，压到了人) - where, with no matter before it, the same word after a
    # comma goes on with the same matter (钱借出去了，今天又来吵)
    already_reported: tuple[str, ...] = ()
    # so is a word of the past followed within a clause by one of these (上周投诉楼上漏水, 昨天报警说他跟踪我)
    report_verbs: tuple[str, ...] = ()
    # and, in a spoken request only, a word that sounds as one of these (toneless): the recognizer's 回房 for 回访
    already_reported_by_sound: tuple[str, ...] = ()
    break_off_after_reported: tuple[str, ...] = ()
    # words with which a caller plays the matter down before telling it (也没什么大事，就是…; 也没啥，…): said within
    # the call's first few characters (``decide.PLAYED_DOWN_WITHIN``), what follows the next pause is read as a call
    # of its own - read as one, the opening calms a danger told after it (…我弟喝完酒说要去江边，鞋子脱在大桥上了)
    played_down: tuple[str, ...] = ()
    # break-off words found by their sound too in a spoken request, as the recognizer writes them (哀压, 爱压 for 哎呀;
    # 握槽 for 卧槽): exclamations only, whose sound few ordinary words share (not 对了: 堆了)
    break_off_by_sound: tuple[str, ...] = ()


class Settings(_Strict):
    max_chars: int = Field(default=4000, ge=50, le=100000)
    overlap_ratio: float = Field(default=0.8, gt=0, le=1)
    emergency_handover: Literal["transfer", "conference"] = "transfer"
    negation_window: int = Field(default=4, ge=1, le=10)
    # Longer input is a narrative (a written message, a long monologue): homophone repair is off
    # and an emergency needs urgency said in the same clause.
    spoken_max_chars: int = Field(default=80, ge=10, le=100000)
    # A caller who breaks off a long story to say what is happening (…哎你等一下，我楼下在往外冒黑烟) tells
    # its last clauses as a spoken request: up to this many characters at the end of a narrative are read
    # so (0: none).
    narrative_tail_chars: int = Field(default=0, ge=0, le=200)
    # What follows a break-off word (lexicon ``break_off``) is read as a call of its own when it holds at
    # least this many Chinese characters (0: never): fewer tell no matter (等一下，我问一下我老公).
    break_off_min_chars: int = Field(default=0, ge=0, le=200)
    min_confidence: float = Field(default=0.3, ge=0, le=1)


class Deadlines(_Strict):
    """督办: how long the target platform has for each step of a work order (national defaults)."""

    accept_minutes: float = Field(default=60, gt=0)  # 受理: accept (or return) within an hour
    return_working_days: float = Field(default=2, gt=0)  # a misrouted order goes back within 2 working days
    reply_working_days: float = Field(default=5, gt=0)  # 办结: reply within 5 working days...
    reply_max_working_days: float = Field(default=10, gt=0)  # ...extensible to 10
    near_due_hours: float = Field(default=4, gt=0)  # the "near due" list looks this far ahead
    remind_every_hours: float = Field(default=24, gt=0)  # an overdue order is reminded (escalated) again

    @model_validator(mode="after")
    def _extension_not_shorter(self) -> Deadlines:
        if self.reply_max_working_days < self.reply_working_days:
            raise ValueError("reply_max_working_days must be at least reply_working_days")
        return self


_HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$")


class FollowupPolicy(_Strict):
    """回访: the call back to the caller once an order is resolved."""

    hours: tuple[str, ...] = ("09:00-12:00", "14:00-20:00")  # calling hours, site time: never at night
    attempts: int = Field(default=3, ge=1, le=10)
    retry_minutes: float = Field(default=60, gt=0)  # wait between attempts (no answer, busy)
    ring_seconds: int = Field(default=30, ge=5, le=120)

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("at least one calling window, e.g. 09:00-12:00")
        for w in v:
            if not _HOURS.match(w) or w[:5] >= w[6:]:
                raise ValueError(f"calling window {w!r}: expected HH:MM-HH:MM, start before end")
        return v


class Region(_Strict):
    """GB/T 2260 administrative division of the scheme, and of places callers name."""

    code: str = Field(pattern=r"^\d{6}$")
    name: str
    places: dict[str, str] = Field(default_factory=dict)  # 和平区: "120101"

    @field_validator("places")
    @classmethod
    def _codes(cls, v: dict[str, str]) -> dict[str, str]:
        for name, code in v.items():
            if not re.fullmatch(r"\d{6}", code):
                raise ValueError(f"places.{name}: {code!r} is not a 6-digit GB/T 2260 code")
        return v


class Conversation(_Strict):
    """How the IVR talks with callers of one platform (prompt names are files in sounds/zh/hotline)."""

    welcome: str = Field(pattern=r"^[a-z0-9-]+$")  # greets and asks in one prompt; the caller may talk over it
    ask_again: str = Field(default="ask-again", pattern=r"^[a-z0-9-]+$")
    # how often a caller not understood is asked again before a person takes the call: never more than once
    reasks: int = Field(default=1, ge=0, le=1)
    no_speech_s: float = Field(default=6.0, gt=1, le=20)  # silence after the question before acting
    to_person: str = Field(pattern=r"^[a-z0-9-]+$")  # said as a person takes a caller not understood


def _default_conversation() -> dict[str, Conversation]:
    return {
        "12345": Conversation(welcome="welcome-12345", no_speech_s=5.0, to_person="agent"),
        "110": Conversation(welcome="welcome-110", reasks=0, no_speech_s=5.0, to_person="accept-110"),
    }


class ProfileFile(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    source: str = ""
    extends: str | None = None
    settings: Settings | None = None
    lexicon: Lexicon | None = None
    conversation: dict[Literal["12345", "110"], Conversation] | None = None
    numbers: dict[str, Number] = Field(default_factory=dict)
    cues: tuple[Cue, ...] = ()
    categories: tuple[Category, ...] = ()
    deadlines: Deadlines | None = None
    followup: FollowupPolicy | None = None
    region: Region | None = None

    @field_validator("numbers")
    @classmethod
    def _known_numbers(cls, v: dict[str, Number]) -> dict[str, Number]:
        for key in v:
            if key not in TARGETS:
                raise ValueError(f"unknown number {key!r}; expected one of {', '.join(TARGETS)}")
        return v

    @model_validator(mode="after")
    def _unique_ids(self) -> ProfileFile:
        seen: set[str] = set()
        for c in self.categories:
            if c.id in seen:
                raise ValueError(f"duplicate category id {c.id!r}")
            seen.add(c.id)
        return self


@dataclass(frozen=True)
class Profile:
    """A resolved profile: the national default merged with a city's own items."""

    id: str
    name: str
    source: str
    path: Path
    settings: Settings
    lexicon: Lexicon
    numbers: dict[str, Number]
    cues: tuple[Cue, ...]
    categories: tuple[Category, ...]
    own_category_ids: tuple[str, ...] = field(default=())
    deadlines: Deadlines = field(default_factory=Deadlines)
    followup: FollowupPolicy = field(default_factory=FollowupPolicy)
    region: Region | None = None
    conversation: dict[str, Conversation] = field(default_factory=_default_conversation)

    def category(self, cid: str) -> Category:
        for c in self.categories:
            if c.id == cid:
                return c
        raise KeyError(cid)


def profile_dirs() -> list[Path]:
    """Where profiles are looked up: $HOTLINE_PROFILE_DIR (operator's own) first, then the shipped ones."""
    dirs: list[Path] = []
    from hotline.config import settings

    own = settings().profile_dir
    if own:
        dirs.append(own)
    dirs.append(Path(str(resources.files("hotline.profiles"))))
    return dirs


def available_profiles() -> list[str]:
    names: set[str] = set()
    for d in profile_dirs():
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.yaml"))
    return sorted(names)


def find_profile_file(name: str) -> Path:
    if not name or "/" in name or name.startswith("."):
        raise ProfileError(f"invalid profile name {name!r}")
    for d in profile_dirs():
        p = d / f"{name}.yaml"
        if p.is_file():
            return p
    raise ProfileError(f"unknown profile {name!r}; available: {', '.join(available_profiles()) or 'none'}")


def _format_loc(loc: Iterable[object]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def read_profile_file(path: Path) -> ProfileFile:
    """Parse and validate one YAML file; errors say which file and which field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ProfileError(f"{path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise ProfileError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise ProfileError(f"{path}:{where} invalid YAML: {getattr(e, 'problem', e)}") from None
    if not isinstance(raw, dict):
        raise ProfileError(f"{path}: (top level): expected a mapping of profile fields")
    try:
        return ProfileFile.model_validate(raw)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            loc = _format_loc(err["loc"])
            # name the category by id, so an operator finds it in a long list
            cats = raw.get("categories")
            if err["loc"][:1] == ("categories",) and len(err["loc"]) > 1 and isinstance(cats, list):
                idx = err["loc"][1]
                if isinstance(idx, int) and idx < len(cats) and isinstance(cats[idx], dict):
                    loc += f" (category {cats[idx].get('id', '?')!r})"
            lines.append(f"{path}: {loc}: {err['msg']}")
        raise ProfileError("\n".join(lines)) from None


def _resolve(pf: ProfileFile, path: Path, chain: tuple[str, ...]) -> Profile:
    if pf.extends is None:
        return Profile(
            id=pf.id,
            name=pf.name,
            source=pf.source,
            path=path,
            settings=pf.settings or Settings(),
            lexicon=pf.lexicon or Lexicon(),
            numbers=dict(pf.numbers),
            cues=pf.cues,
            categories=pf.categories,
            own_category_ids=tuple(c.id for c in pf.categories),
            deadlines=pf.deadlines or Deadlines(),
            followup=pf.followup or FollowupPolicy(),
            region=pf.region,
            conversation={**_default_conversation(), **(pf.conversation or {})},
        )
    if pf.extends in chain:
        raise ProfileError(f"{path}: extends: cycle through {' -> '.join((*chain, pf.extends))}")
    base = load_profile_path(find_profile_file(pf.extends), (*chain, pf.id))
    base_ids = {c.id for c in base.categories}
    absorbed: set[str] = set()
    own: list[Category] = []
    for i, c in enumerate(pf.categories):
        phrases = list(c.phrases)
        for inc in c.includes:
            if inc not in base_ids:
                raise ProfileError(f"{path}: categories[{i}].includes: {inc!r} is not a category of {pf.extends!r}")
            phrases.extend(base.category(inc).phrases)
            absorbed.add(inc)
        for rep in c.replaces:
            if rep not in base_ids:
                raise ProfileError(f"{path}: categories[{i}].replaces: {rep!r} is not a category of {pf.extends!r}")
            absorbed.add(rep)
        if not phrases:
            raise ProfileError(f"{path}: categories[{i}].phrases: category {c.id!r} has no phrases")
        context = list(c.context)
        for inc in c.includes:
            context.extend(base.category(inc).context)
        own.append(
            c.model_copy(update={"phrases": tuple(dict.fromkeys(phrases)), "context": tuple(dict.fromkeys(context))})
        )
    own_ids = {c.id for c in own}
    kept = [c for c in base.categories if c.id not in absorbed and c.id not in own_ids]
    numbers = dict(base.numbers)
    numbers.update(pf.numbers)
    cue_ids = {c.id for c in pf.cues}
    cues = tuple(c for c in base.cues if c.id not in cue_ids) + pf.cues
    lex = base.lexicon
    if pf.lexicon is not None:  # a city's lexicon adds to the national one
        merged = {k: tuple(dict.fromkeys((*getattr(lex, k), *v))) for k, v in pf.lexicon}
        lex = Lexicon(**merged)
    return Profile(
        id=pf.id,
        name=pf.name,
        source=pf.source,
        path=path,
        settings=pf.settings or base.settings,
        lexicon=lex,
        numbers=numbers,
        cues=cues,
        categories=(*own, *kept),
        own_category_ids=tuple(c.id for c in own),
        deadlines=pf.deadlines or base.deadlines,
        followup=pf.followup or base.followup,
        region=pf.region or base.region,
        conversation={**base.conversation, **(pf.conversation or {})},
    )


def load_profile_path(path: Path, chain: tuple[str, ...] = ()) -> Profile:
    profile = _resolve(read_profile_file(path), path, chain)
    _check_targets(profile)
    return profile


def _check_targets(p: Profile) -> None:
    for i, c in enumerate(p.categories):
        if c.target not in PLATFORMS and c.target != "receiving" and c.target not in p.numbers:
            raise ProfileError(
                f"{p.path}: categories[{i}].target: {c.target!r} (category {c.id!r}) has no entry under numbers:"
            )


@lru_cache(maxsize=32)
def _load_cached(path: str, mtime: float) -> Profile:
    return load_profile_path(Path(path))


def load_profile(name: str) -> Profile:
    """Load a profile by name (cached until its file changes)."""
    path = find_profile_file(name)
    return _load_cached(str(path), path.stat().st_mtime)

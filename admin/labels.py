"""Chinese names for what the call log stores as codes: one table (labels_zh.yaml) plus the profiles
(category and number names) and the prompt list (sounds/prompts.tsv)."""

from __future__ import annotations

import csv
import time
from functools import cache, lru_cache, wraps
from importlib import resources
from typing import Any

import yaml

from hotline.config import REPO
from hotline.profile import ProfileError, load_profile


@cache
def table() -> dict[str, Any]:
    text = resources.files("hotline.admin").joinpath("labels_zh.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


PLATFORM: dict[str, str] = table()["platforms"]
ACTION: dict[str, str] = table()["actions"]
EVENT: dict[str, str] = table()["events"]
ROLE: dict[str, str] = table()["roles"]
SCOPE: dict[str, str] = table()["scopes"]
AUDIT_ACTION: dict[str, str] = table()["audit_actions"]
OUTCOME_KIND: dict[str, str] = table()["outcomes"]
REVIEW_DESTINATIONS: list[dict[str, str]] = table()["review_destinations"]
OWNER: dict[str, str] = table()["owners"]
AUDIT_VIA: dict[str, str] = table()["audit_via"]
AUDIT_OBJECT: dict[str, str] = table()["audit_objects"]
EMERGENCY_RULE: dict[str, str] = table()["emergency_rules"]


def _fresh(fn):
    """Memoised for a minute: a list or an export asks for the same few names thousands of times, and
    a profile edited by an operator still shows within the minute."""
    cached = lru_cache(maxsize=8192)(lambda minute, *args: fn(*args))

    @wraps(fn)
    def wrapped(*args):
        return cached(int(time.monotonic() // 60), *args)

    return wrapped


def _profile(name: str | None):
    try:
        return load_profile(name or "national")
    except (ProfileError, OSError):
        return load_profile("national")


@_fresh
def target(code: str | None, profile: str | None = None) -> str:
    """'119' -> '119 消防救援', 'utility:power' -> '供电抢修（95598）', '110' -> '110 报警台'."""
    if not code:
        return ""
    fixed = table()["targets"]
    if code in fixed:
        return fixed[code]
    number = _profile(profile).numbers.get(code)
    if number is None:
        return code
    if number.dial and code == number.dial:
        return f"{code} {number.name}"
    return f"{number.name}（{number.dial}）" if number.dial else number.name


def target_choices(profile: str | None = None) -> dict[str, str]:
    """Every target a decision can name, for filters: code -> label."""
    codes = ["110", "12345", *_profile(profile).numbers]
    return {c: target(c, profile) for c in codes}


@_fresh
def category(cid: str | None, profile: str | None = None) -> str:
    """A category's name from the call's profile (a cue's name when an emergency cue named it)."""
    if not cid:
        return ""
    prof = _profile(profile)
    for c in prof.categories:
        if c.id == cid:
            return c.name
    for cue in prof.cues:
        if cue.id == cid:
            return cue.name
    return cid


@_fresh
def short_category(cid: str | None, profile: str | None = None) -> str:
    """The name without its parenthesised detail, for charts: 打架斗殴、伤害."""
    return category(cid, profile).split("（")[0]


def category_choices(profile: str | None = None) -> list[tuple[str, str]]:
    return [(c.id, c.name) for c in _profile(profile).categories]


@_fresh
def rule(code: str | None) -> str:
    return table()["rules"].get(code or "", code or "")


def explanation(route: dict[str, Any] | None, profile: str | None = None) -> str:
    """The decision's reason in Chinese, built from its fields (the router's own text is English)."""
    if not route:
        return ""
    r = route.get("rule") or ""
    template = table()["explanations"].get(r)
    if template is None:
        return route.get("explanation") or ""
    triggers = [e["phrase"] for e in route.get("evidence") or [] if e.get("emergency")] or route.get("matched") or []
    guide = route.get("guide_to") or target(route.get("target"), profile)
    if route.get("guide_number"):
        guide = f"{guide}（{route['guide_number']}）"
    values = {
        "category": route.get("category_name") or category(route.get("category"), profile) or "—",
        "target": target(route.get("target"), profile),
        "triggers": "、".join(dict.fromkeys(triggers)) or "—",
        "guide": guide,
        "next": table()["next_step"].get(route.get("action") or "", ""),
    }
    text = template.format(**values)
    if route.get("told_last"):
        text += table()["told_last"].format(tail=route["told_last"])
    if route.get("danger_hint") and not route.get("emergency"):
        notes = table()["danger_hint"]
        text += notes.get(route.get("action") or "", notes["other"])
    return text


@_fresh
def outcome(value: str | None, profile: str | None = None) -> str:
    """'reached:119' -> '已转至 119 消防救援'; 'conference:caller+agent-110+119' -> '三方通话：来电人、…'."""
    kinds = table()["outcomes"]
    if not value:
        return kinds["pending"]
    kind, _, rest = value.partition(":")
    label = kinds.get(kind, kind)
    if not rest:
        return label
    if kind == "conference":
        people = table()["participants"]
        return f"{label}：" + "、".join(people.get(p) or target(p, profile) for p in rest.split("+"))
    return f"{label} {target(rest, profile)}"


def outcome_choices() -> dict[str, str]:
    kinds = dict(table()["outcomes"])
    kinds.pop("pending", None)
    kinds["reached"] = "已转出"
    kinds["guided"] = "已引导"
    return kinds


@cache
def prompts() -> dict[str, str]:
    path = REPO / "sounds" / "prompts.tsv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as f:
        rows = csv.reader((line for line in f if not line.startswith("#")), delimiter="\t")
        return {r[0]: r[1] for r in rows if len(r) >= 2 and r[0] != "name"}


def event_kind(kind: str) -> str:
    return EVENT.get(kind, kind)


def event_detail(kind: str, detail: dict[str, Any] | None, profile: str | None = None) -> list[tuple[str, str]]:
    """A timeline entry's fields as (Chinese name, Chinese value); unknown fields are left out."""
    if not detail:
        return []
    names = {**table()["event_fields"], **table().get("event_fields_by_kind", {}).get(kind, {})}
    values = table()["event_values"]
    out = []
    for key, value in detail.items():
        if key not in names or value in (None, "", []):
            continue
        if key == "prompt":
            shown = prompts().get(str(value), str(value))
        elif key == "action":
            shown = ACTION.get(str(value), str(value))
        elif key in ("target", "participant"):
            shown = table()["participants"].get(str(value)) or target(str(value), profile)
        elif key == "platform":
            shown = PLATFORM.get(str(value), str(value))
        elif key == "rule":
            shown = rule(str(value))
        elif key == "category":
            shown = category(str(value), profile)
        elif isinstance(value, list):
            shown = "、".join(str(v) for v in value)
        else:
            shown = values.get(str(value), str(value))
        out.append((names[key], shown))
    return out


def audit_action(code: str) -> str:
    return AUDIT_ACTION.get(code, code)


def review_destination(kind: str, targets: str) -> str:
    for d in REVIEW_DESTINATIONS:
        if d["kind"] == kind and d["targets"] == targets:
            return d["label"]
    return f"{kind} {targets}"

"""The dialplan and the Python code name the same things: hotline.contract is the one list.

Reads every dialplan file (production and the simulation overlay) and fails when a channel variable,
UserEvent or action is used there but not named in the contract, or named there and used nowhere."""

from __future__ import annotations

import re

from hotline.config import REPO
from hotline.contract import Action, Event, Var

DIALPLAN = [*(REPO / "dialplan").glob("*.conf"), *(REPO / "asterisk-sim").glob("extensions*.conf")]
PYTHON = [*(REPO / "agi").glob("*.py"), *(REPO / "hotline").glob("*.py")]


def dialplan_text() -> str:
    # comments say what the names mean; only code counts
    return "\n".join(re.sub(r";.*", "", f.read_text(encoding="utf-8")) for f in DIALPLAN)


def test_every_channel_variable_in_the_dialplan_is_in_the_contract_and_back():
    used = set(re.findall(r"\bHL_[A-Z_]+\b", dialplan_text()))
    assert used == {v.value for v in Var}, f"not in contract: {used - set(Var)}; unused: {set(Var) - used}"


def test_every_user_event_raised_is_in_the_contract_and_back():
    raised = set(re.findall(r"UserEvent\((\w+)", dialplan_text()))
    assert raised == {e.value for e in Event}, (
        f"not in contract: {raised - set(Event)}; never raised: {set(Event) - raised}"
    )


def test_every_action_has_its_extension_and_back():
    extensions = set(re.findall(r"exten => act-([a-z]+),", dialplan_text()))
    assert extensions == {a.value for a in Action}


def test_python_never_spells_a_contract_name_itself():
    names = [v.value for v in Var] + [e.value for e in Event]
    offenders = []
    for f in PYTHON:
        if f.name == "contract.py":
            continue
        text = f.read_text(encoding="utf-8")
        offenders += [f"{f.relative_to(REPO)}: {n}" for n in names if re.search(rf"[\"']{n}[\"'=]", text)]
    assert offenders == []

"""How the simulated neighbours and agent phones (asterisk-sim/extensions_local.conf) behave for one
test call: AstDB entries keyed by the test caller's number, written before the call is placed."""

from __future__ import annotations

from hotline import asterisk
from hotline.config import Config

BEHAVIOURS = ("busy", "noanswer", "noanswer-once")
FAMILY = "hotline-sim"


def _put(cfg: Config, key: str, value: str) -> None:
    r = asterisk.rx(cfg, f"database put {FAMILY} {key} {value}")
    if r.returncode != 0 or "success" not in r.stdout.lower():
        raise RuntimeError(f"could not set {FAMILY}/{key} in the simulated network: {r.stdout or r.stderr}")


def set_agent_script(cfg: Config, caller: str, keys: str) -> None:
    """The simulated agent who takes this caller presses these keys (*1 hand over, *3 three-way)."""
    if not keys or not set(keys) <= set("0123456789*#"):
        raise ValueError("agent keys are 0-9, * and #")
    _put(cfg, f"{caller}/script", keys)


def set_neighbour(cfg: Config, caller: str, neighbour: str, behaviour: str) -> None:
    """The simulated neighbour (110, 12345, 119 …) is busy / does not answer for this caller's call."""
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"behaviour is one of {', '.join(BEHAVIOURS)}")
    if not neighbour.isalnum():
        raise ValueError("a neighbour is a number such as 110")
    _put(cfg, f"{caller}/{neighbour}", behaviour)

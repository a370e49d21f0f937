"""The end-to-end samples, as a real call hears them, route with the shipped model as the end-to-end tests expect.

A sample's fate in a call can hang on the model's probability for its transcript: the danger-hint sample must sit
between the hint and emergency thresholds. A retrained model that moves it across one fails the end-to-end layer
some 25 minutes into CI (session 57: the sample of the day went from p 0.12 to 0.43, an emergency). The transcript
a real call heard (`sounds/samples/heard.tsv`, taken from the call log of an end-to-end call: for one WAV and one
recognizer it came out the same in 12 calls on both platforms) is routed here, in the fast layer, so that such a
model fails in the first minutes, with the probability in the message.
"""

from __future__ import annotations

import csv

import pytest

from hotline.config import REPO
from hotline.router import route_call

SAMPLES = REPO / "sounds" / "samples"


def heard() -> dict[str, dict[str, str]]:
    with (SAMPLES / "heard.tsv").open(encoding="utf-8", newline="") as f:
        return {r["sample"]: r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)}


def test_every_transcript_kept_is_of_a_sample_that_exists():
    rows = heard()
    assert rows
    for name, r in rows.items():
        assert (SAMPLES / name).is_file(), name
        assert r["said"].strip() and r["heard"].strip(), name


@pytest.mark.parametrize(
    ("platform", "action"),
    [("110", "conference"), ("12345", "accept")],  # 110's call-taker stays on the line; a 12345 agent is warned
)
def test_the_danger_hint_sample_is_a_12345_matter_with_a_hint_for_the_shipped_model(platform, action):
    text = heard()["caller-branch-hint.wav"]["heard"]
    d = route_call(text, platform)
    assert d.model and d.model.get("version"), "no learned layer installed: run `make setup` (hotline train)"
    th, p = d.model["thresholds"], d.model["p_emergency"]
    why = f"p_emergency {p} (hint {th['hint']}, emergency {th['emergency']}): pick another sample (README, session 58)"
    assert not d.emergency and d.danger_hint, why
    assert (d.target, d.action) == ("12345", action), why

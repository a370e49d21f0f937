"""The e2e tests' ear: how a leg's recording is searched for a prompt (tests/telephony.py)."""

from __future__ import annotations

import numpy as np
import pytest

from hotline.config import REPO
from hotline.sim.sipcall import read_wav_8k
from tests.telephony import best_correlation, how_clearly_heard

SOUNDS = REPO / "sounds"


def sound(path: str) -> np.ndarray:
    return read_wav_8k(SOUNDS / path).astype(np.float64)


def recorded(*parts: np.ndarray, noise: float = 30.0) -> np.ndarray:
    """A leg's recording: silence around what it heard, with a line's faint noise."""
    gap = np.zeros(4000)
    heard = np.concatenate([gap, *parts, gap])
    return heard + np.random.default_rng(7).normal(0.0, noise, len(heard))


@pytest.fixture
def warning() -> np.ndarray:
    return sound("zh/hotline/agent-danger-hint.wav")


def test_a_warning_heard_whole_is_heard_clearly(warning):
    assert how_clearly_heard(warning, recorded(warning)) > 0.95


@pytest.mark.parametrize("at", [0.2, 0.5, 0.8])
def test_a_frame_lost_in_the_warning_costs_one_piece_of_it(warning, at):
    # 40 ms lost shifts all that follows; the pieces before and after the loss still match
    cut = int(len(warning) * at)
    slipped = recorded(warning[:cut], warning[cut + 320 :])
    assert how_clearly_heard(warning, slipped) > 0.75


def test_a_recording_started_late_still_hears_the_warning(warning):
    # a busy machine that starts recording late: one correlation of the whole no longer finds the warning
    late = recorded(warning[len(warning) * 3 // 10 :])
    assert best_correlation(warning, late) < 0.3
    assert how_clearly_heard(warning, late) > 0.6


def test_a_callers_words_are_not_the_warning(warning):
    callers = [sound(f"samples/{name}.wav") for name in ("caller-fight", "caller-leak", "caller-roof")]
    assert how_clearly_heard(warning, recorded(*callers)) < 0.3

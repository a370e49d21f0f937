"""Audio capture, fallback path: record what the caller says after the prompt (RECORD FILE).

The live path (agi/live_capture.py, AudioSocket) is the default; this one serves when a site turns
it off (HOTLINE_CAPTURE=record). RECORD FILE writes an 8 kHz WAV where Asterisk runs; the service
reads it from the host side (`Config.host_path`). The end of speech is the recording's end less its trailing silence.
"""

from __future__ import annotations

import time
import wave
from pathlib import Path

import numpy as np

from hotline.agi.channel import AgiChannel
from hotline.agi.utterance import Utterance

SILENCE_RMS = 300  # int16 RMS of a 20 ms frame below which it counts as silence (line noise)


def trailing_silence_s(path: Path) -> tuple[float, float, float]:
    """(duration, voiced seconds, trailing silence) of a 16-bit mono WAV."""
    try:
        with wave.open(str(path), "rb") as w:
            rate = w.getframerate()
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32)
    except (OSError, EOFError, wave.Error):
        return 0.0, 0.0, 0.0
    frame = rate // 50
    n = len(pcm) // frame
    if n == 0:
        return len(pcm) / max(rate, 1), 0.0, 0.0
    rms = np.sqrt(np.mean(pcm[: n * frame].reshape(n, frame) ** 2, axis=1))
    voiced = rms > SILENCE_RMS
    duration = len(pcm) / rate
    if not voiced.any():
        return duration, 0.0, duration
    last = int(np.nonzero(voiced)[0][-1])
    return duration, float(voiced.sum()) / 50, duration - (last + 1) / 50


async def capture_utterance(
    agi: AgiChannel, path_in_asterisk: str, host_path: Path, max_s: int = 20, silence_s: int = 2
) -> Utterance:
    started = time.time()
    ended_by, digit = await agi.record(path_in_asterisk, max_s * 1000, silence_s)
    stopped = time.time()
    wav = host_path.parent / (host_path.name + ".wav")  # uniqueids have dots: no with_suffix
    _duration, voiced, trailing = trailing_silence_s(wav)
    return Utterance(wav, started, stopped, stopped - trailing, voiced, ended_by, digit)

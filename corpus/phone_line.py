"""What the public phone network does to a caller's voice, for synthesized training speech.

The synthesizer (`../shared/tools/zh-tts --rate 8000`) already gives 8 kHz audio band-limited to
300-3400 Hz; this module adds the rest of the line: a level that varies from caller to caller, light
line noise, silence around the speech, and the G.711 A-law codec (8 bits a sample) that the public
network carries. Everything is seeded, so a corpus rebuilds to the same audio.
"""

from __future__ import annotations

import numpy as np

_SEG_END = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])


def alaw_encode(pcm: np.ndarray) -> np.ndarray:
    """Signed 16-bit samples -> G.711 A-law bytes (ITU-T G.711, as Sun's g711.c)."""
    x = pcm.astype(np.int32) >> 3  # 13-bit magnitude range
    mask = np.where(x >= 0, 0xD5, 0x55)
    x = np.where(x >= 0, x, -x - 1)
    seg = np.searchsorted(_SEG_END, x)  # first segment whose end >= x
    shift = np.where(seg < 2, 1, seg)
    aval = (np.minimum(seg, 7) << 4) | ((x >> shift) & 0xF)
    aval = np.where(seg >= 8, 0x7F, aval)
    return (aval ^ mask).astype(np.uint8)


def alaw_decode(code: np.ndarray) -> np.ndarray:
    """G.711 A-law bytes -> signed 16-bit samples."""
    a = code.astype(np.int32) ^ 0x55
    t = (a & 0xF) << 4
    seg = (a & 0x70) >> 4
    t = np.where(seg == 0, t + 8, t + 0x108)
    t = np.where(seg > 1, t << np.maximum(seg - 1, 0), t)
    return np.where(a & 0x80, t, -t).astype(np.int16)


def phone_line(pcm: np.ndarray, rng: np.random.Generator, rate: int = 8000) -> np.ndarray:
    """8 kHz int16 speech -> the same speech as it arrives over a phone call (int16, A-law quantized).

    Level: speech peak between -12 and -3 dBFS. Noise: white line noise 28-40 dB under the speech RMS.
    Silence: 0.2-0.5 s before, 0.8-1.2 s after (the listener's end-of-speech detector needs it).
    """
    x = pcm.astype(np.float64) / 32768.0
    peak = float(np.max(np.abs(x))) or 1.0
    x *= 10 ** (rng.uniform(-12, -3) / 20) / peak
    lead = np.zeros(int(rate * rng.uniform(0.2, 0.5)))
    tail = np.zeros(int(rate * rng.uniform(0.8, 1.2)))
    x = np.concatenate([lead, x, tail])
    speech_rms = float(np.sqrt(np.mean(np.square(x[len(lead) : len(x) - len(tail)])))) if len(pcm) else 0.01
    noise_rms = speech_rms * 10 ** (-rng.uniform(28, 40) / 20)
    x = x + rng.normal(0.0, noise_rms, len(x))
    pcm16 = np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)
    return alaw_decode(alaw_encode(pcm16))

"""The recognizer interface the call flow uses, and engine selection."""

from __future__ import annotations

import logging
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger("hotline.asr")


@dataclass(frozen=True)
class Transcript:
    text: str  # simplified Chinese; "" when nothing was said (silence, noise, music)
    engine: str
    model: str
    audio_s: float
    decode_s: float
    no_speech: bool = False


class Recognizer(Protocol):
    engine: str
    model: str

    def transcribe_pcm(self, pcm16k: np.ndarray) -> Transcript:
        """Recognize one utterance: float32 mono samples at 16 kHz in [-1, 1]."""
        ...


def read_wav_16k(path: str | Path) -> np.ndarray:
    """A WAV file (8 or 16 kHz, 16-bit, mono or stereo) as float32 mono at 16 kHz."""
    with wave.open(str(path), "rb") as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    if width != 2:
        raise ValueError(f"{path}: expected 16-bit PCM, got {8 * width}-bit")
    return pcm16_to_16k(raw, rate, channels)


def write_wav(path: str | Path, pcm: bytes, rate: int = 8000) -> None:
    """Signed 16-bit mono PCM as a WAV file (folders created)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)


def pcm16_to_16k(raw: bytes, rate: int = 8000, channels: int = 1) -> np.ndarray:
    """Signed 16-bit little-endian PCM (a WAV's frames, AudioSocket's payload) as float32 mono at 16 kHz.

    The phone line is 8 kHz; the models want 16 kHz: soxr's band-limited resampler, not sample doubling,
    so the upper half of the spectrum stays empty instead of filling with images.
    """
    import soxr

    pcm = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        pcm = pcm.reshape(-1, channels).mean(axis=1)
    if rate != 16000:
        pcm = soxr.resample(pcm, rate, 16000, quality="HQ").astype(np.float32)
    return pcm


class NoRecognizer:
    """No speech engine: the call flow falls back to its DTMF menu."""

    engine = "none"
    model = ""

    def transcribe_pcm(self, pcm16k: np.ndarray) -> Transcript:
        return Transcript("", self.engine, self.model, len(pcm16k) / 16000, 0.0, no_speech=True)


@lru_cache(maxsize=4)
def get_recognizer(
    engine: str = "auto", model: str | None = None, bias: str | None = None, profile: str | None = None
) -> Recognizer:
    """The configured engine. "auto": a Chinese Vosk model (streaming, the product's default) when one
    is installed, else Whisper, else none. `bias` (Whisper: none | hotwords | prompt; default: the
    setting HOTLINE_ASR_BIAS) conditions decoding on `profile`'s vocabulary (default: HOTLINE_PROFILE)."""
    from hotline.asr import models
    from hotline.config import Config

    if engine == "auto" and model is None and models.default_vosk_model():
        engine = "vosk"
    if engine in ("auto", "whisper"):
        path = models.installed_path(model or "whisper-base")
        if path is not None:
            from hotline.asr.whisper import WhisperRecognizer
            from hotline.profile import load_profile

            config = Config()
            rec = WhisperRecognizer(path, name=model or "whisper-base", bias=bias or config.asr_bias)
            if rec.bias != "none":
                rec.bias_toward(c.phrases for c in load_profile(profile or config.profile).categories)
            return rec
        if engine == "whisper":
            raise RuntimeError(
                f"Whisper model {model or 'whisper-base'!r} is not installed: run `hotline models fetch whisper-base`"
            )
    if engine in ("auto", "vosk"):
        name = model or models.default_vosk_model()
        path = models.installed_path(name) if name else None
        if path is not None:
            from hotline.asr.vosk_engine import VoskRecognizer

            return VoskRecognizer(path, name=name)
        if engine == "vosk":
            raise RuntimeError(f"Vosk model {name!r} is not installed: run `hotline models fetch {name}`")
    if engine not in ("auto", "none"):
        raise ValueError(f"unknown recognizer engine {engine!r}: whisper, vosk or none")
    log.warning("no speech model installed: the IVR runs on DTMF only")
    return NoRecognizer()

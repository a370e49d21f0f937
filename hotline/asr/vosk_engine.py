"""Vosk engine: streaming recognition with partial and final results and endpointing.

Feed 16 kHz audio as it arrives (`VoskStream.accept`); a final result comes when Vosk's endpointer
hears the caller fall silent, or at `finish()`. Optional biasing restricts the decoding graph to a
profile's trigger phrases plus [unk] (models with a dynamic graph, such as vosk-model-small-cn).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import opencc

from hotline.asr.base import Transcript
from hotline.profile import literal_parts

SAMPLE_RATE = 16000


@dataclass
class StreamEvent:
    kind: str  # "partial" | "final"
    text: str
    at_s: float  # audio time at which it was produced


@dataclass
class VoskStream:
    recognizer: object
    t2s: opencc.OpenCC
    events: list[StreamEvent] = field(default_factory=list)
    audio_s: float = 0.0
    _last_partial: str = ""

    def accept(self, pcm16k: np.ndarray) -> StreamEvent | None:
        """Feed audio; returns a new partial or a final result when there is one."""
        data = (np.clip(pcm16k, -1, 1) * 32767).astype("<i2").tobytes()
        self.audio_s += len(pcm16k) / SAMPLE_RATE
        if self.recognizer.AcceptWaveform(data):
            text = self._text(json.loads(self.recognizer.Result()).get("text", ""))
            ev = StreamEvent("final", text, self.audio_s)
            self.events.append(ev)
            self._last_partial = ""
            return ev
        partial = self._text(json.loads(self.recognizer.PartialResult()).get("partial", ""))
        if partial and partial != self._last_partial:
            self._last_partial = partial
            ev = StreamEvent("partial", partial, self.audio_s)
            self.events.append(ev)
            return ev
        return None

    @property
    def partial(self) -> str:
        """The current hypothesis since the last final result."""
        return self._last_partial

    def finish(self) -> str:
        text = self._text(json.loads(self.recognizer.FinalResult()).get("text", ""))
        if text:
            self.events.append(StreamEvent("final", text, self.audio_s))
        return "".join(e.text for e in self.events if e.kind == "final")

    def _text(self, s: str) -> str:
        # Chinese models put spaces between words; the router wants plain simplified text
        return self.t2s.convert(s.replace(" ", "")) if s and not s.isascii() else s.strip()


class VoskRecognizer:
    engine = "vosk"

    def __init__(self, model_dir: Path, name: str = "vosk", phrases: Iterable[str] | None = None) -> None:
        from vosk import Model, SetLogLevel

        SetLogLevel(-1)
        self.model = name
        self._model = Model(str(model_dir))
        self._grammar: str | None = None
        if phrases:
            self.set_bias(phrases)
        self._t2s = opencc.OpenCC("t2s")
        self._lock = threading.Lock()

    def set_bias(self, phrases: Iterable[str]) -> None:
        """Restrict decoding to these phrases (plus [unk] for everything else): keyword spotting for
        the router. Gapped phrases (被*打了) contribute their parts."""
        words = sorted({part for p in phrases for part in literal_parts(p) if part.strip()})
        self._grammar = json.dumps([*words, "[unk]"], ensure_ascii=False) if words else None

    def stream(self, biased: bool = False) -> VoskStream:
        from vosk import KaldiRecognizer

        if biased and self._grammar:
            rec = KaldiRecognizer(self._model, SAMPLE_RATE, self._grammar)
        else:
            rec = KaldiRecognizer(self._model, SAMPLE_RATE)
        return VoskStream(rec, self._t2s)

    def transcribe_pcm(self, pcm16k: np.ndarray) -> Transcript:
        t0 = time.perf_counter()
        s = self.stream()
        for i in range(0, len(pcm16k), 3200):  # 200 ms chunks, as a live call delivers them
            s.accept(pcm16k[i : i + 3200])
        text = s.finish()
        return Transcript(
            text, self.engine, self.model, len(pcm16k) / SAMPLE_RATE, time.perf_counter() - t0, no_speech=not text
        )

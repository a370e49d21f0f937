"""faster-whisper engine (utterance mode): VAD-gated, no-speech-gated, simplified output."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import opencc

from hotline.asr.base import Transcript

# Whisper invents text on silence and noise (字幕, 谢谢观看…): such segments are dropped by these gates.
NO_SPEECH_PROB = 0.6
MIN_AVG_LOGPROB = -1.0
MIN_RMS = 0.003  # about -50 dBFS: below it there is nothing to recognise


class WhisperRecognizer:
    engine = "whisper"

    def __init__(self, model_dir: Path, name: str = "whisper-base", threads: int | None = None) -> None:
        from faster_whisper import WhisperModel

        self.model = name
        self._model = WhisperModel(
            str(model_dir),
            device="cpu",
            compute_type="int8",
            cpu_threads=threads or int(os.environ.get("HOTLINE_ASR_THREADS", "2")),
        )
        self._t2s = opencc.OpenCC("t2s")
        self._lock = threading.Lock()  # one decode at a time per model: 2 cores, no oversubscription

    def transcribe_pcm(self, pcm16k: np.ndarray) -> Transcript:
        audio_s = len(pcm16k) / 16000
        t0 = time.perf_counter()
        if audio_s < 0.3 or float(np.sqrt(np.mean(np.square(pcm16k)))) < MIN_RMS:
            return Transcript("", self.engine, self.model, audio_s, time.perf_counter() - t0, no_speech=True)
        with self._lock:
            segments, _info = self._model.transcribe(
                pcm16k,
                language="zh",
                beam_size=1,
                vad_filter=True,
                vad_parameters={"min_silence_duration_ms": 500},
                condition_on_previous_text=False,
                without_timestamps=True,
            )
            kept = [s.text for s in segments if s.no_speech_prob < NO_SPEECH_PROB and s.avg_logprob > MIN_AVG_LOGPROB]
        text = self._t2s.convert("".join(kept).strip())
        return Transcript(text, self.engine, self.model, audio_s, time.perf_counter() - t0, no_speech=not text)

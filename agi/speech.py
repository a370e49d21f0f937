"""The recognizer as the conversation uses it: decodes in worker threads, never in the event loop."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from hotline.asr import Transcript
from hotline.asr.base import Recognizer

if TYPE_CHECKING:
    from hotline.asr.streaming import StreamingTranscriber


class SpeechService:
    def __init__(self, recognizer: Recognizer, bias_phrases: list[str] | None = None) -> None:
        self.recognizer = recognizer
        self.biased = bool(bias_phrases) and hasattr(recognizer, "set_bias")
        if self.biased:  # keyword spotting on the profile's phrases (models with a dynamic graph)
            recognizer.set_bias(bias_phrases)
        workers = getattr(recognizer, "workers", None) or (os.cpu_count() or 2)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asr")

    @property
    def engine(self) -> str:
        return self.recognizer.engine

    @property
    def model(self) -> str:
        return self.recognizer.model

    async def recognize(self, pcm16k: np.ndarray) -> Transcript:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.recognizer.transcribe_pcm, pcm16k)

    def streaming(self) -> StreamingTranscriber | None:
        """A per-utterance streaming decoder when the engine streams (Vosk), else None (Whisper)."""
        if not hasattr(self.recognizer, "stream"):
            return None
        from hotline.asr.streaming import StreamingTranscriber

        return StreamingTranscriber(self.recognizer, self._pool, biased=self.biased)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

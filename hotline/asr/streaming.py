"""Recognition while the caller speaks: the live call's audio into a streaming engine (Vosk).

The listener hands over each 20 ms frame of the utterance as it arrives (`push`, never blocks the
event loop); every 200 ms the new audio is resampled 8 -> 16 kHz (soxr's streaming resampler, so
chunk edges leave no clicks) and decoded in the recognizer's worker thread. At a pause `so_far()`
gives the text up to now; at the end `finish()` gives the final transcript without decoding the
utterance again.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Executor

import numpy as np
import soxr

from hotline.asr.base import Transcript

CHUNK_BYTES = 3200  # 200 ms of 8 kHz 16-bit audio


class StreamingTranscriber:
    def __init__(self, recognizer, executor: Executor, biased: bool = False) -> None:
        self.recognizer = recognizer
        self._stream = recognizer.stream(biased=biased)
        self._resampler = soxr.ResampleStream(8000, 16000, 1, dtype="float32", quality="HQ")
        self._executor = executor
        self._pending = bytearray()
        self._lock = asyncio.Lock()  # Kaldi's recognizer is not thread-safe: one decode at a time
        self._audio_s = 0.0
        self._decode_s = 0.0
        self._flushing: asyncio.Task | None = None

    def push(self, frame8k: bytes) -> None:
        self._pending += frame8k
        self._audio_s += len(frame8k) / 16000
        if len(self._pending) >= CHUNK_BYTES and (self._flushing is None or self._flushing.done()):
            self._flushing = asyncio.ensure_future(self._drain(last=False))

    async def _drain(self, last: bool) -> None:
        async with self._lock:
            if not self._pending and not last:
                return
            raw, self._pending = bytes(self._pending), bytearray()
            pcm = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
            loop = asyncio.get_running_loop()
            t0 = time.perf_counter()
            await loop.run_in_executor(self._executor, self._accept, pcm, last)
            self._decode_s += time.perf_counter() - t0

    def _accept(self, pcm8k: np.ndarray, last: bool) -> None:
        pcm16k = self._resampler.resample_chunk(pcm8k, last=last)
        if len(pcm16k):
            self._stream.accept(pcm16k)

    def _text_so_far(self) -> str:
        finals = "".join(e.text for e in self._stream.events if e.kind == "final")
        return finals + self._stream.partial

    async def so_far(self) -> Transcript:
        """What was said up to now (finals + the current partial); the stream goes on."""
        await self._drain(last=False)
        text = self._text_so_far()
        return Transcript(text, self.recognizer.engine, self.recognizer.model, self._audio_s, self._decode_s, not text)

    async def finish(self) -> Transcript:
        await self._drain(last=True)
        async with self._lock:
            t0 = time.perf_counter()
            text = await asyncio.get_running_loop().run_in_executor(self._executor, self._stream.finish)
            self._decode_s += time.perf_counter() - t0
        return Transcript(text, self.recognizer.engine, self.recognizer.model, self._audio_s, self._decode_s, not text)

"""End-of-speech detection on the caller's live audio (8 kHz, 16-bit, 20 ms frames).

WebRTC's VAD says whether a frame is voiced; an RMS floor keeps line hiss and comfort noise out.
Speech starts after `onset_ms` of mostly voiced frames and ends after `end_ms` of unvoiced frames
(the live listener passes `pause_ms`, and ends at `endpoint_ms` when what was said must be acted on at once).
The utterance keeps `preroll_ms` before the onset so the first syllable is not clipped.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import webrtcvad

RATE = 8000
FRAME_MS = 20
FRAME_BYTES = RATE * FRAME_MS // 1000 * 2  # 320 bytes: what Asterisk sends over AudioSocket


@dataclass(frozen=True)
class EndpointSettings:
    endpoint_ms: int = 600  # ends an utterance whose words must be acted on at once (HOTLINE_EARLY_END)
    pause_ms: int = 1200  # longest pause inside one utterance (callers pause mid-sentence: "我想问一下，…", and
    # tell the danger after an ordinary matter: "路灯坏了好几天了。……有人拿刀在追人")
    onset_ms: int = 120  # voiced audio that starts one (shorter: clicks and breaths start it)
    preroll_ms: int = 300
    min_rms: float = 300.0  # int16 RMS; quieter frames are silence whatever the VAD says
    vad_mode: int = 2  # WebRTC aggressiveness 0-3


class Endpointer:
    """Feed 20 ms frames; `speaking` turns true at the onset, `ended` after the trailing silence."""

    def __init__(self, settings: EndpointSettings | None = None, end_ms: int | None = None) -> None:
        self.s = settings or EndpointSettings()
        self._vad = webrtcvad.Vad(self.s.vad_mode)
        self._onset_frames = max(1, self.s.onset_ms // FRAME_MS)
        self._end_frames = max(1, (end_ms or self.s.endpoint_ms) // FRAME_MS)
        self._recent: deque[bool] = deque(maxlen=self._onset_frames + 2)
        self._preroll: deque[bytes] = deque(maxlen=max(1, self.s.preroll_ms // FRAME_MS))
        self.frames: list[bytes] = []  # the utterance so far (pre-roll + speech + trailing silence)
        self.speaking = False
        self.ended = False
        self.voiced_frames = 0
        self.silent_run = 0  # unvoiced frames since the last voiced one (after the onset)
        self.frame_no = 0
        self.last_voiced_frame = -1

    def is_voiced(self, frame: bytes) -> bool:
        pcm = np.frombuffer(frame, dtype="<i2").astype(np.float32)
        if float(np.sqrt(np.mean(pcm * pcm))) < self.s.min_rms:
            return False
        return self._vad.is_speech(frame, RATE)

    def feed(self, frame: bytes) -> None:
        if self.ended:
            return
        if len(frame) != FRAME_BYTES:  # AudioSocket frames are 20 ms; pad or cut anything else
            frame = frame[:FRAME_BYTES].ljust(FRAME_BYTES, b"\0")
        self.frame_no += 1
        voiced = self.is_voiced(frame)
        if not self.speaking:
            self._preroll.append(frame)
            self._recent.append(voiced)
            if sum(self._recent) >= self._onset_frames:
                self.speaking = True
                self.frames = list(self._preroll)
                self.voiced_frames = sum(self._recent)
                self.last_voiced_frame = self.frame_no
            return
        self.frames.append(frame)
        if voiced:
            self.voiced_frames += 1
            self.silent_run = 0
            self.last_voiced_frame = self.frame_no
        else:
            self.silent_run += 1
            if self.silent_run >= self._end_frames:
                self.ended = True

    @property
    def voiced_s(self) -> float:
        return self.voiced_frames * FRAME_MS / 1000

    @property
    def speech_s(self) -> float:
        """Length of the utterance kept so far."""
        return len(self.frames) * FRAME_MS / 1000

    def pcm(self) -> bytes:
        return b"".join(self.frames)

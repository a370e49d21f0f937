"""What the caller said in one turn, however it was captured (live over AudioSocket, or RECORD FILE)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Utterance:
    path: Path | None  # host path of the WAV (None: nothing was recorded, a key was pressed)
    started: float  # epoch seconds: recording began
    stopped: float  # epoch seconds: RECORD FILE returned
    speech_end: float  # epoch seconds: the caller's last voiced frame
    voiced_s: float  # seconds of speech heard
    ended_by: str  # silence | timeout | dtmf (RECORD FILE); endpoint | no-speech | max-length | dtmf | hangup (live)
    digit: str = ""
    pcm8k: bytes | None = None  # the audio already in memory (live capture), else read from `path`
    barged_in: bool = False
    voiced_frames: int = 0
    speculation: Any = None  # live_capture.Speculation: recognition started at a pause
    transcriber: Any = None  # asr.streaming.StreamingTranscriber: recognised while the caller spoke
    so_far: Any = None  # heard_so_far.HeardSoFar: what the caller's pauses were recognised as

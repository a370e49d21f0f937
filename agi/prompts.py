"""The IVR's prompts as audio: 8 kHz PCM to stream over AudioSocket, and names for AGI STREAM FILE."""

from __future__ import annotations

import logging
import wave
from pathlib import Path

log = logging.getLogger("hotline.agi")


class PromptLibrary:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._pcm: dict[str, bytes] = {}

    @staticmethod
    def asterisk_name(name: str) -> str:
        """How Asterisk's Playback / STREAM FILE name the prompt (sounds/zh/hotline/<name>)."""
        return f"hotline/{name}"

    def pcm(self, name: str) -> bytes:
        """A prompt's 8 kHz 16-bit PCM (cached; b"" when missing or in another format, logged)."""
        if name not in self._pcm:
            try:
                with wave.open(str(self.folder / f"{name}.wav"), "rb") as w:
                    ok = (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
                    self._pcm[name] = w.readframes(w.getnframes()) if ok else b""
            except (OSError, wave.Error):
                self._pcm[name] = b""
            if not self._pcm[name]:
                log.error("prompt %s is missing or not 8 kHz mono 16-bit: the caller hears silence there", name)
        return self._pcm[name]

    def seconds(self, name: str) -> float:
        return len(self.pcm(name)) / 16000

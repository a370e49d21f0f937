"""Offline speech recognition: a Recognizer interface and its engines (whisper, vosk, none)."""

from hotline.asr.base import Recognizer, Transcript, get_recognizer

__all__ = ["Recognizer", "Transcript", "get_recognizer"]

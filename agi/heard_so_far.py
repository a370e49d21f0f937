"""What one answer's pauses have been recognised as, so that an answer cut off mid-speech waits only for its tail.

At each pause the service recognises the whole answer so far (a guess: if the caller says nothing more, it is the
answer). A caller cut off at the longest answer (or who hangs up mid-sentence) has said more than any guess
covers, and recognising all 20 s again took 5 s on 2 cores (session 60). Instead, the audio after the latest guess
that heard something is recognised alone and its words added on. The cut is at the caller's own pause
(`speculate_after_ms` of silence), so no word is split.

Only the tail, once: recognising every stretch between pauses alone (each guess adding on) saves far more decoding,
but short stretches lose Whisper's context and garble (杂草长得比人 heard as 打架 折斗 别人: a false emergency in a
real call, session 61). On the 49 answers of 12 s or more of split BU, spoken, the whole answer vs the guess at its
last pause and the tail: 74 vs 75 right destinations of 80, 45 vs 46 of 46 emergencies, 1 vs 1 false flag, the tail's
decode 7.6 times shorter (session 61).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from hotline.asr.base import Transcript

MIN_NEW_BYTES = 1600  # 0.1 s of 8 kHz 16-bit audio: less is no new speech to decode


@dataclass(frozen=True)
class Heard:
    transcript: Transcript | None  # what the audio up to `pcm_bytes` was recognised as (None: nothing yet)
    pcm_bytes: int  # how much of the answer's audio (8 kHz 16-bit, from its start) it covers


class HeardSoFar:
    """One answer's latest guess that heard something, and how much of its audio that guess covers."""

    def __init__(self) -> None:
        self.settled = Heard(None, 0)

    def note(self, tr: Transcript, pcm_bytes: int) -> None:
        """A guess on the first `pcm_bytes` of the answer came back. Guesses may finish out of order: the one
        that covers most stays; one that heard nothing is no base (its audio is recognised again with the rest)."""
        if tr.text and pcm_bytes > self.settled.pcm_bytes:
            self.settled = Heard(tr, pcm_bytes)

    async def completed(self, pcm8k: bytes, decode: Callable[[bytes], Awaitable[Transcript]]) -> Transcript:
        """What the whole answer `pcm8k` says: the settled guess, and `decode` of the audio after it added on
        (all of it decoded when no guess heard anything)."""
        base = self.settled
        if base.transcript is None:
            return await decode(pcm8k)
        tail = pcm8k[base.pcm_bytes :]
        if len(tail) < MIN_NEW_BYTES:
            return replace(base.transcript, decode_s=0.0)  # nothing said since
        tr = await decode(tail)
        text = " ".join(t for t in (base.transcript.text, tr.text) if t)
        return replace(tr, text=text, audio_s=len(pcm8k) / 16000, no_speech=False)

"""Live capture over AudioSocket: play the question, listen at the same time, stop at end of speech.

One loop per call paces our audio to the caller in real time (the prompt, then silence, so the
AudioSocket application never sees an idle line) and watches the clock; the caller's frames feed
the endpointer as they arrive. The listening ends at the first of:

  endpoint    the caller spoke, then was silent for `endpoint_ms` and what they said so far must be
              acted on at once (`on_pause` says so: the session's `ends_early`, by HOTLINE_EARLY_END),
              or silent for `pause_ms` whatever was said
  no-speech   nothing said within `no_speech_s` after the prompt ended
  max-length  the caller spoke for `max_utterance_s` without a pause long enough
  dtmf        a key was pressed (during the prompt or after it)
  hangup      Asterisk closed the stream: the caller hung up (the audio so far is kept)
  error       a bug in this listener (logged): the session goes on with what was heard

Barge-in: once the caller has spoken for `barge_in_ms` over the prompt, the prompt stops.
Streaming engines (Vosk) get every frame of the utterance as it arrives (`on_frame`).
Speculation: when the caller pauses for `speculate_after_ms`, `on_pause` recognises and routes
what was said so far; it returns (result, act_now); a later pause's guess cancels the one before it.
If the caller says nothing more, that result is the answer, ready sooner; unless it must be acted on
at once, the listener waits out a longer pause, since callers stop mid-sentence ("我想问一下，……")
and the rest often carries the meaning.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hotline.agi.audiosocket import KIND_AUDIO, KIND_DTMF, KIND_HANGUP, AudioSocketConnection
from hotline.asr.endpoint import FRAME_BYTES, FRAME_MS, Endpointer, EndpointSettings

log = logging.getLogger("hotline.agi")
SILENCE = b"\0" * FRAME_BYTES
SEND_AHEAD_FRAMES = 2  # a little audio queued ahead absorbs event-loop jitter


@dataclass(frozen=True)
class ListenSettings:
    endpoint: EndpointSettings = field(default_factory=EndpointSettings)
    no_speech_s: float = 6.0
    max_utterance_s: float = 20.0
    barge_in: bool = True
    barge_in_ms: int = 300
    speculate_after_ms: int = 240  # 0: no speculative recognition


@dataclass
class Speculation:
    voiced_frames: int  # how much speech the guess was made on
    task: asyncio.Future[Any]


@dataclass
class LiveUtterance:
    pcm8k: bytes  # the utterance (pre-roll + speech + trailing silence), 8 kHz 16-bit
    started: float  # epoch seconds: listening began (the prompt started)
    stopped: float  # epoch seconds: listening ended
    speech_end: float | None  # epoch seconds: arrival of the caller's last voiced frame
    voiced_s: float
    ended_by: str  # endpoint | no-speech | max-length | dtmf | hangup
    digit: str = ""
    barged_in: bool = False
    voiced_frames: int = 0
    speculation: Speculation | None = None


def _acts_now(spec: Speculation | None, ep: Endpointer) -> bool:
    """The guess made at this pause is ready, covers everything said, and must be acted on at once."""
    if spec is None or spec.voiced_frames != ep.voiced_frames or not spec.task.done() or spec.task.cancelled():
        return False
    if spec.task.exception() is not None:
        return False
    result = spec.task.result()
    return bool(isinstance(result, tuple) and len(result) == 2 and result[1])


def _consume(fut: asyncio.Future) -> None:
    if not fut.cancelled():
        fut.exception()


async def listen_live(
    conn: AudioSocketConnection,
    prompt_pcm8k: bytes = b"",
    settings: ListenSettings | None = None,
    on_pause: Callable[[bytes], Awaitable[Any]] | None = None,
    on_frame: Callable[[bytes], None] | None = None,
) -> LiveUtterance:
    s = settings or ListenSettings()
    # the long pause unless what was said must be acted on at once (without `on_pause` nobody can tell)
    ep = Endpointer(s.endpoint, end_ms=s.endpoint.pause_ms)
    short_end_frames = max(1, s.endpoint.endpoint_ms // FRAME_MS)
    loop = asyncio.get_running_loop()
    started = time.time()
    prompt = [
        prompt_pcm8k[i : i + FRAME_BYTES].ljust(FRAME_BYTES, b"\0") for i in range(0, len(prompt_pcm8k), FRAME_BYTES)
    ]
    state: dict[str, Any] = {"ended_by": "", "digit": "", "barged_in": False, "speech_end": None, "prompt_end": None}
    done = asyncio.Event()
    speculation: Speculation | None = None
    spec_frames = max(1, s.speculate_after_ms // FRAME_MS) if s.speculate_after_ms else 0
    barge_frames = max(1, s.barge_in_ms // FRAME_MS)

    pushed = 0  # utterance frames handed to on_frame so far

    def finish(reason: str) -> None:
        if not state["ended_by"]:
            state["ended_by"] = reason
        done.set()

    async def receive() -> None:
        nonlocal speculation, pushed
        while not done.is_set():
            msg = await conn.read()
            if msg is None or msg[0] == KIND_HANGUP:
                finish("hangup")
                return
            kind, payload = msg
            if kind == KIND_DTMF and payload:
                state["digit"] = payload[:1].decode("ascii", "replace")
                finish("dtmf")
                return
            if kind != KIND_AUDIO:
                continue
            for i in range(0, len(payload), FRAME_BYTES):
                ep.feed(payload[i : i + FRAME_BYTES])
                if ep.speaking and ep.last_voiced_frame == ep.frame_no:
                    state["speech_end"] = time.time()
                while on_frame is not None and pushed < len(ep.frames):
                    on_frame(ep.frames[pushed])  # recognition while the caller speaks (streaming engines)
                    pushed += 1
            over_prompt = ep.speaking and state["prompt_end"] is None and not state["barged_in"]
            if over_prompt and s.barge_in and ep.voiced_frames >= barge_frames:
                state["barged_in"] = True
            if ep.ended or (ep.speaking and ep.silent_run >= short_end_frames and _acts_now(speculation, ep)):
                finish("endpoint")
                return
            if (
                on_pause is not None
                and spec_frames
                and ep.speaking
                and ep.silent_run == spec_frames
                and (speculation is None or speculation.voiced_frames != ep.voiced_frames)
            ):
                if speculation is not None and not speculation.task.done():
                    # superseded by this pause's guess: a decode still waiting for a worker is dropped, so a long
                    # answer's pauses do not queue decodes the final one then waits behind (10.5 s, session 60)
                    speculation.task.cancel()
                guess = asyncio.ensure_future(on_pause(ep.pcm()))
                guess.add_done_callback(_consume)  # an unused guess that failed is not an error
                speculation = Speculation(ep.voiced_frames, guess)

    async def send_and_watch() -> None:
        t0 = loop.time()
        n = 0
        while not done.is_set():
            now = time.time()
            playing = n < len(prompt) and not state["barged_in"] and not state["digit"]
            if not playing and state["prompt_end"] is None:
                state["prompt_end"] = now
            conn.send_audio(prompt[n] if playing else SILENCE)
            n += 1
            if state["prompt_end"] is not None and not ep.speaking and now - state["prompt_end"] >= s.no_speech_s:
                finish("no-speech")
                return
            if ep.speaking and ep.speech_s >= s.max_utterance_s:
                finish("max-length")
                return
            delay = t0 + (n - SEND_AHEAD_FRAMES) * FRAME_MS / 1000 - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)

    tasks = [asyncio.ensure_future(receive()), asyncio.ensure_future(send_and_watch())]

    def on_task_end(t: asyncio.Task) -> None:
        if not t.cancelled() and t.exception() is not None:
            log.error("live capture failed: %r", t.exception())
            finish("error")  # the session goes on with what was heard

    for t in tasks:
        t.add_done_callback(on_task_end)
    try:
        await done.wait()
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # whatever happened here, AudioSocket() must return: else the caller sits in silence
        if state["ended_by"] != "hangup":
            await conn.hangup()
    return LiveUtterance(
        pcm8k=ep.pcm() if ep.speaking else b"",
        started=started,
        stopped=time.time(),
        speech_end=state["speech_end"],
        voiced_s=ep.voiced_s if ep.speaking else 0.0,
        ended_by=state["ended_by"],
        digit=state["digit"],
        barged_in=state["barged_in"],
        voiced_frames=ep.voiced_frames if ep.speaking else 0,
        speculation=speculation,
    )

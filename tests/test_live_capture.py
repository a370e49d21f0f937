"""Live capture over the AudioSocket protocol: endpointing, barge-in, limits, hang-ups, DTMF.

A small AudioSocket client plays Asterisk's part over a real TCP socket (the wire format from the
Asterisk documentation); the same server and listener then run in the real calls of test_e2e_calls.
"""

from __future__ import annotations

import asyncio
import struct
import time
import uuid
import wave
from pathlib import Path

import numpy as np
import pytest

from hotline.agi.audiosocket import KIND_AUDIO, KIND_DTMF, KIND_HANGUP, KIND_UUID, AudioSocketServer
from hotline.agi.live_capture import ListenSettings, listen_live
from hotline.asr.endpoint import FRAME_BYTES, Endpointer, EndpointSettings

SAMPLE = Path(__file__).resolve().parents[1] / "sounds" / "samples" / "caller-fight.wav"


def speech_8k() -> bytes:
    with wave.open(str(SAMPLE), "rb") as w:
        assert w.getframerate() == 8000
        return w.readframes(w.getnframes())


def frames(pcm: bytes) -> list[bytes]:
    return [pcm[i : i + FRAME_BYTES].ljust(FRAME_BYTES, b"\0") for i in range(0, len(pcm), FRAME_BYTES)]


def silence(seconds: float) -> bytes:
    return b"\0" * int(seconds * 8000) * 2


def noise(seconds: float, rms: float = 60.0) -> bytes:
    rng = np.random.default_rng(7)
    return (rng.normal(0, rms, int(seconds * 8000))).astype("<i2").tobytes()


# ------------------------------------------------------------------------------ endpointer
def test_endpointer_ignores_silence_and_line_noise() -> None:
    ep = Endpointer()
    for f in frames(silence(1.0) + noise(2.0)):
        ep.feed(f)
    assert not ep.speaking and ep.pcm() == b""


def test_endpointer_finds_speech_keeps_preroll_and_ends_after_trailing_silence() -> None:
    speech = speech_8k()
    ep = Endpointer(EndpointSettings(preroll_ms=300), end_ms=1500)  # longer than the sample's 0.7 s pauses
    fed = 0
    for f in frames(silence(1.0) + speech + silence(2.0)):
        ep.feed(f)
        fed += 1
        if ep.ended:
            break
    assert ep.speaking and ep.ended
    assert ep.voiced_s > 3.0  # the whole sentence, across its pauses
    # it ended 1.5 s after the last voiced frame, not at the end of the input
    assert ep.frame_no - ep.last_voiced_frame == 1500 // 20
    assert fed < len(frames(silence(1.0) + speech + silence(2.0)))
    # the utterance starts before the onset (pre-roll) and holds the speech itself
    first = np.frombuffer(ep.frames[0], dtype="<i2")
    assert np.abs(first).max() < 300


def test_endpointer_short_end_cuts_at_the_first_pause() -> None:
    speech = speech_8k()
    ep = Endpointer(EndpointSettings(), end_ms=600)
    for f in frames(speech + silence(2.0)):
        ep.feed(f)
    assert ep.ended and ep.voiced_s < 2.5  # the sample pauses ~0.7 s after its first clause


# --------------------------------------------------------------------- AudioSocket client
class FakeAsterisk:
    """The Asterisk side of AudioSocket(): connects, sends the UUID, streams frames, reads ours."""

    def __init__(self, port: int, stream_id: str) -> None:
        self.port, self.stream_id = port, stream_id
        self.received: list[tuple[int, bytes]] = []
        self.closed_by_server = asyncio.Event()

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(struct.pack(">BH", KIND_UUID, 16) + uuid.UUID(self.stream_id).bytes)
        await self.writer.drain()
        self._reading = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            while True:
                head = await self.reader.readexactly(3)
                n = struct.unpack(">H", head[1:])[0]
                self.received.append((head[0], await self.reader.readexactly(n) if n else b""))
                if head[0] == KIND_HANGUP:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        self.closed_by_server.set()

    async def stream(self, pcm: bytes, realtime: bool = True) -> None:
        for f in frames(pcm):
            if self.closed_by_server.is_set():
                return
            self.writer.write(struct.pack(">BH", KIND_AUDIO, len(f)) + f)
            await self.writer.drain()
            if realtime:
                await asyncio.sleep(0.02)

    async def dtmf(self, digit: str) -> None:
        self.writer.write(struct.pack(">BH", KIND_DTMF, 1) + digit.encode())
        await self.writer.drain()

    def hang_up(self) -> None:
        self.writer.close()

    def audio_from_server(self) -> bytes:
        return b"".join(p for k, p in self.received if k == KIND_AUDIO)


async def _session(
    caller_audio: bytes, prompt: bytes, settings: ListenSettings, on_pause=None, after=None, realtime=True
):
    server = AudioSocketServer()
    tcp = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    stream_id, connected = server.expect()
    ast = FakeAsterisk(port, stream_id)
    await ast.connect()
    conn = await asyncio.wait_for(connected, 2)

    async def caller() -> None:
        await ast.stream(caller_audio, realtime)
        if after == "hangup":
            ast.hang_up()
        elif after:
            await ast.dtmf(after)

    feeding = asyncio.ensure_future(caller())
    t0 = time.monotonic()
    utt = await asyncio.wait_for(listen_live(conn, prompt, settings, on_pause=on_pause), 30)
    took = time.monotonic() - t0
    feeding.cancel()
    await asyncio.wait_for(ast.closed_by_server.wait(), 2) if after != "hangup" else None
    tcp.close()
    return utt, ast, took


FAST = ListenSettings(no_speech_s=0.6, speculate_after_ms=0)


def test_listen_ends_at_endpoint_and_keeps_the_speech() -> None:
    speech = speech_8k()
    utt, ast, _ = asyncio.run(_session(silence(0.3) + speech + silence(3.0), b"", FAST, realtime=False))
    assert utt.ended_by == "endpoint"
    # no speculation, so nothing to say the words so far must be acted on: the long pause (1.2 s) ends it,
    # and the sample's 0.7 s pauses between clauses do not
    assert utt.voiced_s > 3.0
    assert utt.speech_end is not None and utt.pcm8k
    assert ast.received[-1][0] == KIND_HANGUP  # the server ends AudioSocket(): the call goes on


@pytest.mark.slow  # prompts played and heard in real time
def test_prompt_is_played_in_real_time_then_silence() -> None:
    prompt = speech_8k()[: 8000 * 2]  # 1 s of the sample as "the prompt"
    utt, ast, took = asyncio.run(_session(silence(2.5), prompt, FAST))
    assert utt.ended_by == "no-speech"
    sent = ast.audio_from_server()
    assert sent[: len(prompt)] == prompt  # the prompt, unchanged, first
    assert set(sent[len(prompt) :]) <= {0}  # then silence, never nothing (AudioSocket's idle timeout)
    # paced, not dumped: 1 s of prompt + 0.6 s of no speech took about 1.6 s of wall time
    assert 1.4 < took < 3.0


@pytest.mark.slow  # prompts played and heard in real time
def test_barge_in_stops_the_prompt() -> None:
    speech = speech_8k()
    prompt = noise(5.0, rms=3000)  # a long, loud "prompt" the caller talks over at once
    utt, ast, _ = asyncio.run(_session(speech + silence(3.0), prompt, FAST))
    assert utt.barged_in and utt.ended_by == "endpoint"
    sent = ast.audio_from_server()
    assert len(sent) > len(prompt) // 10
    played = np.frombuffer(sent, dtype="<i2")
    quiet_from = int(np.nonzero(np.abs(played) > 0)[0][-1]) + 1
    assert quiet_from < len(prompt) // 2 * 0.5  # the prompt stopped within ~1.3 s, far before its 5 s


@pytest.mark.slow  # prompts played and heard in real time
def test_no_barge_in_when_disabled() -> None:
    speech = speech_8k()[: 8000 * 2 * 3]
    prompt = noise(1.5, rms=3000)  # the caller talks over all of it
    settings = ListenSettings(no_speech_s=0.6, speculate_after_ms=0, barge_in=False)
    utt, ast, _ = asyncio.run(_session(speech + silence(3.0), prompt, settings))
    assert not utt.barged_in and utt.voiced_s > 1.0
    assert ast.audio_from_server()[: len(prompt)] == prompt


@pytest.mark.slow  # prompts played and heard in real time
def test_hang_up_mid_utterance_keeps_what_was_said() -> None:
    speech = speech_8k()[: 8000 * 2 * 2]  # 2 s, then the line drops
    utt, _ast, _ = asyncio.run(_session(speech, b"", FAST, after="hangup"))
    assert utt.ended_by == "hangup"
    assert utt.voiced_s > 0.8 and len(utt.pcm8k) > 8000


def test_dtmf_ends_listening_with_the_digit() -> None:
    utt, _ast, _ = asyncio.run(_session(silence(0.2), noise(3.0, 3000), FAST, after="1"))
    assert utt.ended_by == "dtmf" and utt.digit == "1"


@pytest.mark.slow  # prompts played and heard in real time
def test_max_utterance_length() -> None:
    talk = speech_8k()[:16000] * 6  # voice with pauses too short to end it
    settings = ListenSettings(no_speech_s=2, max_utterance_s=1.5, speculate_after_ms=0)
    utt, _ast, _ = asyncio.run(_session(talk, b"", settings))
    assert utt.ended_by == "max-length"
    assert 1.4 <= len(utt.pcm8k) / 16000 <= 2.0


@pytest.mark.slow  # prompts played and heard in real time
def test_a_pause_that_must_be_acted_on_ends_early_any_other_waits() -> None:
    speech = speech_8k()
    calls: list[int] = []

    def make(act_now: bool):
        async def on_pause(pcm: bytes):
            calls.append(len(pcm))
            return ("text", act_now)

        return on_pause

    settings = ListenSettings(no_speech_s=2)
    audio = speech + silence(3.0)
    early, _, _ = asyncio.run(_session(audio, b"", settings, on_pause=make(True)))
    late, _, _ = asyncio.run(_session(audio, b"", settings, on_pause=make(False)))
    assert early.ended_by == late.ended_by == "endpoint"
    assert early.voiced_s < 2.5  # ended at the first pause said to act on
    assert late.voiced_s > 3.0  # waited through the pauses for the whole sentence
    assert early.speculation is not None and early.speculation.voiced_frames == early.voiced_frames
    assert calls  # the recogniser was asked during pauses


def test_unknown_stream_is_refused() -> None:
    async def go():
        server = AudioSocketServer()
        tcp = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        ast = FakeAsterisk(tcp.sockets[0].getsockname()[1], str(uuid.uuid4()))
        await ast.connect()
        await asyncio.wait_for(ast.closed_by_server.wait(), 2)
        tcp.close()
        return ast.received

    assert asyncio.run(go())[0][0] == KIND_HANGUP


@pytest.mark.parametrize("bad", [b"\x10\x00\x02ab", b"\x01\x00\x04abcd"])
def test_handshake_must_be_a_uuid(bad: bytes) -> None:
    async def go():
        server = AudioSocketServer()
        server.expect()
        tcp = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        r, w = await asyncio.open_connection("127.0.0.1", tcp.sockets[0].getsockname()[1])
        w.write(bad)
        await w.drain()
        data = await asyncio.wait_for(r.read(), 2)
        tcp.close()
        return data

    assert asyncio.run(go()) == struct.pack(">BH", KIND_HANGUP, 0)


def test_a_failure_inside_the_listener_still_ends_audiosocket() -> None:
    # were AudioSocket() left running, the caller would sit in silence: the stream must be hung up
    def broken(_frame: bytes) -> None:
        raise RuntimeError("recognizer blew up")

    async def go():
        server = AudioSocketServer()
        tcp = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        stream_id, connected = server.expect()
        ast = FakeAsterisk(tcp.sockets[0].getsockname()[1], stream_id)
        await ast.connect()
        conn = await asyncio.wait_for(connected, 2)
        feeding = asyncio.ensure_future(ast.stream(speech_8k()))
        utt = await asyncio.wait_for(listen_live(conn, b"", FAST, on_frame=broken), 10)
        await asyncio.wait_for(ast.closed_by_server.wait(), 2)
        feeding.cancel()
        tcp.close()
        return utt, ast

    utt, ast = asyncio.run(go())
    assert utt.ended_by == "error"
    assert ast.received[-1][0] == KIND_HANGUP


def test_a_guess_superseded_by_a_later_pause_is_cancelled_so_decodes_never_queue_up() -> None:
    # a long answer pauses often; each pause's guess replaces the one before it, which must not keep a recognizer
    # worker (or a place in its queue) for words the caller has since added to
    guesses: list[asyncio.Future] = []

    def slow_guess(pcm: bytes) -> asyncio.Future:
        guesses.append(asyncio.get_running_loop().create_future())  # a decode that has not finished
        return guesses[-1]

    settings = ListenSettings(no_speech_s=2)
    utt, _, _ = asyncio.run(_session(speech_8k() + silence(3.0), b"", settings, on_pause=slow_guess))
    assert len(guesses) >= 2, "the sample pauses more than once"
    assert [g.cancelled() for g in guesses] == [True] * (len(guesses) - 1) + [False]
    assert utt.speculation is not None and utt.speculation.task is guesses[-1]

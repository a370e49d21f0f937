"""`hotline serve`: the FastAGI service (asyncio, panoramisk) with its AMI connection.

One process serves every call: FastAGI sessions on 127.0.0.1:<agi_port>, AMI events into the call
log, the recognizer in worker threads (one decode per core).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import time
import wave
from concurrent.futures import ThreadPoolExecutor

from panoramisk import Manager
from panoramisk.fast_agi import Request

from hotline.agi.audiosocket import AudioSocketServer
from hotline.agi.channel import AgiChannel, AgiProtocolError, read_headers
from hotline.agi.events import EventRecorder
from hotline.agi.live_capture import ListenSettings
from hotline.agi.session import IvrSession
from hotline.asr import Transcript, get_recognizer
from hotline.asr.endpoint import EndpointSettings
from hotline.config import REPO, Config
from hotline.profile import load_profile
from hotline.router import get_router
from hotline.store import CallLog

log = logging.getLogger("hotline.service")


class JsonFormatter(logging.Formatter):
    """Structured logs: one JSON object a line, with the call's unique id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "t": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        uid = getattr(record, "uniqueid", None)
        if uid:
            out["uniqueid"] = uid
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def setup_logging(level: str = "INFO") -> None:
    h = logging.StreamHandler()
    h.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [h]
    root.setLevel(level)
    logging.getLogger("panoramisk").setLevel(logging.WARNING)
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)


class HotlineService:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.state_in_asterisk = config.state_in_asterisk
        self.profile = load_profile(config.profile)
        get_router(self.profile.id)  # compile the profile now, not during the first call
        self.calllog = CallLog(config.db_url)
        self.recorder = EventRecorder(self.calllog)
        self.recorder.on_threeway = self._agent_threeway
        if config.capture not in ("audiosocket", "record"):
            raise ValueError(f"HOTLINE_CAPTURE={config.capture!r}: audiosocket or record")
        self.capture = config.capture
        self.listen = listen_settings()
        self.audiosocket = AudioSocketServer()
        self._prompts: dict[str, bytes] = {}
        self.recognizer = get_recognizer(config.asr, config.asr_model or None)
        self.ami: Manager | None = None
        self.vosk_bias = os.environ.get("HOTLINE_VOSK_BIAS", "0") == "1" and hasattr(self.recognizer, "set_bias")
        if self.vosk_bias:  # keyword spotting on the profile's phrases (models with a dynamic graph)
            self.recognizer.set_bias(p for c in self.profile.categories for p in c.phrases)
        workers = getattr(self.recognizer, "workers", None) or (os.cpu_count() or 2)
        self._asr_pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asr")
        self._tasks: set[asyncio.Task] = set()
        self.sessions = 0

    def spawn(self, coro) -> None:
        t = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(t)
        t.add_done_callback(self._tasks.discard)

    async def _agent_threeway(self, uniqueid: str, platform: str, other: str, peer: str, agent: str) -> None:
        """An agent pressed *3: caller and agent into conference hl-<uniqueid>, the other platform dialed in."""
        from hotline.agi.actions import originate_conference_legs

        res = await self.ami.send_action(
            {
                "Action": "Redirect",
                "Channel": peer,
                "Context": "hotline-conference",
                "Exten": "caller",
                "Priority": "1",
                "ExtraChannel": agent,
                "ExtraContext": "hotline-conference",
                "ExtraExten": "agent",
                "ExtraPriority": "1",
            }
        )
        log.info(
            "agent *3: caller and agent to the conference: %s", dict(res).get("Response"), extra={"uniqueid": uniqueid}
        )
        self.spawn(originate_conference_legs(self.ami, uniqueid, platform, other, delay=0.3, with_agent=False))

    def prompt_pcm(self, name: str) -> bytes:
        """A prompt's 8 kHz PCM, for playing it over AudioSocket (cached; b"" when missing)."""
        if name not in self._prompts:
            try:
                with wave.open(str(REPO / "sounds" / "zh" / "hotline" / f"{name}.wav"), "rb") as w:
                    ok = (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
                    self._prompts[name] = w.readframes(w.getnframes()) if ok else b""
            except (OSError, wave.Error):
                self._prompts[name] = b""
            if not self._prompts[name]:
                log.error("prompt %s is missing or not 8 kHz mono 16-bit: the caller hears silence there", name)
        return self._prompts[name]

    def streaming_transcriber(self):
        """A per-utterance streaming decoder when the engine streams (Vosk), else None (Whisper)."""
        if not hasattr(self.recognizer, "stream"):
            return None
        from hotline.asr.streaming import StreamingTranscriber

        return StreamingTranscriber(self.recognizer, self._asr_pool, biased=self.vosk_bias)

    async def recognize(self, pcm) -> Transcript:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._asr_pool, self.recognizer.transcribe_pcm, pcm)

    async def connect_ami(self) -> None:
        loop = asyncio.get_running_loop()
        self.ami = Manager(
            loop=loop,
            host="127.0.0.1",
            port=self.config.ami_port,
            username="hotline",
            secret=self.config.ami_secret(),
            ping_delay=10,
            reconnect_timeout=2,
        )
        self.ami.register_event("*", self.recorder.on_event)
        self.ami.connect()
        for _ in range(100):
            if self.ami.authenticated:
                log.info("AMI connected")
                return
            await asyncio.sleep(0.1)
        log.warning("AMI not connected yet (is Asterisk up?); the manager keeps retrying")

    async def handle_agi(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.sessions += 1
        try:
            headers = await asyncio.wait_for(read_headers(reader), timeout=10)
            script = headers.get("agi_network_script", "")
            request = Request(app=None, headers=headers, reader=reader, writer=writer)
            if script == "ivr":
                await IvrSession(AgiChannel(request), self).run()
            else:
                log.error("no FastAGI route %r", script)
        except (AgiProtocolError, TimeoutError) as e:
            log.warning("bad FastAGI connection: %s", e)
        except Exception:
            pass  # logged by the session; the dialplan takes the caller to an agent
        finally:
            self.sessions -= 1
            writer.close()

    async def reconcile_cdr(self) -> None:
        """Every call leaves a record: import calls handled while the service was down."""
        from hotline.store.cdr import ingest_cdr

        master = self.config.host_path(f"{self.config.log_in_asterisk}/cdr-csv/Master.csv")
        while True:
            try:
                await asyncio.to_thread(ingest_cdr, self.calllog, master)
            except Exception:
                log.exception("CDR reconciliation failed")
            await asyncio.sleep(30)

    async def serve(self) -> None:
        from hotline.linkage.worker import run_linkage

        self.spawn(self.reconcile_cdr())
        await self.connect_ami()
        self.spawn(run_linkage(self))  # work orders: outbox relay, 督办 reminders, 回访 calls
        server = await asyncio.start_server(self.handle_agi, "127.0.0.1", self.config.agi_port, limit=2**20)
        audio_server = await asyncio.start_server(self.audiosocket.handle, "127.0.0.1", self.config.audiosocket_port)
        log.info(
            "FastAGI listening on 127.0.0.1:%d, AudioSocket on 127.0.0.1:%d (capture %s, profile %s, recognizer %s:%s)",
            self.config.agi_port,
            self.config.audiosocket_port,
            self.capture,
            self.profile.id,
            self.recognizer.engine,
            self.recognizer.model,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with server, audio_server:
            await stop.wait()
        log.info("stopping: %d session(s) in progress", self.sessions)
        deadline = time.time() + 10
        while self.sessions and time.time() < deadline:
            await asyncio.sleep(0.2)
        if self.ami:
            self.ami.close()


def listen_settings() -> ListenSettings:
    """Listening limits from the environment (see hotline/config.py)."""
    env = os.environ.get
    return ListenSettings(
        endpoint=EndpointSettings(
            endpoint_ms=int(env("HOTLINE_ENDPOINT_MS", "600")), pause_ms=int(env("HOTLINE_PAUSE_MS", "1200"))
        ),
        no_speech_s=float(env("HOTLINE_NO_SPEECH_S", "6")),
        max_utterance_s=float(env("HOTLINE_MAX_UTTERANCE_S", "20")),
        barge_in=env("HOTLINE_BARGE_IN", "1") != "0",
        speculate_after_ms=int(env("HOTLINE_SPECULATE_MS", "240")),
    )


def run_service(config: Config | None = None) -> None:
    setup_logging(os.environ.get("HOTLINE_LOG_LEVEL", "INFO"))
    service = HotlineService(config or Config())
    asyncio.run(service.serve())

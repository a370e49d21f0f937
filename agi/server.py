"""`hotline serve`: the FastAGI service (asyncio) with its AMI connection (panoramisk).

One process serves every call: FastAGI sessions on 127.0.0.1:<agi_port>, the callers' live audio on
<audiosocket_port>, AMI events into the call journal, the recognizer in worker threads (one decode per
core), the journal's writer thread, and the CDR reconciliation. At start it brings the database schema
up to date, replays journal entries not yet applied, and completes calls left open by a crash.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import time
from collections.abc import Coroutine
from typing import Any

from panoramisk import Manager

from hotline.agi.actions import ConferenceDialer
from hotline.agi.audiosocket import AudioSocketServer
from hotline.agi.channel import AgiChannel, AgiProtocolError, read_environment
from hotline.agi.events import EventRecorder
from hotline.agi.live_capture import ListenSettings
from hotline.agi.prompts import PromptLibrary
from hotline.agi.reconcile import Reconciler
from hotline.agi.session import IvrSession, Recordings, SessionDeps
from hotline.agi.speech import SpeechService
from hotline.asr import get_recognizer
from hotline.asr.endpoint import EndpointSettings
from hotline.config import REPO, Config
from hotline.profile import load_profile
from hotline.router import get_router
from hotline.store import CallLog, migrate
from hotline.store.cdr import CdrReader
from hotline.store.journal import CallJournal

log = logging.getLogger("hotline.service")
ENVIRONMENT_TIMEOUT_S = 10


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
    logging.getLogger("alembic").setLevel(logging.WARNING)


def listen_settings(config: Config) -> ListenSettings:
    """The listening limits of the settings object."""
    return ListenSettings(
        endpoint=EndpointSettings(endpoint_ms=config.endpoint_ms, pause_ms=config.pause_ms),
        no_speech_s=config.no_speech_s,
        max_utterance_s=config.max_utterance_s,
        barge_in=config.barge_in,
        speculate_after_ms=config.speculate_ms,
    )


class HotlineService:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.profile = load_profile(config.profile)
        self.router = get_router(self.profile.id)  # compiled now, not during the first call
        self.calllog = CallLog(config.db_url)
        self.journal = CallJournal(self.calllog, config.journal_path)
        recognizer = get_recognizer(config.asr, config.asr_model or None)
        bias = [p for c in self.profile.categories for p in c.phrases] if config.vosk_bias else None
        self.speech = SpeechService(recognizer, bias)
        self.audiosocket = AudioSocketServer()
        self.prompts = PromptLibrary(REPO / "sounds" / "zh" / "hotline")
        self.ami: Manager | None = None
        self.dialer = ConferenceDialer(self)  # sends through self.send_action once AMI is up
        self.recorder = EventRecorder(self.journal, self.dialer, self.spawn, self.profile.id)
        self.reconciler = Reconciler(
            self.calllog,
            self.journal,
            CdrReader(config.host_path(f"{config.log_in_asterisk}/cdr-csv/Master.csv")),
            active=lambda: set(self.active),
            profile=self.profile.id,
        )
        self.deps = SessionDeps(
            profile=self.profile,
            router=self.router,
            speech=self.speech,
            journal=self.journal,
            prompts=self.prompts,
            audio=self.audiosocket,
            dialer=self.dialer,
            listen=listen_settings(config),
            recordings=Recordings(f"{config.state_in_asterisk}/recordings", config.state_dir / "recordings"),
            audiosocket_port=config.audiosocket_port,
            capture=config.capture,
            early_end=config.early_end,
            hold_on_after_s=config.hold_on_ms / 1000,
            spawn=self.spawn,
        )
        self.active: set[str] = set()
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        t = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(t)
        t.add_done_callback(self._task_done)
        return t

    def _task_done(self, t: asyncio.Task) -> None:
        self._tasks.discard(t)
        if not t.cancelled() and t.exception() is not None:
            log.error("background task failed: %r", t.exception())

    async def send_action(self, action: dict[str, Any]) -> Any:
        if self.ami is None or not self.ami.authenticated:
            raise ConnectionError("AMI is not connected")
        return await self.ami.send_action(action)

    async def connect_ami(self) -> None:
        loop = asyncio.get_running_loop()
        self.ami = Manager(
            loop=loop,
            host="127.0.0.1",
            port=self.config.ami_port,
            username="hotline",
            secret=self.config.ami_password(),
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
        uid = ""
        try:
            env = await asyncio.wait_for(read_environment(reader), timeout=ENVIRONMENT_TIMEOUT_S)
            agi = AgiChannel(reader, writer, env)
            uid = agi.uniqueid
            if agi.script != "ivr":
                log.error("no FastAGI route %r", agi.script, extra={"uniqueid": uid})
                return
            self.active.add(uid)
            await IvrSession(agi, self.deps).run()
        except (AgiProtocolError, TimeoutError) as e:
            log.warning("bad FastAGI connection: %s", e, extra={"uniqueid": uid})
        except Exception:
            # the session logged and recorded it; the dialplan takes the caller to an agent
            log.error("FastAGI session ended with an error", exc_info=True, extra={"uniqueid": uid})
        finally:
            self.active.discard(uid)
            writer.close()

    async def serve(self) -> None:
        from hotline.linkage.worker import run_linkage

        revision = await asyncio.to_thread(self._upgrade_schema)
        self.journal.start()
        await self.connect_ami()
        self.spawn(self.reconciler.run(self.config.reconcile_s))
        self.spawn(run_linkage(self))  # work orders: outbox relay, 督办 reminders, 回访 calls
        server = await asyncio.start_server(self.handle_agi, "127.0.0.1", self.config.agi_port, limit=2**20)
        audio_server = await asyncio.start_server(self.audiosocket.handle, "127.0.0.1", self.config.audiosocket_port)
        log.info(
            "FastAGI listening on 127.0.0.1:%d, AudioSocket on 127.0.0.1:%d "
            "(capture %s, profile %s, recognizer %s:%s, schema %s)",
            self.config.agi_port,
            self.config.audiosocket_port,
            self.config.capture,
            self.profile.id,
            self.speech.engine,
            self.speech.model,
            revision or "unavailable",
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with server, audio_server:
            await stop.wait()
        log.info("stopping: %d session(s) in progress", len(self.active))
        deadline = time.time() + 10
        while self.active and time.time() < deadline:
            await asyncio.sleep(0.2)
        if self.ami:
            self.ami.close()
        await asyncio.to_thread(self.journal.stop)
        self.speech.close()

    def _upgrade_schema(self) -> str:
        """The schema, brought up to date once at start. A database that is down does not stop the
        service: calls are journaled and the schema is checked again by the next start."""
        try:
            return migrate(self.calllog.engine)
        except Exception as e:
            log.error("database unavailable at start (%s): calls are journaled until it is back", e)
            return ""


def run_service(config: Config | None = None) -> None:
    config = config or Config()
    os.umask(0o077)  # recordings, the journal and the database: owner only
    setup_logging(config.log_level)
    service = HotlineService(config)
    asyncio.run(service.serve())

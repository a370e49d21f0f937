"""A scripted Asterisk for FastAGI tests: it sends the AGI environment, then answers the session's
commands from a script of (command pattern, reply) steps taken in order — the conversation the
session must have. Replies are Asterisk's own (tests/fixtures/agi/ holds recorded exchanges)."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hotline.agi.channel import AgiChannel

Reply = str | Callable[[re.Match[str]], str]


@dataclass
class Step:
    pattern: str  # a regular expression the whole command must match
    reply: Reply  # the reply line(s), or a function of the match that returns them (and may act)


@dataclass
class ScriptedAsterisk:
    environment: dict[str, str]
    steps: list[Step]
    seen: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def channel(self) -> tuple[AgiChannel, asyncio.Task]:
        """The session's AgiChannel, connected to this peer over a real socket pair."""
        ours, theirs = socket.socketpair()
        reader, writer = await asyncio.open_connection(sock=ours)
        peer_reader, peer_writer = await asyncio.open_connection(sock=theirs)
        task = asyncio.ensure_future(self._serve(peer_reader, peer_writer))
        return AgiChannel(reader, writer, dict(self.environment)), task

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        steps = list(self.steps)
        try:
            while True:
                raw = await reader.readline()
                if not raw:
                    return
                cmd = raw.decode().rstrip("\n")
                self.seen.append(cmd)
                if not steps:
                    self.errors.append(f"unexpected command after the script ended: {cmd}")
                    writer.write(b"511 Command Not Permitted on a dead channel or intercept routine\n")
                    await writer.drain()
                    continue
                step = steps.pop(0)
                m = re.fullmatch(step.pattern, cmd)
                if m is None:
                    self.errors.append(f"expected {step.pattern!r}, got {cmd!r}")
                    writer.write(b"510 Invalid or unknown command\n")
                    await writer.drain()
                    continue
                reply = step.reply(m) if callable(step.reply) else step.reply
                if reply is None:  # the channel hangs up instead of answering
                    writer.close()
                    return
                writer.write(reply.encode() + (b"" if reply.endswith("\n") else b"\n"))
                await writer.drain()
        except (ConnectionError, OSError):
            return

    @property
    def left(self) -> int:
        return len(self.steps) - len(self.seen)


def environment(uniqueid: str = "1796120000.1", platform: str = "12345", caller: str = "13800138000") -> dict:
    """An AGI environment as Asterisk 22 sends it for AGI(agi://127.0.0.1:4573/ivr,<platform>)."""
    return {
        "agi_network": "yes",
        "agi_network_script": "ivr",
        "agi_request": "agi://127.0.0.1:4573/ivr",
        "agi_channel": "PJSIP/caller-00000000",
        "agi_language": "zh",
        "agi_type": "PJSIP",
        "agi_uniqueid": uniqueid,
        "agi_version": "22.10.1",
        "agi_callerid": caller,
        "agi_calleridname": caller,
        "agi_context": "hotline-ivr",
        "agi_extension": "s",
        "agi_priority": "8",
        "agi_threadid": "140000000000000",
        "agi_arg_1": platform,
    }


def read_fixture(path: Path) -> tuple[dict[str, str], list[tuple[str, list[str]]]]:
    """A recorded exchange: the environment block, then `> command` lines each followed by `< reply` lines."""
    env: dict[str, str] = {}
    exchanges: list[tuple[str, list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("> "):
            exchanges.append((line[2:], []))
        elif line.startswith("< "):
            exchanges[-1][1].append(line[2:])
        elif ": " in line and not exchanges:
            k, v = line.split(": ", 1)
            env[k] = v
    return env, exchanges

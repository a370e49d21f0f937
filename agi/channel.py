"""One FastAGI connection: the only code that speaks AGI.

It reads the agi_* environment, sends a command, reads and parses the reply (the format is Asterisk's
res_agi.c, parsed here rather than by a library whose contract has changed before), and notices a hang-up.
Every command either returns an `AgiReply` or raises `CallerHungUp`: the session never has to guess
whether the caller is still there. Replies and commands are logged at DEBUG with the call's id (a wire
trace; tests/fixtures/agi/ holds recorded ones).

Reply lines (res_agi.c):
    200 result=<n> [(<data>)] [key=value ...]    a command ran; result=-1 means the application
                                                 failed (often: the channel hung up)
    100 result=0 Trying...                       an intermediate line; the real reply follows
    510 Invalid or unknown command
    511 Command Not Permitted on a dead channel or intercept routine
    520-Invalid command syntax.  Proper usage follows:   ... until "520 End of proper usage."
    HANGUP                                       sent once when the channel hangs up (AGISIGHUP)
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field

log = logging.getLogger("hotline.agi")

ESCAPE_DIGITS = "0123456789*#"
MAX_HEADER_BYTES = 16384
MAX_LINE_BYTES = 65536
_REPLY = re.compile(r"^(?P<code>\d{3})(?P<sep>[ -])(?P<rest>.*)$")
_RESULT = re.compile(r"^result=(?P<result>\S*)\s*(?:\((?P<data>.*)\))?\s*(?P<extra>.*)$")


class CallerHungUp(Exception):
    """The caller hung up (or Asterisk closed the AGI connection); `during` says what was going on."""

    def __init__(self, during: str = "ivr") -> None:
        super().__init__(during)
        self.during = during


class AgiProtocolError(Exception):
    """The peer does not speak AGI (a bad environment block, an unparseable reply)."""


class AgiCommandError(Exception):
    """Asterisk refused the command (510 unknown, 520 usage): a bug in the caller of AgiChannel."""


@dataclass(frozen=True)
class AgiReply:
    code: int  # 200 | 510 | 511 | 520
    result: str = ""  # the result= value
    data: str = ""  # the text in parentheses, if any
    extra: dict[str, str] = field(default_factory=dict)  # key=value after it (endpos=...)
    raw: str = ""

    @property
    def failed(self) -> bool:
        """result=-1: the application failed or the channel hung up."""
        return self.code == 200 and self.result == "-1"


def parse_reply(line: str) -> AgiReply:
    """One reply line -> AgiReply. Raises AgiProtocolError on anything that is not a reply."""
    m = _REPLY.match(line)
    if not m:
        raise AgiProtocolError(f"not an AGI reply: {line[:200]!r}")
    code, rest = int(m["code"]), m["rest"]
    if code not in (100, 200):
        return AgiReply(code, raw=line, data=rest)
    r = _RESULT.match(rest)
    if not r:
        raise AgiProtocolError(f"AGI reply without result=: {line[:200]!r}")
    extra = dict(kv.split("=", 1) for kv in r["extra"].split() if "=" in kv)
    return AgiReply(code, r["result"], r["data"] or "", extra, line)


def parse_environment(block: bytes) -> OrderedDict[str, str]:
    head = block.decode("utf-8", "replace")
    env: OrderedDict[str, str] = OrderedDict()
    for line in head.split("\n"):
        if ": " in line:
            k, v = line.split(": ", 1)
            env[k] = v
    if "agi_network_script" not in env and "agi_request" not in env:
        raise AgiProtocolError("no agi_request in the AGI environment")
    return env


async def read_environment(reader: asyncio.StreamReader) -> OrderedDict[str, str]:
    """The agi_* environment block; fails cleanly on a closed or oversized connection."""
    buf = b""
    while b"\n\n" not in buf:
        chunk = await reader.read(1024)
        if not chunk:
            raise AgiProtocolError("connection closed before the AGI environment ended")
        buf += chunk
        if len(buf) > MAX_HEADER_BYTES:
            raise AgiProtocolError("AGI environment too large")
    block, rest = buf.split(b"\n\n", 1)
    if rest:  # nothing may follow the environment before our first command
        raise AgiProtocolError("unexpected data after the AGI environment")
    return parse_environment(block)


@dataclass
class PlayResult:
    digit: str = ""  # a key pressed during the prompt ("" if none)


class AgiChannel:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, environment: dict[str, str]) -> None:
        self._reader = reader
        self._writer = writer
        self.environment = environment
        self.hung_up = False
        for k, v in environment.items():
            self._trace("=", f"{k}: {v}")

    @property
    def uniqueid(self) -> str:
        return self.environment.get("agi_uniqueid", "")

    @property
    def channel(self) -> str:
        return self.environment.get("agi_channel", "")

    @property
    def callerid(self) -> str:
        return self.environment.get("agi_callerid", "")

    @property
    def script(self) -> str:
        return self.environment.get("agi_network_script", "")

    def _trace(self, direction: str, line: str) -> None:
        log.debug("agi %s %s", direction, line, extra={"uniqueid": self.uniqueid})

    async def _readline(self) -> str:
        try:
            raw = await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as e:
            raise ConnectionResetError("AGI connection closed") from e
        except asyncio.LimitOverrunError as e:
            raise AgiProtocolError("AGI reply line too long") from e
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        self._trace("<", line)
        return line

    async def command(self, cmd: str) -> AgiReply:
        """Send one command and return its reply; CallerHungUp when the channel is gone."""
        if self.hung_up:
            raise CallerHungUp()
        if "\n" in cmd or "\r" in cmd:
            raise ValueError("an AGI command is one line")
        try:
            self._trace(">", cmd)
            self._writer.write((cmd + "\n").encode("utf-8"))
            await self._writer.drain()
            while True:
                line = await self._readline()
                if line == "HANGUP":
                    self.hung_up = True  # the reply to the command (if any) no longer matters
                    raise CallerHungUp()
                reply = parse_reply(line)
                if reply.code == 100:  # "100 result=0 Trying..." precedes the real answer
                    continue
                break
        except (ConnectionError, OSError) as e:
            self.hung_up = True
            raise CallerHungUp() from e
        if reply.code == 511:
            self.hung_up = True
            raise CallerHungUp()
        if reply.code == 520:
            while not (await self._readline()).startswith("520 "):
                pass  # the usage text, up to "520 End of proper usage."
            raise AgiCommandError(f"AGI usage error: {cmd}")
        if reply.code != 200:
            raise AgiCommandError(f"AGI refused {cmd!r}: {reply.raw}")
        if reply.data == "hangup":
            self.hung_up = True
            raise CallerHungUp()
        return reply

    async def get_variable(self, name: str) -> str:
        reply = await self.command(f"GET VARIABLE {name}")
        return reply.data if reply.result == "1" else ""

    async def set_variable(self, name: str, value: str) -> None:
        # the value is ours (decisions, digits), but never let it break out of the quotes
        safe = value.replace("\\", "").replace('"', "'").replace("\n", " ").replace("\r", " ")
        await self.command(f'SET VARIABLE {name} "{safe}"')

    async def play(self, prompt: str, escape: str = ESCAPE_DIGITS) -> PlayResult:
        """Play a prompt; a key pressed during it interrupts it and is returned."""
        reply = await self.command(f'STREAM FILE {prompt} "{escape}"')
        if reply.failed:  # -1: hang-up or a missing file
            if await self.is_hung_up():
                raise CallerHungUp()
            log.warning("prompt %s could not be played", prompt, extra={"uniqueid": self.uniqueid})
            return PlayResult()
        code = reply.result
        return PlayResult(chr(int(code)) if code.isdigit() and int(code) > 0 else "")

    async def get_digits(self, prompt: str, timeout_ms: int, max_digits: int = 1) -> str:
        reply = await self.command(f"GET DATA {prompt} {timeout_ms} {max_digits}")
        if reply.failed:
            raise CallerHungUp()
        value = reply.result
        return value if value.isdigit() or (value and set(value) <= set("*#")) else ""

    async def record(self, path_no_ext: str, max_ms: int, silence_s: int, beep: bool = True) -> tuple[str, str]:
        """RECORD FILE with silence detection. Returns (how it ended, digit pressed)."""
        reply = await self.command(
            f'RECORD FILE {path_no_ext} wav "{ESCAPE_DIGITS}" {max_ms} 0{" BEEP" if beep else ""} s={silence_s}'
        )
        if reply.failed:
            raise CallerHungUp()
        if reply.result.isdigit() and int(reply.result) > 0 and reply.data == "dtmf":
            return "dtmf", chr(int(reply.result))
        return ("timeout" if reply.data == "timeout" else "silence"), ""

    async def exec(self, application: str, options: str) -> AgiReply:
        return await self.command(f'EXEC {application} "{options}"')

    async def is_hung_up(self) -> bool:
        try:
            reply = await self.command("CHANNEL STATUS")
        except CallerHungUp:
            return True
        return reply.failed

    def close(self) -> None:
        self._writer.close()

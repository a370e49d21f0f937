"""One FastAGI connection: the AGI commands the IVR needs, over panoramisk's Request.

Every command either returns its result or raises CallerHungUp: the session never has to guess
whether the caller is still there.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass

from panoramisk.fast_agi import Request
from panoramisk.utils import parse_agi_result

log = logging.getLogger("hotline.agi")

ESCAPE_DIGITS = "0123456789*#"
MAX_HEADER_BYTES = 16384


class CallerHungUp(Exception):
    """The caller hung up (or Asterisk closed the AGI connection); `during` says what was going on."""

    def __init__(self, during: str = "ivr") -> None:
        super().__init__(during)
        self.during = during


class AgiProtocolError(Exception):
    pass


@dataclass
class PlayResult:
    digit: str = ""  # a key pressed during the prompt ("" if none)


async def read_headers(reader: asyncio.StreamReader) -> OrderedDict[str, str]:
    """The agi_* environment block; fails cleanly on a closed or oversized connection."""
    buf = b""
    while b"\n\n" not in buf:
        chunk = await reader.read(1024)
        if not chunk:
            raise AgiProtocolError("connection closed before the AGI environment ended")
        buf += chunk
        if len(buf) > MAX_HEADER_BYTES:
            raise AgiProtocolError("AGI environment too large")
    head = buf.split(b"\n\n", 1)[0].decode("utf-8", "replace")
    return OrderedDict(line.split(": ", 1) for line in head.split("\n") if ": " in line)


class AgiChannel:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.headers = request.headers
        self.hung_up = False

    @property
    def uniqueid(self) -> str:
        return self.headers.get("agi_uniqueid", "")

    @property
    def channel(self) -> str:
        return self.headers.get("agi_channel", "")

    async def command(self, cmd: str) -> dict:
        if self.hung_up:
            raise CallerHungUp()
        try:
            self.request.writer.write((cmd + "\n").encode("utf-8"))
            await self.request.writer.drain()
            line = await self.request.reader.readline()
            while True:
                if not line:
                    raise ConnectionResetError("AGI connection closed")
                res = parse_agi_result(line.decode("utf-8", "replace").rstrip("\n"))
                if res.get("status_code") == 100:  # "100 Trying..." precedes the real answer
                    line = await self.request.reader.readline()
                    continue
                break
        except (ConnectionError, OSError) as e:
            self.hung_up = True
            raise CallerHungUp() from e
        if res.get("error") == "AGIResultHangup":
            self.hung_up = True
            raise CallerHungUp()
        if res.get("error") == "AGIUsageError":  # the usage text follows on further lines
            await self.request.reader.readline()
        log.debug("agi %s -> %s", cmd, res, extra={"uniqueid": self.uniqueid})
        return res

    async def get_variable(self, name: str) -> str:
        res = await self.command(f"GET VARIABLE {name}")
        value = res.get("result", ("", ""))
        return value[1].strip("()") if value[0] == "1" else ""

    async def set_variable(self, name: str, value: str) -> None:
        safe = value.replace("\\", "").replace('"', "'").replace("\n", " ")
        await self.command(f'SET VARIABLE {name} "{safe}"')

    async def play(self, prompt: str, escape: str = ESCAPE_DIGITS) -> PlayResult:
        """Play a prompt; a key pressed during it interrupts it and is returned."""
        res = await self.command(f'STREAM FILE {prompt} "{escape}"')
        if res.get("error") == "AGIAppError":  # -1: hang-up or a missing file
            if await self.is_hung_up():
                raise CallerHungUp()
            log.warning("prompt %s could not be played", prompt, extra={"uniqueid": self.uniqueid})
            return PlayResult()
        code = res.get("result", ("0", ""))[0]
        return PlayResult(chr(int(code)) if code.isdigit() and int(code) > 0 else "")

    async def get_digits(self, prompt: str, timeout_ms: int, max_digits: int = 1) -> str:
        res = await self.command(f"GET DATA {prompt} {timeout_ms} {max_digits}")
        if res.get("error") == "AGIAppError":
            raise CallerHungUp()
        value = res.get("result", ("", ""))[0]
        return value if value.isdigit() or set(value) <= set("*#") else ""

    async def record(self, path_no_ext: str, max_ms: int, silence_s: int, beep: bool = True) -> tuple[str, str]:
        """RECORD FILE with silence detection. Returns (how it ended, digit pressed)."""
        res = await self.command(
            f'RECORD FILE {path_no_ext} wav "{ESCAPE_DIGITS}" {max_ms} 0{" BEEP" if beep else ""} s={silence_s}'
        )
        if res.get("error") == "AGIAppError":
            raise CallerHungUp()
        code, data = res.get("result", ("0", ""))
        if code.isdigit() and int(code) > 0 and "dtmf" in data:
            return "dtmf", chr(int(code))
        return ("timeout" if "timeout" in data else "silence"), ""

    async def is_hung_up(self) -> bool:
        try:
            res = await self.command("CHANNEL STATUS")
        except CallerHungUp:
            return True
        return res.get("error") == "AGIAppError"

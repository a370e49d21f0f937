"""Asterisk's AudioSocket protocol: the caller's live audio to the service, our audio back to them.

EAGI's audio pipe does not exist over FastAGI, so the session runs `AudioSocket(uuid,host:port)`
with AGI EXEC; Asterisk connects here, says which call it is (the UUID), then streams 20 ms frames
of 8 kHz signed-linear audio and the caller's DTMF. A hang-up message (or closing the socket) from
our side ends the application cleanly and the AGI session carries on.

Wire format: 1 byte kind, 2 bytes payload length (big-endian), payload.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import uuid

log = logging.getLogger("hotline.audiosocket")

KIND_HANGUP = 0x00
KIND_UUID = 0x01
KIND_DTMF = 0x03
KIND_AUDIO = 0x10  # slin, 16-bit, 8 kHz, mono
KIND_ERROR = 0xFF
HANDSHAKE_TIMEOUT_S = 5.0


class AudioSocketConnection:
    """One call's audio stream. `read` gives (kind, payload) or None when Asterisk closed it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, stream_id: str) -> None:
        self.reader = reader
        self.writer = writer
        self.stream_id = stream_id
        self.closed = asyncio.Event()

    async def read(self) -> tuple[int, bytes] | None:
        try:
            head = await self.reader.readexactly(3)
            kind, length = head[0], struct.unpack(">H", head[1:])[0]
            payload = await self.reader.readexactly(length) if length else b""
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self.writer.close()  # Asterisk ended it: the caller hung up, or the channel went away
            self.closed.set()
            return None
        return kind, payload

    def send_audio(self, pcm: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(struct.pack(">BH", KIND_AUDIO, len(pcm)) + pcm)

    async def hangup(self) -> None:
        """Ask Asterisk to end AudioSocket(): the channel stays up and the dialplan/AGI continues."""
        try:
            if not self.writer.is_closing():
                self.writer.write(struct.pack(">BH", KIND_HANGUP, 0))
                await self.writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.writer.close()
            self.closed.set()


class AudioSocketServer:
    """Matches each incoming AudioSocket connection to the session that asked Asterisk for it."""

    def __init__(self) -> None:
        self._expected: dict[str, asyncio.Future[AudioSocketConnection]] = {}

    def expect(self) -> tuple[str, asyncio.Future[AudioSocketConnection]]:
        """A fresh stream id (for the AudioSocket() argument) and the future its connection fills."""
        stream_id = str(uuid.uuid4())
        fut: asyncio.Future[AudioSocketConnection] = asyncio.get_running_loop().create_future()
        self._expected[stream_id] = fut
        return stream_id, fut

    def forget(self, stream_id: str) -> None:
        fut = self._expected.pop(stream_id, None)
        if fut is not None and not fut.done():
            fut.cancel()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readexactly(3), HANDSHAKE_TIMEOUT_S)
            kind, length = head[0], struct.unpack(">H", head[1:])[0]
            payload = await asyncio.wait_for(reader.readexactly(length), HANDSHAKE_TIMEOUT_S) if length else b""
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError):
            log.warning("AudioSocket connection without a handshake")
            writer.close()
            return
        stream_id = str(uuid.UUID(bytes=payload)) if kind == KIND_UUID and length == 16 else ""
        fut = self._expected.pop(stream_id, None)
        if fut is None or fut.done():
            log.warning("AudioSocket connection for an unknown stream %r: refused", stream_id or payload[:16].hex())
            writer.write(struct.pack(">BH", KIND_HANGUP, 0))
            writer.close()
            return
        conn = AudioSocketConnection(reader, writer, stream_id)
        fut.set_result(conn)
        await conn.closed.wait()  # keep the transport owned by this handler until the session is done

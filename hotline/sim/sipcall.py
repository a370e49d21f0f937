"""`hotline call`: a real SIP call (SIPp) into the running system, the caller's audio as RTP.

The caller waits for the welcome prompt (its length comes from the prompt file), speaks the WAV, then
stays on the line for `hold_s` or until the system hangs up. Each call has a caller number of its own
(its From user): the result is read back from the call log by that number. Works against
`hotline asterisk up --sim`, whose test-caller endpoint accepts any From user from loopback.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import tempfile
import threading
import time
import wave
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np

from hotline.config import REPO, Config
from hotline.sim import neighbours as neighbours_sim
from hotline.store import CallLog

PROMPTS = REPO / "sounds" / "zh" / "hotline"


class SipCallError(Exception):
    pass


def a_person_answers(event: dict) -> bool:
    """A call event in which a person takes the call: a leg it is handed to (an agent seat, the other platform,
    an emergency service) answering, or anyone but the caller joining a three-way call."""
    if event["kind"] == "answered":
        return True
    return event["kind"] == "bridge_join" and event.get("participant") not in (None, "caller")


def seconds_to_person(events: list[dict], is_person: Callable[[dict], bool] = a_person_answers) -> float | None:
    """From the call being answered to the first event `is_person` accepts, in seconds; None if there is none
    (a call's `events` as `place_call` returns them)."""
    answer = next((e for e in events if e["kind"] == "answer"), None)
    person = next((e for e in events if is_person(e)), None)
    if answer is None or person is None:
        return None
    return (datetime.fromisoformat(person["at"]) - datetime.fromisoformat(answer["at"])).total_seconds()


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def read_wav_8k(path: str | Path) -> np.ndarray:
    import soxr

    try:
        with wave.open(str(path), "rb") as w:
            rate, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            raw = w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error) as e:
        raise SipCallError(f"cannot read {path}: {e}") from None
    if width != 2:
        raise SipCallError(f"{path}: expected 16-bit PCM WAV")
    pcm = np.frombuffer(raw, dtype="<i2").astype(np.float32)
    if ch > 1:
        pcm = pcm.reshape(-1, ch).mean(axis=1)
    if rate != 8000:
        pcm = soxr.resample(pcm, rate, 8000)
    return np.clip(pcm, -32768, 32767).astype(np.int16)


def ulaw_encode(pcm: np.ndarray) -> bytes:
    """G.711 mu-law (the PCMU payload SIPp streams)."""
    bias, clip = 0x84, 32635
    x = pcm.astype(np.int32)
    sign = np.where(x < 0, 0x80, 0)
    x = np.minimum(np.abs(x), clip) + bias
    exponent = np.floor(np.log2(x)).astype(np.int32) - 7
    exponent = np.clip(exponent, 0, 7)
    mantissa = (x >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# SIPp's media ports come from a range of their own: below Linux's ephemeral ports (32768-60999), where the
# kernel picks every SIP port (_free_udp_port) and every other socket's, and above Asterisk's RTP (rtp.conf,
# 10000-10999). Calls placed at once from one process (the concurrent-calls test) take turns on a cursor, so
# no two get the same ports: probing a free port and closing it let two threads both find it free, and one
# SIPp then failed to bind it ("Address already in use").
_RTP_FIRST, _RTP_LAST = 20000, 29996
_rtp_lock = threading.Lock()
_rtp_next = _RTP_FIRST + 4 * secrets.randbelow((_RTP_LAST - _RTP_FIRST) // 4)  # another process starts elsewhere


def _free_rtp_port() -> int:
    """Four free ports in a row from the cursor (SIPp uses RTP, RTCP and the video pair), never the same twice
    in a row of 2,500 calls from this process."""
    global _rtp_next
    with _rtp_lock:
        for _ in range((_RTP_LAST - _RTP_FIRST) // 4):
            p = _rtp_next
            _rtp_next = p + 4 if p + 4 <= _RTP_LAST else _RTP_FIRST
            socks = []
            try:
                for k in range(4):
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    socks.append(s)
                    s.bind(("127.0.0.1", p + k))
                return p
            except OSError:
                continue
            finally:
                for s in socks:
                    s.close()
    raise SipCallError("no free RTP ports")


SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="hotline caller">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "@REF@" <sip:@REF@@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:@REF@@[local_ip]:[local_port]>
      Max-Forwards: 70
@EXTRA_HEADERS@      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=sipp 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-16
      a=sendrecv
    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" rrs="true">
    <action><ereg regexp=".*" search_in="hdr" header="To:" check_it="true" assign_to="remote_to"/></action>
  </recv>
  <send><![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "@REF@" <sip:@REF@@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To:[$remote_to]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:@REF@@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]></send>
  <nop><action><exec rtp_stream="@AUDIO@,1,0"/></action></nop>
@DTMF@
  <recv request="BYE" timeout="@WAIT_MS@" ontimeout="hangup"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]></send>
  <nop next="end"/>
  <label id="hangup"/>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "@REF@" <sip:@REF@@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To:[$remote_to]
      Call-ID: [call_id]
      CSeq: @BYE_CSEQ@ BYE
      Max-Forwards: 70
      Content-Length: 0
    ]]></send>
  <recv response="200" timeout="5000"/>
  <label id="end"/>
</scenario>
"""

DTMF_INFO = """  <pause milliseconds="@PAUSE@"/>
  <send retrans="500"><![CDATA[
      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "@REF@" <sip:@REF@@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To:[$remote_to]
      Call-ID: [call_id]
      CSeq: @CSEQ@ INFO
      Contact: <sip:@REF@@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal=@DIGIT@
      Duration=250
    ]]></send>
  <recv response="200" timeout="5000"/>
"""


def build_scenario(
    ref: str, audio: Path, wait_ms: int, dtmf: str = "", dtmf_at_ms: int = 0, extra_headers: dict | None = None
) -> str:
    steps, cseq, elapsed = [], 2, 0
    for i, d in enumerate(dtmf):
        pause = max(0, dtmf_at_ms - elapsed) if i == 0 else 400
        steps.append(DTMF_INFO.replace("@PAUSE@", str(pause)).replace("@CSEQ@", str(cseq)).replace("@DIGIT@", d))
        elapsed += pause
        cseq += 1
    headers = "".join(f"      {k}: {v}\n" for k, v in (extra_headers or {}).items())
    return (
        SCENARIO.replace("@EXTRA_HEADERS@", headers)
        .replace("@AUDIO@", str(audio))
        .replace("@DTMF@", "".join(steps))
        .replace("@WAIT_MS@", str(max(1000, wait_ms - elapsed)))
        .replace("@BYE_CSEQ@", str(cseq))
        .replace("@REF@", ref)  # last: the DTMF steps carry it too
    )


def place_call(
    wav: str | Path | None,
    platform: str = "12345",
    dtmf: str = "",
    agent_script: str = "",
    hold_s: float = 12.0,
    timeout_s: float = 120.0,
    config: Config | None = None,
    hangup_after_s: float | None = None,
    ref: str | None = None,
    record_wait_s: float = 15.0,
    repeat_after_s: float | None = None,
    speak_at_s: float | None = None,
    neighbours: dict[str, str] | None = None,
    extra_headers: dict[str, str] | None = None,
) -> dict:
    """Place one call; `wav=None` is a silent caller; `hangup_after_s` hangs up that long after answer;
    `repeat_after_s` has the caller say it again that long after first speaking (to the new party);
    `speak_at_s` starts speaking that long after answer (default: after the question has been asked;
    earlier is talking over the prompts); `agent_script` keys the simulated agent presses; `neighbours`
    how simulated neighbours behave ({"110": "busy"}); `extra_headers` SIP headers the caller adds (a
    hostile caller's, in tests)."""
    cfg = config or Config()
    if not set(dtmf) <= set("0123456789*#"):
        raise SipCallError(f"--dtmf takes 0-9, * and #, not {dtmf!r}")
    if agent_script and not set(agent_script) <= set("0123456789*#"):
        raise SipCallError("--agent-script takes 0-9, * and #")
    for k, v in (extra_headers or {}).items():
        if not k.replace("-", "").isalnum() or "\n" in v or "\r" in v:
            raise SipCallError(f"bad SIP header {k!r}")
    lead = wav_seconds(PROMPTS / f"welcome-{platform}.wav") + 0.6
    if speak_at_s is not None:
        lead = max(0.0, speak_at_s)
    speech = read_wav_8k(wav) if wav is not None else np.zeros(0, dtype=np.int16)
    parts = [np.zeros(int(lead * 8000), np.int16), speech, np.zeros(3 * 8000, np.int16)]
    if repeat_after_s is not None and len(speech):
        # the caller tells whoever took over the call again: their audio must arrive there
        parts += [np.zeros(int(repeat_after_s * 8000), np.int16), speech, np.zeros(2 * 8000, np.int16)]
    audio = np.concatenate(parts)
    ref = ref or f"1{secrets.randbelow(10**10):010d}"  # an 11-digit mobile-like number of its own
    if agent_script:
        neighbours_sim.set_agent_script(cfg, ref, agent_script)
    for who, how in (neighbours or {}).items():
        neighbours_sim.set_neighbour(cfg, ref, who, how)
    with tempfile.TemporaryDirectory(prefix="hotline-call-") as tmp:
        ulaw = Path(tmp) / "caller.ulaw"
        ulaw.write_bytes(ulaw_encode(audio))
        wait_ms = int((len(audio) / 8000 + hold_s) * 1000)
        if hangup_after_s is not None:
            wait_ms = int(hangup_after_s * 1000)
        dtmf_at = int((wav_seconds(PROMPTS / f"welcome-{platform}.wav") * 0.5) * 1000)
        scen = Path(tmp) / "caller.xml"
        scen.write_text(build_scenario(ref, ulaw, wait_ms, dtmf, dtmf_at, extra_headers))
        cmd = [
            "sipp",
            f"127.0.0.1:{cfg.sip_port}",
            "-sf",
            str(scen),
            "-s",
            platform,
            "-m",
            "1",
            "-i",
            "127.0.0.1",
            "-p",
            str(_free_udp_port()),
            "-mi",
            "127.0.0.1",
            "-mp",
            str(_free_rtp_port()),
            "-nostdin",
            "-timeout",
            f"{int(timeout_s)}s",
            "-timeout_error",
            "-max_recv_loops",
            "1000",
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s + 10, cwd=tmp)
        except FileNotFoundError:
            raise SipCallError("sipp is not installed (apt-get install sip-tester)") from None
        except subprocess.TimeoutExpired:
            raise SipCallError(f"the call did not finish within {timeout_s:.0f} s") from None
    calllog = CallLog(cfg.db_url)
    deadline = time.time() + record_wait_s
    call = None
    while time.time() < deadline:
        call = calllog.find_by_caller(ref)
        if call is not None and call.ended_at is not None:
            break
        time.sleep(0.2)
    if call is None:
        tail = (proc.stderr or proc.stdout)[-400:]
        raise SipCallError(
            f"no call record for call {ref} (sipp exit {proc.returncode}); is `hotline serve` running? {tail}"
        )
    return {
        "call_id": call.uniqueid,
        "platform": platform,
        "transcript": call.transcript,
        "asr_engine": call.asr_engine,
        "route": call.route,
        "action": call.action,
        "target": call.target,
        "outcome": call.outcome or "hangup",
        "emergency": call.emergency,
        "handover_ms": call.handover_ms,
        "recording": call.recording_path,
        "caller": ref,
        "sipp_exit": proc.returncode,
        "events": [
            {"at": e.at.isoformat(timespec="milliseconds"), "kind": e.kind, **(e.detail or {})}
            for e in calllog.events(call.uniqueid)
        ],
    }

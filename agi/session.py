"""The IVR conversation of one call: greet, listen, understand, route, act.

dialplan -> this session -> capture (agi/live_capture.py over AudioSocket; agi/capture.py with
RECORD FILE as the fallback) -> recognizer (hotline/asr) -> router (hotline/router) -> action
(agi/actions.py) -> call log (hotline/store).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime

from hotline.agi.actions import Plan, originate_conference_legs, plan_for
from hotline.agi.capture import Utterance, capture_utterance
from hotline.agi.channel import AgiChannel, CallerHungUp
from hotline.agi.live_capture import listen_live
from hotline.asr.base import Transcript, pcm16_to_16k, read_wav_16k, write_wav
from hotline.router import Decision, get_router

log = logging.getLogger("hotline.agi")

MENU = {"1": "110", "2": "12345", "0": "agent"}
MIN_VOICED_S = 0.3  # less than this is not speech worth recognising
AUDIOSOCKET_CONNECT_S = 3.0


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


class IvrSession:
    def __init__(self, agi: AgiChannel, service) -> None:
        self.agi = agi
        self.svc = service
        self.uid = agi.uniqueid
        self.platform = "12345"
        self.attempt_no = 0
        self.speech_end: float | None = None
        self.live = service.capture == "audiosocket"

    def _log(self, msg: str, *args) -> None:
        log.info(msg, *args, extra={"uniqueid": self.uid})

    async def _event(self, kind: str, at: float | None = None, **detail) -> None:
        await asyncio.to_thread(self.svc.calllog.add_event, self.uid, kind, _ts(at) if at else None, **detail)

    async def _update(self, **fields) -> None:
        await asyncio.to_thread(self.svc.calllog.update, self.uid, **fields)

    # -------------------------------------------------------------------------------- run
    async def run(self) -> None:
        platform = await self.agi.get_variable("HL_PLATFORM")
        self.platform = platform if platform in ("12345", "110") else "12345"
        ref = await self.agi.command("GET FULL VARIABLE ${PJSIP_HEADER(read,X-Hotline-Test)}")
        client_ref = ref.get("result", ("", ""))[1].strip("()")[:64] or None
        caller = self.agi.headers.get("agi_callerid", "")
        await asyncio.to_thread(
            self.svc.calllog.open_call, self.uid, self.platform, caller, self.svc.profile.id, client_ref
        )
        self._log("call from %r to %s", caller, self.platform)
        try:
            decision = await self.converse()
            await self.act(decision)
        except CallerHungUp as e:
            self._log("caller hung up during the IVR (%s)", e.during)
            await self._event("hangup", during=e.during)
            await self._update(outcome="hangup")
        except Exception as e:
            # the dialplan sends the caller to an agent when HL_ACTION stays empty
            log.exception("IVR session failed", extra={"uniqueid": self.uid})
            await self._update(error=f"{type(e).__name__}: {e}"[:2000])
            await self._event("error", error=f"{type(e).__name__}: {e}"[:500])
            raise

    # -------------------------------------------------------------------------- conversation
    async def converse(self) -> Decision:
        await self._event("prompt", prompt=f"greeting-{self.platform}")
        played = await self.agi.play(f"hotline/greeting-{self.platform}")
        if played.digit:
            return await self.menu_choice(played.digit)
        decision = None
        for attempt in (1, 2):
            self.attempt_no = attempt
            prompt = "ask" if attempt == 1 else "ask-again"
            await self._event("prompt", prompt=prompt)
            utt = await self.ask_and_listen(prompt, attempt)
            if utt.digit:
                return await self.menu_choice(utt.digit)
            decision = await self.understand(utt, attempt)
            if utt.ended_by == "hangup":
                raise CallerHungUp("utterance")
            # not understood twice (nothing matched, or too weakly): the DTMF menu, then an agent
            if decision.understood:
                return decision
        return await self.menu()

    async def ask_and_listen(self, prompt: str, attempt: int) -> Utterance:
        if self.live:
            utt = await self.listen_live(prompt, attempt)
            if utt is not None:
                return await self._heard(utt, attempt)
        played = await self.agi.play(f"hotline/{prompt}")
        if played.digit:
            return Utterance(self.svc.config.host_path("/dev/null"), 0, 0, 0, 0, "dtmf", played.digit)
        rel = f"{self.svc.state_in_asterisk}/recordings/{self.uid}-{attempt}"
        utt = await capture_utterance(
            self.agi, rel, self.svc.config.host_path(rel), max_s=int(self.svc.listen.max_utterance_s), silence_s=2
        )
        return await self._heard(utt, attempt)

    async def listen_live(self, prompt: str, attempt: int) -> Utterance | None:
        """The prompt and the listening over AudioSocket; None when AudioSocket is not available."""
        stream_id, connected = self.svc.audiosocket.expect()
        running = asyncio.ensure_future(
            self.agi.command(f'EXEC AudioSocket "{stream_id},127.0.0.1:{self.svc.config.audiosocket_port}"')
        )
        try:
            done, _ = await asyncio.wait(
                {connected, running}, timeout=AUDIOSOCKET_CONNECT_S, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            self.svc.audiosocket.forget(stream_id)
        if connected not in done or connected.cancelled():
            # AudioSocket() failed or never connected: RECORD FILE for the rest of the call
            self.live = False
            log.warning("AudioSocket unavailable: falling back to RECORD FILE", extra={"uniqueid": self.uid})
            await self._event("capture_fallback", reason="audiosocket did not connect")
            if running.done():
                running.result()  # raises CallerHungUp if that is why
                if await self.agi.is_hung_up():
                    raise CallerHungUp()
            else:
                running.cancel()
                raise CallerHungUp()  # the AGI channel is mid-command: nothing more can be said on it
            return None
        streaming = self.svc.streaming_transcriber()
        if streaming is not None:
            on_frame, on_pause = streaming.push, self._so_far_understood(streaming)
        else:
            on_frame, on_pause = None, (self._speculate if self.svc.listen.speculate_after_ms else None)
        live = await listen_live(
            connected.result(), self.svc.prompt_pcm(prompt), self.svc.listen, on_pause=on_pause, on_frame=on_frame
        )
        try:
            await asyncio.wait_for(running, 5.0)
        except CallerHungUp:
            if live.ended_by != "hangup":
                raise
        except TimeoutError:
            log.warning("AudioSocket() did not return after the stream ended", extra={"uniqueid": self.uid})
        rel = f"{self.svc.state_in_asterisk}/recordings/{self.uid}-{attempt}.wav"
        path = self.svc.config.host_path(rel)
        await asyncio.to_thread(write_wav, path, live.pcm8k)  # what the admin plays back
        return Utterance(
            path,
            live.started,
            live.stopped,
            live.speech_end or live.stopped,
            live.voiced_s,
            live.ended_by,
            live.digit,
            pcm8k=live.pcm8k,
            barged_in=live.barged_in,
            voiced_frames=live.voiced_frames,
            speculation=live.speculation,
            transcriber=streaming,
        )

    def _so_far_understood(self, streaming):
        async def at_pause(_pcm8k: bytes) -> tuple[Transcript, bool]:
            return self._judged(await streaming.so_far())

        return at_pause

    async def _speculate(self, pcm8k: bytes) -> tuple[Transcript, bool]:
        """What the caller said up to this pause, and whether the router understands it."""
        return self._judged(await self.svc.recognize(await asyncio.to_thread(pcm16_to_16k, pcm8k)))

    def _judged(self, tr: Transcript) -> tuple[Transcript, bool]:
        d = get_router(self.svc.profile.id).route(tr.text, platform=self.platform, attempt=self.attempt_no)
        return tr, d.understood

    async def _heard(self, utt: Utterance, attempt: int) -> Utterance:
        self.speech_end = utt.speech_end
        self._log(
            "answer %d: %.2f s of speech, ended by %s%s",
            attempt,
            utt.voiced_s,
            utt.ended_by,
            " (barged in)" if utt.barged_in else "",
        )
        await self._update(recording_path=str(utt.path), speech_end_at=_ts(utt.speech_end))
        await self._event(
            "speech_end",
            at=utt.speech_end,
            attempt=attempt,
            voiced_s=round(utt.voiced_s, 2),
            ended_by=utt.ended_by,
            **({"barged_in": True} if utt.barged_in else {}),
        )
        return utt

    async def understand(self, utt: Utterance, attempt: int) -> Decision:
        text = ""
        if utt.voiced_s >= MIN_VOICED_S:
            spec = utt.speculation
            if utt.transcriber is not None:
                tr = await utt.transcriber.finish()  # decoded while the caller spoke
                speculative = False
            elif spec is not None and spec.voiced_frames == utt.voiced_frames:
                tr, _ = await spec.task  # recognised during the caller's pause: nothing was said since
                speculative = True
            else:
                if utt.pcm8k is not None:  # resampled only when no guess or stream already has the text
                    pcm = await asyncio.to_thread(pcm16_to_16k, utt.pcm8k)
                else:
                    pcm = await asyncio.to_thread(read_wav_16k, utt.path)
                tr = await self.svc.recognize(pcm)
                speculative = False
            text = tr.text
            await self._event(
                "transcript", text=text, engine=tr.engine, decode_s=round(tr.decode_s, 3), speculative=speculative
            )
            await self._update(transcript=text, asr_engine=f"{tr.engine}:{tr.model}")
        decision = get_router(self.svc.profile.id).route(text, platform=self.platform, attempt=attempt)
        await self._record_decision(decision)
        return decision

    async def menu(self) -> Decision:
        await self._event("prompt", prompt="menu")
        digit = await self.agi.get_digits("hotline/menu", 5000)
        if not digit:
            digit = await self.agi.get_digits("hotline/menu-again", 5000)
        return await self.menu_choice(digit)

    async def menu_choice(self, digit: str) -> Decision:
        choice = MENU.get(digit, "agent")
        await self._event("dtmf", digit=digit or "(none)", choice=choice)
        await self._update(dtmf=digit or "")
        if choice == "agent":
            action, target = "agent", self.platform
        else:
            action, target = ("accept" if choice == self.platform else "transfer"), choice
        base = get_router(self.svc.profile.id).route("", platform=self.platform)
        decision = replace(
            base,
            action=action,
            target=target,
            rule="dtmf-menu",
            category=None,
            category_name=None,
            confidence=1.0,
            explanation=f"the caller pressed {digit or 'nothing'}: {action} -> {target}",
        )
        await self._record_decision(decision)
        return decision

    async def _record_decision(self, d: Decision) -> None:
        now = _ts(time.time())
        route = d.to_dict()
        fields = dict(
            route=route,
            action=d.action,
            target=d.target,
            category=d.category,
            emergency=d.emergency,
            matched=d.matched,
            decided_at=now,
        )
        # the decision, its event and (transfer / bridge / push to the other platform) the work order: one write
        order_id = await asyncio.to_thread(self.svc.calllog.record_decision, self.uid, route, fields, now)
        self._log(
            "decision %s -> %s (%s) emergency=%s%s",
            d.action,
            d.target,
            d.rule,
            d.emergency,
            f" order {order_id}" if order_id else "",
        )

    # ------------------------------------------------------------------------------- act
    async def act(self, decision: Decision) -> None:
        plan: Plan = plan_for(decision, self.svc.profile)
        for prompt in plan.prompts:
            await self._event("prompt", prompt=prompt.split("/")[-1])
            await self.agi.play(prompt, escape="")
        action, target = plan.action, plan.target
        if plan.offer_transfer_to:
            digit = await self.agi.get_digits("hotline/offer-transfer", 4000)
            if digit == "1":
                action, target = "transfer", plan.offer_transfer_to
                await self._event("dtmf", digit=digit, choice=f"transfer {target}")
        if action == "conference":
            target = plan.conference_with
            self.svc.spawn(originate_conference_legs(self.svc.ami, self.uid, self.platform, target))
        await self.agi.set_variable("HL_TARGET", target)
        await self.agi.set_variable("HL_ACTION", action)
        await self._event("action", action=action, target=target)

"""The IVR conversation of one call: greet and ask, listen, understand, route, act.

dialplan -> this session -> capture (agi/live_capture.py over AudioSocket; agi/capture.py with
RECORD FILE as the fallback) -> recognizer (agi/speech.py over hotline/asr) -> router (hotline/router)
-> action (agi/actions.py) -> call journal (hotline/store/journal.py).

The conversation policy (the profile's `conversation`, per platform): one prompt greets and asks, and
the caller may talk over it. An answer ends after a pause of 1.2 s (`ends_early`: a setting may end it
sooner on words of danger), and an ordinary matter's handover prompt is played while listening, for the
rest of what the caller says. A caller understood is acted on at once. A caller not understood is asked
again at most once (at 110 not at all), then a person of the receiving platform takes the call; on
12345 a hint of danger bridges 110 into a three-way call at once instead of asking again. A caller who
presses a key gets that key's choice (1 110, 2 12345, 0 a person; any other key: the menu). The router
proposes what a hint of danger asks for (Decision.hint_action / hint_target).

Nothing here waits on the database: every record goes through the journal.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from hotline.agi.actions import ConferenceDialer, Plan, plan_for
from hotline.agi.audiosocket import AudioSocketServer
from hotline.agi.capture import capture_utterance
from hotline.agi.channel import AgiChannel, CallerHungUp
from hotline.agi.heard_so_far import HeardSoFar
from hotline.agi.live_capture import ListenSettings, listen_live
from hotline.agi.prompts import PromptLibrary
from hotline.agi.speech import SpeechService
from hotline.agi.utterance import Utterance
from hotline.asr.base import Transcript, pcm16_to_16k, read_wav_16k, write_wav
from hotline.contract import Action, Var
from hotline.profile import PLATFORMS, Conversation, Profile
from hotline.router import Decision, Router
from hotline.store.journal import CallJournal

log = logging.getLogger("hotline.agi")

MENU = {"1": "110", "2": "12345", "0": "agent"}  # the keys the menu prompt offers
MENU_PROMPTS = ("menu", "menu-again")  # asked when a caller presses a key the menu does not offer
OFFER_TRANSFER_PROMPT = "offer-transfer"  # after a guide: press 1 to be put through
MIN_VOICED_S = 0.3  # less than this is not speech worth recognising
# a caller waiting for the decision is told they were heard when it is not ready soon, else they hear silence and
# hang up or talk on into nothing: the decode of a long answer takes seconds on 2 cores (8 s after the last word of
# a 20 s answer in session 60). One cut off at the longest answer waits HOLD_ON_AFTER_CUT_OFF_S; one who finished
# has already waited out the pause that ended the answer, then waits SessionDeps.hold_on_after_s
HOLD_ON_PROMPT, HOLD_ON_AFTER_CUT_OFF_S = "hold-on", 0.5
ENDED_BY_A_PAUSE = ("endpoint", "silence")  # the caller finished and waits (live capture, RECORD FILE)
AUDIOSOCKET_CONNECT_S = 3.0
MENU_WAIT_MS = 5000
# after the handover prompt (played while listening), how long a caller who has not started speaking again is
# waited for: a caller already speaking is heard to the end of the sentence
HANDOVER_TAIL_S = 0.3


@dataclass(frozen=True)
class Recordings:
    """Where a caller's answers are recorded: the folder as Asterisk sees it, and from the host."""

    in_asterisk: str
    on_host: Path

    def for_answer(self, uid: str, attempt: int) -> tuple[str, Path]:
        name = f"{uid}-{attempt}"
        return f"{self.in_asterisk}/{name}", self.on_host / name


@dataclass(frozen=True)
class SessionDeps:
    """What a conversation works with, each with one job."""

    profile: Profile
    router: Router
    speech: SpeechService
    journal: CallJournal
    prompts: PromptLibrary
    audio: AudioSocketServer
    dialer: ConferenceDialer
    listen: ListenSettings
    recordings: Recordings
    audiosocket_port: int
    capture: str = "audiosocket"  # audiosocket | record
    early_end: str = "none"  # which words end an answer at the short silence (ends_early)
    hold_on_after_s: float = 1.0  # after an answer's ending pause, silence before HOLD_ON_PROMPT (0: never)
    clock: Callable[[], float] = field(default=time.time)
    spawn: Callable = field(default=asyncio.ensure_future)  # runs a background task of the call


class IvrSession:
    def __init__(self, agi: AgiChannel, deps: SessionDeps) -> None:
        self.agi = agi
        self.deps = deps
        self.uid = agi.uniqueid
        self.platform = "12345"
        self.attempt_no = 0
        self.live = deps.capture == "audiosocket"
        self.transcript = ""  # what the caller said in the answer acted on
        self.said_before = ""  # during the handover prompt: the answer the caller is going on from

    def _log(self, msg: str, *args: object) -> None:
        log.info(msg, *args, extra={"uniqueid": self.uid})

    def _event(self, kind: str, at: float | None = None, **detail: object) -> None:
        self.deps.journal.event(self.uid, kind, at, **detail)

    def _update(self, **fields: object) -> None:
        self.deps.journal.update(self.uid, **fields)

    # -------------------------------------------------------------------------------- run
    async def run(self) -> None:
        # the platform comes with the AGI request (AGI(agi://…/ivr,<platform>)): the record is opened
        # before a single command can fail
        platform = self.agi.environment.get("agi_arg_1", "")
        self.platform = platform if platform in PLATFORMS else "12345"
        caller = self.agi.callerid if self.agi.callerid not in ("unknown", "") else ""
        self.deps.journal.open_call(self.uid, self.platform, caller, self.deps.profile.id)
        self._log("call from %r to %s", caller, self.platform)
        try:
            decision = await self.converse()
            await self.act(decision)
        except CallerHungUp as e:
            self._log("caller hung up during the IVR (%s)", e.during)
            self._event("hangup", during=e.during)
        except Exception as e:
            # the dialplan sends the caller to an agent when HL_ACTION stays empty
            log.exception("IVR session failed: the dialplan takes the caller to an agent", extra={"uniqueid": self.uid})
            self._update(error=f"{type(e).__name__}: {e}"[:2000])
            self._event("error", error=f"{type(e).__name__}: {e}"[:500])
            raise

    # -------------------------------------------------------------------------- conversation
    async def converse(self) -> Decision:
        turn = self.deps.profile.conversation[self.platform]
        prompt, attempt = turn.welcome, 1
        while True:
            self.attempt_no = attempt
            self._event("prompt", prompt=prompt)
            utt = await self.ask_and_listen(prompt, attempt, turn.no_speech_s)
            if utt.digit:
                return await self.key_pressed(utt.digit)
            decision = await self.understood_while_holding(utt, attempt)
            if utt.ended_by == "hangup":
                raise CallerHungUp("utterance")  # what was said is recorded, emergency flag included
            acted_on = final_decision(decision, attempt, turn, self.platform)
            if acted_on is decision:
                return decision  # recorded as the router decided it
            if acted_on is not None:
                return self.decided(acted_on)
            prompt, attempt = turn.ask_again, attempt + 1

    async def ask_and_listen(self, prompt: str, attempt: int, no_speech_s: float) -> Utterance:
        if self.live:
            utt = await self.listen_live(prompt, attempt, no_speech_s)
            if utt is not None:
                return self._heard(utt, attempt)
        played = await self.agi.play(self.deps.prompts.asterisk_name(prompt))
        if played.digit:
            now = self.deps.clock()
            return Utterance(None, now, now, now, 0.0, "dtmf", played.digit)
        in_asterisk, on_host = self.deps.recordings.for_answer(self.uid, attempt)
        utt = await capture_utterance(
            self.agi, in_asterisk, on_host, max_s=int(self.deps.listen.max_utterance_s), silence_s=2
        )
        return self._heard(utt, attempt)

    async def listen_live(
        self, prompt: str, attempt: int, no_speech_s: float, barge_in: bool | None = None
    ) -> Utterance | None:
        """The prompt and the listening over AudioSocket; None when AudioSocket is not available."""
        stream_id, connected = self.deps.audio.expect()
        running = asyncio.ensure_future(
            self.agi.exec("AudioSocket", f"{stream_id},127.0.0.1:{self.deps.audiosocket_port}")
        )
        try:
            done, _ = await asyncio.wait(
                {connected, running}, timeout=AUDIOSOCKET_CONNECT_S, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            self.deps.audio.forget(stream_id)
        if connected not in done or connected.cancelled():
            # AudioSocket() failed or never connected: RECORD FILE for the rest of the call
            self.live = False
            log.warning("AudioSocket unavailable: falling back to RECORD FILE", extra={"uniqueid": self.uid})
            self._event("capture_fallback", reason="audiosocket did not connect")
            if running.done():
                running.result()  # raises CallerHungUp if that is why
                if await self.agi.is_hung_up():
                    raise CallerHungUp()
            else:
                running.cancel()
                raise CallerHungUp()  # the AGI channel is mid-command: nothing more can be said on it
            return None
        streaming = self.deps.speech.streaming()
        so_far: HeardSoFar | None = None
        if streaming is not None:
            on_frame, on_pause = streaming.push, self._so_far_understood(streaming)
        else:
            on_frame, on_pause = None, None
            if self.deps.listen.speculate_after_ms:
                so_far = HeardSoFar()
                on_pause = functools.partial(self._speculate, so_far)
        settings = replace(self.deps.listen, no_speech_s=no_speech_s)
        if barge_in is not None:
            settings = replace(settings, barge_in=barge_in)
        live = await listen_live(
            connected.result(), self.deps.prompts.pcm(prompt), settings, on_pause=on_pause, on_frame=on_frame
        )
        try:
            await asyncio.wait_for(running, 5.0)
        except CallerHungUp:
            if live.ended_by != "hangup":
                raise
        except TimeoutError:
            log.warning("AudioSocket() did not return after the stream ended", extra={"uniqueid": self.uid})
        _, on_host = self.deps.recordings.for_answer(self.uid, attempt)
        path = on_host.with_name(on_host.name + ".wav")
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
            so_far=so_far,
        )

    def _so_far_understood(self, streaming):
        async def at_pause(_pcm8k: bytes) -> tuple[Transcript, bool]:
            return self._judged(await streaming.so_far())

        return at_pause

    async def _speculate(self, so_far: HeardSoFar, pcm8k: bytes) -> tuple[Transcript, bool]:
        """What the caller said up to this pause (noted in `so_far`), and whether the router understands it."""
        tr = await self._decode8k(pcm8k)
        so_far.note(tr, len(pcm8k))
        return self._judged(tr)

    async def _decode8k(self, pcm8k: bytes) -> Transcript:
        return await self.deps.speech.recognize(await asyncio.to_thread(pcm16_to_16k, pcm8k))

    def _judged(self, tr: Transcript) -> tuple[Transcript, bool]:
        """What was said so far, and whether it ends the answer at the short silence (`ends_early`)."""
        text = f"{self.said_before}，{tr.text}" if self.said_before else tr.text
        d = self.deps.router.route(text, platform=self.platform, attempt=self.attempt_no)
        return tr, ends_early(d, self.deps.early_end)

    def _heard(self, utt: Utterance, attempt: int) -> Utterance:
        self._log(
            "answer %d: %.2f s of speech, ended by %s%s",
            attempt,
            utt.voiced_s,
            utt.ended_by,
            " (barged in)" if utt.barged_in else "",
        )
        if utt.path is not None:
            self._update(recording_path=str(utt.path))
        self._update(speech_end_at=_utc(utt.speech_end))
        self._speech_end_event(utt, attempt)
        return utt

    def _speech_end_event(self, utt: Utterance, attempt: int, **detail: object) -> None:
        self._event(
            "speech_end",
            at=utt.speech_end,
            attempt=attempt,
            voiced_s=round(utt.voiced_s, 2),
            ended_by=utt.ended_by,
            **({"barged_in": True} if utt.barged_in else {}),
            **detail,
        )

    async def understood_while_holding(self, utt: Utterance, attempt: int) -> Decision:
        """`understand`; a caller who waits for it longer than `hold_on_wait_s` hears HOLD_ON_PROMPT while it runs
        (the decision is acted on once the prompt has played)."""
        understanding = asyncio.ensure_future(self.understand(utt, attempt))
        wait_s = self.hold_on_wait_s(utt)
        if wait_s is None:
            return await understanding
        done, _ = await asyncio.wait({understanding}, timeout=wait_s)
        if not done:
            self._event("prompt", prompt=HOLD_ON_PROMPT)
            try:
                await self.agi.play(self.deps.prompts.asterisk_name(HOLD_ON_PROMPT), escape="")
            except CallerHungUp:
                await understanding  # what was said is recorded, emergency flag included
                raise
        return await understanding

    def hold_on_wait_s(self, utt: Utterance) -> float | None:
        """How long the caller of `utt` waits for the decision in silence before HOLD_ON_PROMPT; None: they are
        not waiting (hung up, pressed a key, said nothing) or the prompt is off."""
        if utt.ended_by == "max-length":
            return HOLD_ON_AFTER_CUT_OFF_S
        if utt.ended_by in ENDED_BY_A_PAUSE and self.deps.hold_on_after_s > 0 and utt.voiced_s >= MIN_VOICED_S:
            return self.deps.hold_on_after_s
        return None

    async def understand(self, utt: Utterance, attempt: int) -> Decision:
        tr = await self.transcribe(utt)
        text = tr.text if tr is not None else ""
        if tr is not None:
            self._update(transcript=text, asr_engine=f"{tr.engine}:{tr.model}")
        self.transcript = text
        return self.decided(self.deps.router.route(text, platform=self.platform, attempt=attempt))

    async def transcribe(self, utt: Utterance, **detail: object) -> Transcript | None:
        """What the caller said (its `transcript` event recorded), or None when too little was said."""
        if utt.voiced_s < MIN_VOICED_S:
            return None
        spec = utt.speculation
        if utt.transcriber is not None:
            tr = await utt.transcriber.finish()  # decoded while the caller spoke
            speculative = False
        elif spec is not None and spec.voiced_frames == utt.voiced_frames:
            tr, _ = await spec.task  # recognised during the caller's pause: nothing was said since
            speculative = True
        else:
            if spec is not None and not spec.task.done():
                spec.task.cancel()  # a guess at an earlier pause: not waited for, and its decode dropped if queued
            if utt.pcm8k is not None and utt.so_far is not None:
                # the audio after the latest guess that heard something, added to it: a caller cut off at 20 s
                # waits for the decode of the words since their last pause, not of all 20 s
                tr = await utt.so_far.completed(utt.pcm8k, self._decode8k)
                if utt.so_far.settled.transcript is not None:
                    detail = {**detail, "tail_from_s": round(utt.so_far.settled.pcm_bytes / 16000, 2)}
            elif utt.pcm8k is not None:  # resampled only when no guess or stream already has the text
                tr = await self._decode8k(utt.pcm8k)
            else:
                tr = await self.deps.speech.recognize(await asyncio.to_thread(read_wav_16k, utt.path))
            speculative = False
        self._event(
            "transcript",
            text=tr.text,
            engine=tr.engine,
            decode_s=round(tr.decode_s, 3),
            speculative=speculative,
            **detail,
        )
        return tr

    async def key_pressed(self, digit: str) -> Decision:
        """A key: its menu choice; a key the menu does not offer: the menu, then a person."""
        if digit not in MENU:
            for prompt in MENU_PROMPTS:
                self._event("prompt", prompt=prompt)
                digit = await self.agi.get_digits(self.deps.prompts.asterisk_name(prompt), MENU_WAIT_MS)
                if digit in MENU:
                    break
        return self.menu_choice(digit)

    def menu_choice(self, digit: str) -> Decision:
        choice = MENU.get(digit, "agent")
        self._event("dtmf", digit=digit or "(none)", choice=choice)
        self._update(dtmf=digit or "")
        if choice == "agent":
            action, target = Action.AGENT, self.platform
        else:
            action, target = (Action.ACCEPT if choice == self.platform else Action.TRANSFER), choice
        base = self.deps.router.route("", platform=self.platform)
        return self.decided(
            replace(
                base,
                action=action,
                target=target,
                rule="dtmf-menu",
                category=None,
                category_name=None,
                confidence=1.0,
                explanation=f"the caller pressed {digit or 'nothing'}: {action} -> {target}",
            )
        )

    async def listen_through(self, prompt: str, decision: Decision) -> tuple[Decision, bool]:
        """Play the handover prompt while listening. A caller who goes on after the long pause is heard: when
        what they said before and now together takes them to 110 at once (the danger told last, after a
        breath), that decision replaces the ordinary one. Returns the decision acted on, and whether the
        prompt was played (False: AudioSocket failed, RECORD FILE from now on)."""
        self._event("prompt", prompt=prompt, listening=True)
        attempt = self.attempt_no + 1  # its own recording, beside the answer's
        self.said_before = self.transcript
        try:
            utt = await self.listen_live(prompt, attempt, HANDOVER_TAIL_S, barge_in=False)
        finally:
            self.said_before = ""
        if utt is None:
            return decision, False
        tr = None
        if utt.voiced_s >= MIN_VOICED_S:
            self._speech_end_event(utt, attempt, during="handover", recording=str(utt.path) if utt.path else "")
            tr = await self.transcribe(utt, during="handover")
        elif utt.path is not None:
            utt.path.unlink(missing_ok=True)  # nothing said: no recording to keep
        heard = decision
        if tr is not None and tr.text:
            said = f"{self.transcript}，{tr.text}" if self.transcript else tr.text
            self._update(transcript=said)
            went_on = went_on_to_danger(self.deps.router, self.platform, said, self.attempt_no)
            if went_on is not None:
                self._log("the caller went on to a danger during the handover prompt")
                self._update(speech_end_at=_utc(utt.speech_end))  # the handover is timed from these words
                heard = self.decided(went_on)
        if utt.ended_by == "hangup":
            raise CallerHungUp("handover prompt")  # what was said is recorded, emergency flag included
        return heard, True

    def decided(self, d: Decision) -> Decision:
        """Record the decision (its fields and its event, together) and return it."""
        now = self.deps.clock()
        self.deps.journal.decision(
            self.uid,
            {
                "route": d.to_dict(),
                "action": d.action,
                "target": d.target,
                "category": d.category,
                "emergency": d.emergency,
                "matched": d.matched,
                "decided_at": _utc(now),
            },
            d.event_detail(),
            at=now,
        )
        self._log("decision %s -> %s (%s) emergency=%s", d.action, d.target, d.rule, d.emergency)
        return d

    # ------------------------------------------------------------------------------- act
    async def act(self, decision: Decision) -> None:
        plan: Plan = plan_for(decision, self.deps.profile)
        prompts = plan.prompts
        if self.live and prompts and listens_through_handover(decision):
            heard, played = await self.listen_through(prompts[0], decision)
            if heard is not decision:  # the caller went on to a danger: 110's plan, its prompts played in full
                decision = heard
                plan = plan_for(decision, self.deps.profile)
                prompts = plan.prompts
            elif played:
                prompts = prompts[1:]
        if plan.action == Action.CONFERENCE:
            # the legs ring while the caller hears the prompt, not after it: a person answers seconds sooner
            caller = (self.deps.journal.view(self.uid) or {}).get("caller", "")
            self.deps.spawn(
                self.deps.dialer.bring_in_ahead(self.uid, self.platform, plan.conference_with, caller, warn=plan.warn)
            )
        for prompt in prompts:
            self._event("prompt", prompt=prompt)
            await self.agi.play(self.deps.prompts.asterisk_name(prompt), escape="")
        action, target = plan.action, plan.target
        if plan.offer_transfer_to:
            digit = await self.agi.get_digits(self.deps.prompts.asterisk_name(OFFER_TRANSFER_PROMPT), 4000)
            if digit == "1":
                action, target = Action.TRANSFER, plan.offer_transfer_to
                self._event("dtmf", digit=digit, choice=f"transfer {target}")
        if action == Action.CONFERENCE:
            target = plan.conference_with
        if plan.ringback:  # the dialplan plays it while the target rings
            self._event("prompt", prompt=plan.ringback, while_ringing=True)
            await self.agi.set_variable(Var.RINGBACK, plan.ringback)
        if plan.warn:  # inherited by the agent's or the other platform's leg: its answer plays the warning
            await self.agi.set_variable(f"__{Var.HINT}", "1")
        await self.agi.set_variable(Var.TARGET, target)
        await self.agi.set_variable(Var.EMERGENCY, "1" if plan.emergency else "0")
        await self.agi.set_variable(Var.ACTION, action)
        self._event("action", action=action, target=target)


def final_decision(d: Decision, attempt: int, turn: Conversation, platform: str) -> Decision | None:
    """What the conversation acts on after the caller's `attempt`-th answer was decided as `d`; None: ask again.

    An understood matter as decided. A hint of danger is never asked again: from 12345 110 joins a three-way
    call at once. A caller still not understood once the platform's re-asks are spent (none at 110, one at
    12345) goes to a person of the platform dialed, never to a menu."""
    if d.understood:
        return d
    if d.acts_on_hint:
        return replace(
            d,
            action=d.hint_action,
            target=d.hint_target or "110",
            rule="danger-hint",
            explanation=f"a hint of danger ({d.explanation}): {d.hint_action} -> {d.hint_target} at once, "
            "not asked again",
        )
    if attempt > turn.reasks:
        return replace(
            d,
            action=Action.AGENT,
            target=platform,
            rule="not-understood",
            explanation=f"not understood after {attempt} answer(s): a person takes the call",
        )
    return None


def ends_early(d: Decision, policy: str) -> bool:
    """Whether the words said up to a pause end the answer after the short silence (HOTLINE_ENDPOINT_MS) rather
    than the long one (HOTLINE_PAUSE_MS); `policy` is the setting HOTLINE_EARLY_END.

    none (the default): never. The words before a pause are often not the matter: callers in danger begin with
    something else ("楼下路灯坏了好几天了。……有人拿刀在追一个女的"), and a fragment ("我车停在楼下",
    "人在深圳") is heard as the beginning of a danger by a model trained on whole requests. Replayed on three
    spoken splits (benchmarks/bench_live_replay.py), waiting caught 95.8% of the emergencies and flagged 6.4%
    of the ordinary rows; ending at understood words (the listener until 2026-12-03) 86.5% and 9.4%; ending at
    an emergency 96.3% and 9.8%, 0.6 s sooner.
    rules-emergency: a danger phrase of the profile, not doubted by the model ("着火了", "有人打架").
    emergency: any emergency, the model's too, or a rules' emergency held in doubt; never words that only
    hint at danger ("你好，我叫王建国"): the caller is still talking, and the hint acts at the long pause."""
    if policy == "none" or not (d.understood and d.reaches_110_at_once):
        return False
    return policy == "emergency" or d.rule == "emergency-first"


def listens_through_handover(d: Decision) -> bool:
    """An ordinary matter's handover prompt is played while listening (a danger may still come); a call
    already on its way to 110, or to a person because it was not understood, is not held for it."""
    return not d.reaches_110_at_once and d.action in (Action.ACCEPT, Action.TRANSFER, Action.GUIDE)


def went_on_to_danger(router: Router, platform: str, said: str, attempt: int) -> Decision | None:
    """The decision for everything the caller said (the ordinary matter acted on, then what followed the
    pause) when that takes the caller to 110 at once; None: the ordinary decision stands."""
    d = router.route(said, platform=platform, attempt=attempt)
    if not (d.understood and d.reaches_110_at_once):  # a mere hint does not overturn an understood matter
        return None
    return replace(d, explanation=f"went on after the handover prompt began: {d.explanation}")


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)

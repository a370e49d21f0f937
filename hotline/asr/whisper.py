"""faster-whisper engine (utterance mode): VAD-gated, no-speech-gated, simplified output.

Short-context decoding: Whisper pads every input to a 30 s window, so the encoder costs ~1 s on two
cores however short the caller's sentence. A hotline utterance lasts 2-10 s, so the engine encodes
a window just longer than the speech (the "reduced audio context" of whisper.cpp; CTranslate2
accepts it). On this machine that cuts a 6 s utterance from ~1.25 s to ~0.35 s; the benchmark
(`benchmarks/bench_asr.py`) prints the CER of both modes so the trade stays measured.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import opencc

from hotline.asr.base import Transcript
from hotline.profile import is_gapped

# Whisper invents text on silence and noise (字幕, 谢谢观看…): such output is dropped by these gates.
NO_SPEECH_PROB = 0.6
MIN_AVG_LOGPROB = -1.0
MIN_RMS = 0.003  # about -50 dBFS: below it there is nothing to recognise
FULL_WINDOW_S = 30.0
WINDOW_STEP_S = 2.0  # window lengths come in a few sizes (steadier speed, fewer shapes)
WINDOW_PAD_S = 1.0  # silence after the speech inside the window: Whisper ends its text cleanly
MIN_WINDOW_S = 6.0  # shorter windows lose accuracy on 1-2 s answers
TOKENS_PER_S = 12  # Mandarin speech is ~4-5 characters a second; more tokens is a repetition loop
# Whisper's test for a decoding caught in a loop (its compression_ratio_threshold): a transcript that zlib
# shrinks more than this repeats itself (垃圾 垃圾 垃圾…, 楼楼楼楼…). Such a decoding is tried once more without the
# bias vocabulary (on unclear speech the decoder copies it: 井盖 垃圾 树倒了 井盖 垃圾 树倒了) and with repeated
# phrases penalized, and the loop itself is cut to one turn when that still repeats
MAX_COMPRESSION_RATIO = 2.4
LOOP_RETRY_REPETITION_PENALTY = 1.3
_LOOP = re.compile(r"(.{1,12}?)(?:\s*\1){4,}")  # a unit said five times or more in a row
# the bias vocabulary's phrases, this many in a row in the vocabulary's own order: Whisper copied its previous-text
# context out on unclear speech (井盖 垃圾 树倒了); a caller may say two of them together, not three in that order
BIAS_COPY_RUN = 3
_BIAS_SEPARATORS = re.compile(r"[\s，。,]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
# a looped decoding whose retry hears no speech is kept, cut, when it holds this many characters that are not the
# vocabulary's (a caller's words, not 井盖 垃圾 垃圾 垃圾 on unclear speech)
MIN_OWN_CHARS = 6
BIAS_MODES = ("none", "hotwords", "prompt")
BIAS_TOKENS = 96  # the default budget: about 20 core words, emergencies first (bench_asr: lower CER than 220)
BIAS_MAX_TOKENS = 220  # Whisper's previous-text context holds 223: room for one core word of every category
PROMPT_LEAD = "以下是打给12345政务热线和110报警台的电话，"  # "prompt" mode: a sentence, so the words read as speech


class WhisperRecognizer:
    engine = "whisper"

    def __init__(
        self,
        model_dir: Path,
        name: str = "whisper-base",
        threads: int | None = None,
        short_context: bool | None = None,
        bias: str = "none",
        bias_tokens: int = BIAS_TOKENS,
    ) -> None:
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        from hotline.config import Config

        cfg = Config()
        self.model = name
        # Decodes in parallel, one core each: on 2 cores, 2 workers x 1 thread decode 4.75 utterances/s
        # (p50 0.41 s each) where 1 worker x 2 threads managed 1.98/s (p50 0.47 s); see README.
        self.workers = cfg.asr_workers or (os.cpu_count() or 1)
        self._model = WhisperModel(
            str(model_dir),
            device="cpu",
            compute_type="int8",
            cpu_threads=threads or cfg.asr_threads,
            num_workers=self.workers,
        )
        self._tokenizer = Tokenizer(self._model.hf_tokenizer, True, task="transcribe", language="zh")
        self._suppress = list(get_suppressed_tokens(self._tokenizer, [-1]))  # as faster-whisper's own decode
        # beam 5 over greedy: real 8 kHz recordings CER 0.167 -> 0.096 for ~0.2 s more per utterance,
        # affordable once the encoder runs on a short window (benchmarks/bench_asr.py)
        self.beam_size = cfg.whisper_beam
        self.short_context = cfg.whisper_short_context if short_context is None else short_context
        self._t2s = opencc.OpenCC("t2s")
        self._slots = threading.BoundedSemaphore(self.workers)  # no more decodes at once than workers
        if bias not in BIAS_MODES:
            raise ValueError(f"Whisper bias {bias!r}: one of {', '.join(BIAS_MODES)}")
        self.bias = bias
        self.bias_tokens = min(bias_tokens, BIAS_MAX_TOKENS)
        self.bias_text = ""  # the vocabulary decoding is conditioned on (bias_toward)
        self._bias_tokens: list[int] = []

    @property
    def config(self) -> str:
        """The decoding settings, for caches and benchmarks: '' for the defaults of the original engine."""
        parts = [f"beam{self.beam_size}" if self.beam_size != 5 else "", "" if self.short_context else "30s"]
        parts.append(f"bias-{self.bias}" if self.bias_text else "")
        parts.append(f"{self.bias_tokens}t" if self.bias_text and self.bias_tokens != BIAS_TOKENS else "")
        return "".join(f"-{p}" for p in parts if p)

    @property
    def bias_phrases(self) -> list[str]:
        """The phrases of the bias vocabulary, in its order (none without one)."""
        return phrases_of(self.bias_text)

    def bias_toward(self, phrases: Iterable[Iterable[str]]) -> None:
        """Condition decoding on a profile's vocabulary, where the engine supports it (faster-whisper's
        `hotwords` and `initial_prompt`: text placed in Whisper's previous-text context). Mode `none`
        ignores the call. `phrases`: one list per category (see bias_text_for)."""
        if self.bias == "none":
            return
        self.bias_text = self.bias_text_for(phrases)
        self._bias_tokens = self._tokenizer.encode(" " + self.bias_text) if self.bias_text else []

    def bias_text_for(self, phrases: Iterable[Iterable[str]]) -> str:
        """The text bias_toward would condition decoding on, without setting it ('' in mode `none`).
        Mode `hotwords` lists the phrases; `prompt` puts them in a sentence about hotline calls. Phrases
        are taken in order (a profile lists each category's core words first) until the token budget;
        gapped phrases (被*打了) are skipped."""
        if self.bias == "none":
            return ""
        lead = PROMPT_LEAD if self.bias == "prompt" else ""
        sep = "，" if self.bias == "prompt" else " "
        end = "。" if self.bias == "prompt" else ""
        chosen: list[str] = []
        for p in round_robin(phrases):
            if len(self._tokenizer.encode(" " + lead + sep.join([*chosen, p]) + end)) > self.bias_tokens:
                break
            chosen.append(p)
        return (lead + sep.join(chosen) + end) if chosen else ""

    # ------------------------------------------------------------------------------ public
    def transcribe_pcm(self, pcm16k: np.ndarray) -> Transcript:
        audio_s = len(pcm16k) / 16000
        t0 = time.perf_counter()
        if audio_s < 0.3 or float(np.sqrt(np.mean(np.square(pcm16k)))) < MIN_RMS:
            return Transcript("", self.engine, self.model, audio_s, time.perf_counter() - t0, no_speech=True)
        speech = self._speech_span(pcm16k)
        if speech is None:
            return Transcript("", self.engine, self.model, audio_s, time.perf_counter() - t0, no_speech=True)
        with self._slots:
            if self.short_context and len(speech) / 16000 + WINDOW_PAD_S <= FULL_WINDOW_S:
                text = self._decode_window(speech)
            else:
                text = self._decode_full(pcm16k)
        text = self._t2s.convert(text.strip())
        return Transcript(text, self.engine, self.model, audio_s, time.perf_counter() - t0, no_speech=not text)

    # ----------------------------------------------------------------------------- helpers
    @staticmethod
    def _speech_span(pcm16k: np.ndarray) -> np.ndarray | None:
        """The audio from the first to the last speech the Silero VAD finds (None: no speech)."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        spans = get_speech_timestamps(pcm16k, VadOptions(min_silence_duration_ms=500, speech_pad_ms=200))
        if not spans:
            return None
        return pcm16k[spans[0]["start"] : spans[-1]["end"]]

    def _decode_window(self, speech: np.ndarray) -> str:
        import ctranslate2

        fe = self._model.feature_extractor
        steps = math.ceil((len(speech) / 16000 + WINDOW_PAD_S) / WINDOW_STEP_S)
        window_s = min(FULL_WINDOW_S, max(MIN_WINDOW_S, steps * WINDOW_STEP_S))
        frames = int(window_s * 16000 / fe.hop_length)
        feats = fe(speech, chunk_length=int(FULL_WINDOW_S))[:, :frames]
        if feats.shape[1] < frames:
            feats = np.pad(feats, ((0, 0), (0, frames - feats.shape[1])), constant_values=feats.min())
        encoded = self._model.model.encode(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None], dtype=np.float32)), to_cpu=False
        )
        speech_s = len(speech) / 16000
        return decode_without_loops(
            lambda bias, penalty: self._generate(encoded, speech_s, bias, penalty),
            self._bias_tokens,
            self.bias_phrases,
        )

    def _generate(self, encoded: Any, speech_s: float, bias: list[int], repetition_penalty: float = 1.0) -> str:
        """One beam-search decoding of the encoded window ("" when Whisper hears no speech or is unsure)."""
        tok = self._tokenizer
        # as faster-whisper's get_prompt: the bias vocabulary in the previous-text context, then the task
        context = [tok.sot_prev, *bias] if bias else []
        prompt = [*context, *tok.sot_sequence, tok.no_timestamps]
        result = self._model.model.generate(
            encoded,
            [prompt],
            beam_size=self.beam_size,
            max_length=len(prompt) + int(speech_s * TOKENS_PER_S) + 12,  # CTranslate2 counts the prompt
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppress,
            repetition_penalty=repetition_penalty,
        )[0]
        tokens = result.sequences_ids[0]
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        if result.no_speech_prob >= NO_SPEECH_PROB or avg_logprob <= MIN_AVG_LOGPROB:
            return ""
        return tok.decode(tokens)

    def _decode_full(self, pcm16k: np.ndarray) -> str:
        segments, _info = self._model.transcribe(
            pcm16k,
            language="zh",
            beam_size=self.beam_size,
            vad_filter=True,
            vad_parameters={"min_silence_duration_ms": 500},
            condition_on_previous_text=False,
            without_timestamps=True,
            hotwords=self.bias_text if self.bias == "hotwords" and self.bias_text else None,
            initial_prompt=self.bias_text if self.bias == "prompt" and self.bias_text else None,
        )
        kept = [s.text for s in segments if s.no_speech_prob < NO_SPEECH_PROB and s.avg_logprob > MIN_AVG_LOGPROB]
        return "".join(kept)


def decode_without_loops(
    decode: Callable[[list[int], float], str], bias: list[int], bias_words: Sequence[str] = ()
) -> str:
    """`decode(bias tokens, repetition penalty)` once; a transcript caught in a loop, or one that copies out the bias
    vocabulary (`bias_words`), once more without the bias and with repetition penalized; when that loops too, the
    first with its loops cut; when that hears no speech, the first cut if it holds words of its own, else ""."""
    text = decode(bias, 1.0)
    copied = copies_bias(text, bias_words)
    if not (copied or repeats_itself(text)):
        return text
    again = decode([], LOOP_RETRY_REPETITION_PENALTY)
    if again and not repeats_itself(again):
        return again
    first = cut_loops(text)
    if not again and (copied or len(words_of_its_own(first, bias_words)) < MIN_OWN_CHARS):
        return ""  # the retry hears no speech and the first heard only the vocabulary (or a word or two): nothing
    # the retry's gates judged speech through another prompt (without the vocabulary, no speech may look likelier:
    # a motorcycle crash on a road of drying maize, 7 s of it, came back "" -- session 60); the first decoding
    # passed them, and what it heard before its loop is the caller's
    return first


def words_of_its_own(text: str, bias_words: Sequence[str]) -> str:
    """The Chinese characters of a transcript outside the bias vocabulary's phrases."""
    for w in sorted((w for w in bias_words if w), key=len, reverse=True):
        text = text.replace(w, "")
    return "".join(_HAN.findall(text))


def phrases_of(bias_text: str) -> list[str]:
    """The phrases of a bias text, in its order."""
    return [w for w in _BIAS_SEPARATORS.split(bias_text) if w]


def copies_bias(text: str, bias_words: Sequence[str]) -> bool:
    """A transcript holding BIAS_COPY_RUN of the bias vocabulary's phrases one after another, each the one that
    follows the last in the vocabulary (井盖 垃圾 树倒了): the decoder copied its context, no caller said so."""
    place = {w: i for i, w in enumerate(w for w in bias_words if w)}
    run = 1
    said = _BIAS_SEPARATORS.split(text)
    for before, word in pairwise(said):
        follows = before in place and word in place and place[word] == place[before] + 1
        run = run + 1 if follows else 1
        if run >= BIAS_COPY_RUN:
            return True
    return False


def repeats_itself(text: str) -> bool:
    """A transcript caught in a decoding loop: zlib shrinks it more than MAX_COMPRESSION_RATIO (Whisper's test),
    or a unit of it comes five times or more in a row after words that do not (…被关在洋台上楼楼楼楼楼楼)."""
    data = text.encode("utf-8")
    if data and len(data) / len(zlib.compress(data)) > MAX_COMPRESSION_RATIO:
        return True
    return _LOOP.search(text) is not None


def cut_loops(text: str) -> str:
    """Each unit said five times or more in a row, said once (垃圾 垃圾 垃圾 垃圾 垃圾 -> 垃圾)."""
    return _LOOP.sub(r"\1", text)


def round_robin(phrase_lists: Iterable[Iterable[str]]) -> list[str]:
    """Phrases of several categories interleaved -- the first of each, then the second of each, ... --
    without repeats and without gapped phrases. Each category leads with the shortest of its first
    three phrases (its most spoken word: 打架 before 打架斗殴), so a short budget still spans them all."""
    lists = []
    for ps in phrase_lists:
        ps = [p.strip() for p in ps if p.strip() and not is_gapped(p)]
        if ps:
            lead = min(ps[:3], key=len)
            lists.append([lead, *(p for p in ps if p != lead)])
    out: dict[str, None] = {}
    for i in range(max((len(ps) for ps in lists), default=0)):
        for ps in lists:
            if i < len(ps):
                out.setdefault(ps[i])
    return list(out)

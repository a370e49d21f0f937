"""An answer cut off mid-speech: recognised as the latest guess at a pause that heard something, and the audio
after it (agi/heard_so_far.py)."""

from __future__ import annotations

from hotline.agi.heard_so_far import HeardSoFar
from hotline.asr.base import Transcript

SECOND = 16000  # bytes of one second of 8 kHz 16-bit audio


class Decoder:
    """Hands out the given words for each decode and notes how many seconds of audio it was given."""

    def __init__(self, *words: str) -> None:
        self.words, self.seconds = list(words), []

    async def __call__(self, pcm8k: bytes) -> Transcript:
        self.seconds.append(len(pcm8k) / SECOND)
        return Transcript(self.words.pop(0), "whisper", "base", len(pcm8k) / SECOND, 0.2)


def audio(seconds: float) -> bytes:
    return b"\1\0" * int(8000 * seconds)


def guess(text: str, seconds: float) -> Transcript:
    return Transcript(text, "whisper", "base", seconds, 0.5)


async def test_the_tail_after_the_last_guess_is_decoded_alone_and_added_on():
    so_far, decode = HeardSoFar(), Decoder("晚上老人出门都看不见")
    so_far.note(guess("我们小区门口", 3), 3 * SECOND)
    so_far.note(guess("我们小区门口的路灯坏了一个多月了", 16), 16 * SECOND)
    tr = await so_far.completed(audio(20), decode)
    assert tr.text == "我们小区门口的路灯坏了一个多月了 晚上老人出门都看不见" and tr.audio_s == 20.0
    assert decode.seconds == [4.0]  # not 20


async def test_with_no_guess_that_heard_something_the_whole_answer_is_decoded():
    so_far, decode = HeardSoFar(), Decoder("有人摔倒了 叫不醒")
    so_far.note(guess("", 2), 2 * SECOND)  # a breath, a cough, or a decode that judged it no speech
    assert (await so_far.completed(audio(7), decode)).text == "有人摔倒了 叫不醒"
    assert decode.seconds == [7.0]  # what the empty guess covered is heard again with the rest


async def test_a_guess_finishing_after_a_later_one_does_not_take_the_base_back():
    # the guess of an earlier pause, still decoding when the next one began, may come back last: the base stays
    # at the furthest, or the words between would be said twice
    so_far, decode = HeardSoFar(), Decoder("谢谢")
    so_far.note(guess("我想问一下 低保怎么申请", 6), 6 * SECOND)
    so_far.note(guess("我想问一下", 3), 3 * SECOND)
    assert (await so_far.completed(audio(7), decode)).text == "我想问一下 低保怎么申请 谢谢"
    assert decode.seconds == [1.0]


async def test_nothing_new_since_the_last_guess_is_not_decoded_again():
    so_far, decode = HeardSoFar(), Decoder()
    so_far.note(guess("楼下的路灯坏了", 4), 4 * SECOND)
    tr = await so_far.completed(audio(4.05), decode)
    assert tr.text == "楼下的路灯坏了" and decode.seconds == []


async def test_a_tail_that_says_nothing_leaves_the_guess():
    so_far, decode = HeardSoFar(), Decoder("")
    so_far.note(guess("楼下有人在吵架", 5), 5 * SECOND)
    assert (await so_far.completed(audio(6), decode)).text == "楼下有人在吵架"

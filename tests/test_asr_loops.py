"""A recognizer's decoding caught in a loop (垃圾 垃圾 垃圾…, 楼楼楼楼…, or the bias vocabulary copied out on unclear
speech) is decoded once more without the bias and with repetition penalized (hotline.asr.whisper). No model here:
the decoding is a stand-in; the real recognizer is measured on the spoken splits (README)."""

from __future__ import annotations

import pytest

from hotline.asr.whisper import (
    LOOP_RETRY_REPETITION_PENALTY,
    copies_bias,
    cut_loops,
    decode_without_loops,
    repeats_itself,
    words_of_its_own,
)


@pytest.mark.parametrize(
    "text",
    [
        "井盖 垃圾 垃圾 垃圾 垃圾 垃圾 垃圾 垃圾 垃圾 垃圾",
        "井盖 垃圾 树倒了 井盖 垃圾 树倒了 井盖 垃圾 树倒了 井盖 垃圾 树倒了",  # the bias vocabulary, copied out
        "我们宿舍楼里有个人被关在洋台上楼楼楼楼楼楼楼楼楼楼楼楼楼楼楼楼",  # a loop after words that are no loop
        "我跟你说 我们家孩子 我们家孩子 我们家孩子 我们家孩子 我们家孩子 我们家孩子",
    ],
)
def test_a_transcript_caught_in_a_loop_is_known(text):
    assert repeats_itself(text)


@pytest.mark.parametrize(
    "text", ["楼下有人打架，有个人头上流血了，快来", "救命救命救命", "哈哈哈哈", "一二三四五六七八九十", ""]
)
def test_what_callers_say_twice_or_thrice_is_no_loop(text):
    assert not repeats_itself(text)


def test_a_loop_is_cut_to_one_turn():
    assert cut_loops("我们宿舍楼里有个人被关在洋台上楼楼楼楼楼楼楼楼") == "我们宿舍楼里有个人被关在洋台上楼"
    assert cut_loops(" ".join(["井盖 垃圾 树倒了"] * 5)) == "井盖 垃圾 树倒了"


def test_a_looped_decoding_is_decoded_again_without_the_bias_and_with_repetition_penalized():
    calls = []

    def decode(bias, penalty):
        calls.append((bias, penalty))
        return "井盖 垃圾 垃圾 垃圾 垃圾 垃圾 垃圾" if bias else "停电了，我妈在家用呼吸机，喘不上气了"

    assert decode_without_loops(decode, [101, 102]) == "停电了，我妈在家用呼吸机，喘不上气了"
    assert calls == [([101, 102], 1.0), ([], LOOP_RETRY_REPETITION_PENALTY)]


def test_a_clean_decoding_is_decoded_once_and_a_second_loop_keeps_the_first_cut():
    calls = []

    def clean(bias, penalty):
        calls.append(penalty)
        return "楼道里有人在撬我家的锁"

    assert decode_without_loops(clean, [101]) == "楼道里有人在撬我家的锁" and calls == [1.0]
    assert decode_without_loops(lambda bias, penalty: "着火了着火了着火了着火了着火了着火了", [101]) == "着火了"


# the service's vocabulary for the national profile, in its order (WhisperRecognizer.bias_phrases)
VOCABULARY = [
    "打架",
    "抢劫",
    "被偷",
    "诈骗",
    "赌博",
    "闹事",
    "聚众闹事",
    "车祸",
    "溺水",
    "走失",
    "燃气泄漏",
    "地震",
    "警察打人",
    "扬言",
    "报警",
    "着火",
    "晕倒",
    "井盖",
    "垃圾",
    "树倒了",
]


def test_a_transcript_that_copies_out_the_bias_vocabulary_is_known():
    # three times over is too short for the loop test (zlib 1.9): three phrases in the vocabulary's order are a copy
    assert not repeats_itself("井盖 垃圾 树倒了 井盖 垃圾 树倒了 井盖 垃圾 树倒了")
    assert copies_bias("井盖 垃圾 树倒了 井盖 垃圾 树倒了 井盖 垃圾 树倒了", VOCABULARY)
    assert copies_bias("嗯 着火 晕倒 井盖", VOCABULARY)


@pytest.mark.parametrize(
    "text",
    [
        "楼下井盖没了，垃圾也没人收",  # two phrases of it, said by a caller
        "垃圾 井盖 着火",  # three, not in the vocabulary's order
        "树倒了 井盖 垃圾",
        "打架 打架 打架",  # a loop is the loop test's
    ],
)
def test_what_a_caller_says_with_the_vocabularys_words_is_no_copy(text):
    assert not copies_bias(text, VOCABULARY)
    assert not copies_bias("井盖 垃圾 树倒了", [])  # no vocabulary, nothing copied


def test_a_decoding_that_copies_the_bias_is_decoded_again_without_it():
    calls = []

    def decode(bias, penalty):
        calls.append((bias, penalty))
        return "井盖 垃圾 树倒了 井盖 垃圾 树倒了" if bias else "停电了，我妈在家用呼吸机，喘不上气了"

    assert decode_without_loops(decode, [101], VOCABULARY) == "停电了，我妈在家用呼吸机，喘不上气了"
    assert calls == [([101], 1.0), ([], LOOP_RETRY_REPETITION_PENALTY)]


def test_a_looped_decoding_whose_retry_hears_no_speech_keeps_the_callers_words_before_the_loop():
    # session 60, a real call: the first decoding passed the speech gates and looped at its end; the retry, without
    # the vocabulary in its prompt, judged the same audio no speech -- the caller's crash was heard as ""
    looped = "人擺 意识 国道 名前段 出车 火轮 医量 摩托车 撞在 路边 晒的 玉米 队 队 队 队 队 队"
    heard = decode_without_loops(lambda bias, penalty: looped if bias else "", [101], VOCABULARY)
    assert heard == "人擺 意识 国道 名前段 出车 火轮 医量 摩托车 撞在 路边 晒的 玉米 队"


@pytest.mark.parametrize(
    "looped",
    [
        "井盖 垃圾 垃圾 垃圾 垃圾 垃圾 垃圾 垃圾 垃圾",  # only the vocabulary's words
        "井盖 垃圾 树倒了 井盖 垃圾 树倒了 井盖 垃圾 树倒了",  # the vocabulary copied out
        "谢谢 谢谢 谢谢 谢谢 谢谢 谢谢",  # a word or two of its own
    ],
)
def test_a_looped_decoding_of_nothing_but_the_vocabulary_stays_unheard_when_the_retry_hears_no_speech(looped):
    assert decode_without_loops(lambda bias, penalty: looped if bias else "", [101], VOCABULARY) == ""


def test_the_words_of_a_transcript_outside_the_vocabulary():
    assert words_of_its_own("楼下井盖没了 垃圾也没人收", VOCABULARY) == "楼下没了也没人收"
    assert words_of_its_own("着火 燃气泄漏 abc", VOCABULARY) == ""

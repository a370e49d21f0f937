"""Callers who speak Cantonese, Wu or South-western Mandarin are read with the lists written in Mandarin
(lexicon ``dialect_words``: 咗 -> 了, 而家 -> 现在, 阿拉 -> 我们), by the rules alone here.

Sentences written for these tests (none from a held-out split).
"""

import pytest

from hotline.profile import Lexicon, load_profile
from hotline.router.decide import Router


@pytest.fixture(scope="module")
def rules() -> Router:
    return Router(load_profile("national"))


def why(text: str, d) -> tuple:
    return text, d.rule, d.normalized, [(e.phrase, e.tense) for e in d.evidence]


@pytest.mark.parametrize(
    "text, target",
    [
        ("喺十字路口，一架货车撞咗个阿伯，佢躺喺地下唔郁", "110"),  # 撞了, 不动
        ("而家有个男人揸住把刀喺楼下追住人斩", "110"),  # 现在, 抓住*刀
        ("阿拉隔壁屋里厢着火了，烟老大，伊拉老人还勒里向", "119"),
        ("我屋头娃儿掉进河头了，莫得人会游泳", "110"),
    ],
)
def test_a_danger_told_in_regional_speech_is_an_emergency(rules, text, target):
    d = rules.route(text, platform="12345", use_model=False)
    assert d.emergency and d.target == target, why(text, d)


@pytest.mark.parametrize(
    "text",
    [
        "头先有两个后生喺我铺头门口打交，而家走咗，冇人受伤",  # 现在走了, 没人受伤
        "刚刚阿拉囡寻勿着，吓煞了，现在寻着了，勒隔壁人家屋里",  # 找到了
        "刚才楼下有人吵架打起来了，现在莫得事了，都散了",
    ],
)
def test_a_matter_told_as_over_in_regional_speech_is_no_emergency(rules, text):
    d = rules.route(text, platform="110", use_model=False)
    assert not d.emergency, why(text, d)


def test_min_and_wu_passives_and_times_read_as_mandarin(rules):
    # Min Dong 乞侬 (被人), 昨暝 (昨晚), 今旦暝 (今晚); the Wu passive 拨人家 (被人家), but not 两拨人 (two groups)
    assert rules.normalize("我侬个船昨暝乞侬偷去了").text == "我个船昨晚被人偷去了"
    assert rules.normalize("今旦暝伊又来了").text == "今晚伊又来了"
    assert rules.normalize("脚踏车拨人家偷脱了").text == "脚踏车被人家偷脱了"
    assert rules.normalize("两拨人在门口吵").text == "两拨人在门口吵"


def test_a_mandarin_word_holding_a_regional_one_is_kept_whole(rules):
    # 打交道 is no fight (打交 -> 打架 is Cantonese); 仲裁 no 还裁 (only 仲有, 仲喺 … are read)
    assert rules.normalize("我跟物业打交道好多年了，想申请仲裁").text == "我跟物业打交道好多年了|想申请仲裁"


def test_a_regional_word_must_be_a_pair():
    with pytest.raises(ValueError, match="word=mandarin"):
        Lexicon(dialect_words=("咗",))
    with pytest.raises(ValueError, match="word=mandarin"):
        Lexicon(dialect_words=("咗=",))


def test_a_phrase_holding_a_regional_word_is_reported_dead(tmp_path):
    from hotline.profile import load_profile_path
    from hotline.router.dead_words import dead_words

    f = tmp_path / "dialect.yaml"
    f.write_text(
        "id: dialect\nname: 测试\nextends: national\ncategories:\n"
        "  - id: fight_yue\n    name: 打交\n    owner: other\n    target: '110'\n    emergency: always\n"
        "    phrases: [打交咗, 群殴]\n",
        encoding="utf-8",
    )
    problems = dead_words(load_profile_path(f))
    assert any("打交咗" in p and "打架了" in p for p in problems), problems

"""The learned layer: corpus formats, reproducible training, the artifact's checks, the combination."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import numpy as np
import pytest

from hotline.profile import load_profile
from hotline.router.combine import HANDED_ON_HINT_SHARE, combine
from hotline.router.decide import Router
from hotline.understanding import model as model_mod
from hotline.understanding import train as train_mod
from hotline.understanding.data import (
    CorpusError,
    data_version,
    expected,
    owner_of,
    read_examples,
)
from hotline.understanding.model import ModelError, Prediction, UnderstandingModel
from hotline.understanding.train import (
    DOUBT_QUANTILE,
    HeadFit,
    NBLogistic,
    NBMultinomial,
    author_folds,
    cross_fit,
    tune_doubt,
)

LABELING = "id\tprofile\tplatform\tkind\ttargets\temergency\ttags\ttext\n"
TRAINING = "id\tprofile\tplatform\tkind\ttargets\temergency\tcategory\ttags\tsource\ttext\treviewer\treviewed_at\n"
OLD = "id\tprofile\tplatform\ttext\ttargets\tactions\temergency\tvariant\n"


def _write(tmp_path, name, header, rows):
    p = tmp_path / name
    p.write_text(header + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    return p


# ------------------------------------------------------------------------------ loader
def test_labeling_format_expands_both_and_derives_actions(tmp_path):
    p = _write(
        tmp_path,
        "dev.tsv",
        LABELING,
        [
            ("t1", "national", "both", "platform", "110", "1", "danger_no_crime_word", "有人一直跟着我到楼下"),
            ("t2", "guilin", "12345", "guide", "recv", "0", "plain", "我要举报村干部"),
            ("t3", "national", "110", "number", "119,110", "0", "resolved", "火已经灭了"),
            ("t4", "national", "both", "clarify", "recv", "-", "", "喂喂"),
        ],
    )
    ex = read_examples(p)
    assert [(e.id, e.platform) for e in ex] == [
        ("t1", "12345"),
        ("t1", "110"),
        ("t2", "12345"),
        ("t3", "110"),
        ("t4", "12345"),
        ("t4", "110"),
    ]
    t1_12345, t1_110 = ex[0], ex[1]
    assert t1_12345.actions == ("transfer", "conference") and t1_110.actions == ("accept",)
    assert t1_12345.emergency == 1 and t1_12345.owner == "110" and t1_12345.tags == ("danger_no_crime_word",)
    assert t1_12345.group == t1_110.group  # one line, one cross-validation fold
    assert ex[2].profile == "guilin" and ex[2].targets == ("12345",) and ex[2].actions == ("guide",)
    assert ex[2].owner == "none"
    # a fire already out: the number, and a guide is right too
    assert ex[3].targets == ("119", "110") and "guide" in ex[3].actions and ex[3].owner == "119"
    assert ex[4].emergency is None and ex[4].owner == "clarify" and ex[4].actions == ("clarify", "agent")


def test_training_format_keeps_category_and_source_and_ignores_extra_columns(tmp_path):
    p = _write(
        tmp_path,
        "reviews.tsv",
        TRAINING,
        [("r1", "national", "12345", "platform", "12345", "0", "public_facilities", "plain", "review:alice",
          "路灯坏了", "alice", "2026-11-30T10:00:00Z")],
    )  # fmt: skip
    (e,) = read_examples(p)
    assert e.category == "public_facilities" and e.source == "review:alice" and e.owner == "12345"
    assert e.actions == ("accept",) and e.extra["reviewer"] == "alice"


def test_first_corpus_format_recovers_kind_and_owner(tmp_path):
    p = _write(
        tmp_path,
        "utterances.tsv",
        OLD,
        [
            ("u1", "national", "12345", "有人打架", "110", "transfer|conference", "1", "base"),
            ("u2", "national", "110", "举报干部", "110", "guide", "0", "base"),
            ("u3", "national", "12345", "如果有人打架怎么办", "110", "guide", "0", "base"),
            ("u4", "national", "12345", "喂", "12345", "clarify|agent", "-", "base"),
            ("u5", "national", "110", "找律师", "12348", "guide|transfer", "0", "base"),
        ],
    )
    owners = [(e.kind, e.owner) for e in read_examples(p)]
    assert owners == [
        ("platform", "110"),
        ("guide", "none"),
        ("guide", "110"),
        ("clarify", "clarify"),
        ("guide", "12348"),
    ]


def test_shipped_corpus_reads_in_the_new_loader():
    from hotline.evaluate import default_corpus

    ex = read_examples(default_corpus())
    assert len(ex) >= 400 and {e.platform for e in ex} == {"12345", "110"}


@pytest.mark.parametrize(
    "row, message",
    [
        (("x1", "national", "both", "platfrom", "110", "1", "", "打架"), "kind"),
        (("x2", "national", "both", "platform", "110", "yes", "", "打架"), "emergency"),
        (("x3", "national", "119", "platform", "110", "1", "", "打架"), "platform"),
        (("x4", "national", "both", "platform", "", "1", "", "打架"), "targets"),
    ],
)
def test_bad_rows_name_the_file_line_and_field(tmp_path, row, message):
    p = _write(tmp_path, "bad.tsv", LABELING, [row])
    with pytest.raises(CorpusError, match=rf"bad.tsv:2: {message}"):
        read_examples(p)


def test_unknown_header_is_refused(tmp_path):
    p = tmp_path / "x.tsv"
    p.write_text("a\tb\n1\t2\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="header"):
        read_examples(p)


def test_expected_is_the_one_rule_the_corpus_builder_uses():
    from tests.script_support import load_script

    assert load_script("build_corpus").expected is expected
    assert expected("guide", ["110"], "12345") == (["110"], ["guide"])
    assert expected("guide", ["110"], "110") == (["110"], ["accept", "guide"])
    assert owner_of("guide", ["recv"]) == "none" and owner_of("number", ["120", "110"]) == "120"


def test_data_version_follows_the_bytes(tmp_path):
    a = _write(tmp_path, "a.tsv", LABELING, [("t1", "national", "both", "platform", "110", "1", "", "打架")])
    v1 = data_version([a])
    assert v1 == data_version([a]) and len(v1) == 64
    a.write_text(a.read_text(encoding="utf-8") + "t2\tnational\tboth\tclarify\trecv\t-\t\t喂\n", encoding="utf-8")
    assert data_version([a]) != v1


# ------------------------------------------------------------------------------ training
@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    """A slice of the shipped corpus and the seed rows: enough for every head, quick to train."""
    from hotline.evaluate import default_corpus

    d = tmp_path_factory.mktemp("corpus")
    lines = default_corpus().read_text(encoding="utf-8").splitlines()
    (d / "utterances.tsv").write_text("\n".join(lines[:1] + lines[1:400:2]) + "\n", encoding="utf-8")
    return [d / "utterances.tsv"]


@pytest.fixture(scope="module")
def trained(small_corpus, tmp_path_factory):
    from hotline.understanding.train import train

    out = tmp_path_factory.mktemp("model")
    meta = train(small_corpus, out)
    return out, meta


def test_training_is_reproducible(trained, small_corpus, tmp_path):
    from hotline.understanding.train import train

    out, meta = trained
    again = train(small_corpus, tmp_path / "again")
    assert again["sha256"] == meta["sha256"]
    for f in ("model.json", "weights.npy"):
        assert (out / f).read_bytes() == (tmp_path / "again" / f).read_bytes()
    assert meta["data_version"] == data_version(small_corpus)
    assert {"scikit-learn", "numpy", "python"} <= set(meta["libraries"])


def test_other_data_gives_another_model(trained, small_corpus, tmp_path):
    from hotline.understanding.train import train

    p = tmp_path / "utterances.tsv"
    lines = small_corpus[0].read_text(encoding="utf-8").splitlines()
    p.write_text("\n".join(lines[:-3]) + "\n", encoding="utf-8")
    other = train([p], tmp_path / "other")
    assert other["data_version"] != trained[1]["data_version"] and other["sha256"] != trained[1]["sha256"]


def test_the_artifact_loads_and_predicts(trained):
    out, meta = trained
    m = UnderstandingModel.load(out)
    assert m.sha256 == meta["sha256"] and m.version == meta["sha256"][:12]
    router = Router(load_profile("national"), model=m)
    danger = router.route("有人拿着刀在小区门口追着人砍", "12345")
    calm = router.route("小区门口的路灯坏了好几天了", "12345")
    assert danger.model["p_emergency"] > calm.model["p_emergency"]
    assert calm.model["owner"] == "12345" and danger.model["owner"] == "110"
    assert danger.model["version"] == m.version
    json.dumps(danger.to_dict(), ensure_ascii=False)  # the call log stores it as JSON


def test_a_corrupt_artifact_is_refused(trained, tmp_path):
    out, _ = trained
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "model.json").write_bytes((out / "model.json").read_bytes())
    raw = bytearray((out / "weights.npy").read_bytes())
    raw[-1] ^= 0xFF
    (bad / "weights.npy").write_bytes(bytes(raw))
    with pytest.raises(ModelError, match="sha256"):
        UnderstandingModel.load(bad)
    with pytest.raises(ModelError, match="missing"):
        UnderstandingModel.load(tmp_path / "nothing")


def test_a_stale_model_is_refused(trained):
    m = UnderstandingModel.load(trained[0])
    assert m.staleness(m.data_version) is None
    assert "trained on data" in m.staleness("0" * 64)


def test_the_service_runs_on_the_rules_when_the_model_is_missing(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("HOTLINE_UNDERSTANDING_MODEL", str(tmp_path / "absent"))
    model_mod.service_model.cache_clear()
    try:
        with caplog.at_level(logging.ERROR, logger="hotline.understanding"):
            assert model_mod.service_model() is None
        assert "UNDERSTANDING MODEL NOT USED" in caplog.text and "hotline train" in caplog.text
        d = Router(load_profile("national"), model=model_mod.service_model()).route("有人在抢劫", "12345")
        assert d.emergency and d.model is None
    finally:
        model_mod.service_model.cache_clear()


def test_the_service_refuses_a_model_of_other_data(monkeypatch, trained, caplog):
    # the small model was trained on a slice, not on the project's training files: stale for the service
    monkeypatch.setenv("HOTLINE_UNDERSTANDING_MODEL", str(trained[0]))
    model_mod.service_model.cache_clear()
    try:
        with caplog.at_level(logging.ERROR, logger="hotline.understanding"):
            assert model_mod.service_model() is None
        assert "stale" in caplog.text
    finally:
        model_mod.service_model.cache_clear()


# --------------------------------------------------------------------------- combination
TH = {"emergency": 0.6, "hint": 0.2, "owner": 0.7}


def _pred(p_em=0.0, owner="12345", owner_p=0.9, category=None) -> Prediction:
    return Prediction(p_em, owner, owner_p, {owner: owner_p}, category, 0.5 if category else 0.0, "testmodel", TH)


@pytest.fixture(scope="module")
def rules() -> Router:
    return Router(load_profile("national"))


def _combined(rules: Router, text: str, platform: str, pred: Prediction):
    found = rules.find(text)
    return combine(rules, rules.decide(found, platform, 1), found, pred)


def test_model_above_the_emergency_threshold_makes_an_emergency(rules):
    text = "有个男的从地铁站出来就在我后头，我停他也停"
    assert not rules.route(text, "12345").emergency
    d = _combined(rules, text, "12345", _pred(0.8, "110", 0.9, "violence"))
    assert d.emergency and d.rule == "model-emergency" and d.target == "110"
    assert d.action == "conference"  # no phrase confirmed it: the 12345 agent stays on the line
    assert d.danger_hint and d.hint_target == "110"
    assert d.model["changed"] == ["emergency"] and d.model["rules"]["emergency"] is False
    d110 = _combined(rules, text, "110", _pred(0.8, "110", 0.9))
    assert d110.emergency and d110.action == "accept" and d110.target == "110"


def test_model_naming_an_emergency_number_sends_it_there(rules):
    d = _combined(rules, "我爷爷突然嘴歪了说不出话", "12345", _pred(0.9, "120", 0.8))
    assert d.emergency and d.target == "120"
    d110 = _combined(rules, "我爷爷突然嘴歪了说不出话", "110", _pred(0.9, "120", 0.8))
    assert d110.target == "120" and d110.action == "conference"  # the police stay while 120 joins


def test_between_hint_and_emergency_thresholds_only_a_hint(rules):
    d = _combined(rules, "喂，我也说不清楚，你们快来一下", "12345", _pred(0.35, "clarify", 0.5))
    assert not d.emergency and d.action == "clarify"
    assert d.danger_hint and (d.hint_action, d.hint_target) == ("conference", "110")
    assert d.acts_on_hint and d.reaches_110_at_once  # not understood: the hint is acted on, not asked again
    at110 = _combined(rules, "喂，我也说不清楚，你们快来一下", "110", _pred(0.35, "clarify", 0.5))
    assert at110.danger_hint and (at110.hint_action, at110.hint_target) == ("accept", "110")
    calm = _combined(rules, "喂，我也说不清楚", "12345", _pred(0.1, "clarify", 0.5))
    assert not calm.danger_hint and calm.hint_action is None
    assert not calm.acts_on_hint and not calm.reaches_110_at_once


def test_a_hint_beside_an_understood_matter_does_not_reach_110_at_once(rules):
    # understood as a street light: the conversation acts on that; the hint is only evidence in the log
    d = _combined(rules, "路灯坏了好几天了", "12345", _pred(0.35, "12345", 0.9))
    assert d.understood and d.danger_hint and not d.emergency
    assert not d.acts_on_hint and not d.reaches_110_at_once


def test_110_does_not_blind_transfer_a_caller_with_a_danger_hint(rules):
    # a 12345 matter at 110: handed over blind when nothing hints at danger; with a hint the 110 call-taker
    # stays on the line, 12345 joining a three-way call (the matter's owner is unchanged)
    plain = _combined(rules, "路灯坏了好几天了", "110", _pred(0.0, "12345", 0.9))
    assert (plain.target, plain.action) == ("12345", "transfer") and plain.hands_away
    hinted = _combined(rules, "路灯坏了好几天了", "110", _pred(0.35, "12345", 0.9))
    assert (hinted.target, hinted.action) == ("12345", "conference") and not hinted.emergency
    assert not hinted.hands_away and "110 stays on the line" in hinted.explanation
    # at 12345 the same hint leaves the accepted matter to the 12345 agent, who sees it
    at12345 = _combined(rules, "路灯坏了好几天了", "12345", _pred(0.35, "12345", 0.9))
    assert (at12345.target, at12345.action) == ("12345", "accept") and at12345.danger_hint


def test_a_caller_about_to_be_handed_on_gets_the_hint_at_a_lower_threshold(rules):
    # TH's hint is 0.2; where the caller would leave without a person it is half of it
    share = HANDED_ON_HINT_SHARE
    p = TH["hint"] * (share + 1) / 2  # between the lower and the tuned threshold
    at110 = _combined(rules, "路灯坏了好几天了", "110", _pred(p, "12345", 0.9))
    assert (at110.target, at110.action) == ("12345", "conference") and at110.danger_hint and not at110.hands_away
    below = _combined(rules, "路灯坏了好几天了", "110", _pred(TH["hint"] * share * 0.9, "12345", 0.9))
    assert (below.target, below.action) == ("12345", "transfer") and below.hands_away
    # at 12345 an accepted matter keeps the tuned threshold: no hint, no 110 on the line
    at12345 = _combined(rules, "路灯坏了好几天了", "12345", _pred(p, "12345", 0.9))
    assert not at12345.danger_hint
    # ... but a caller only to be told to dial 110 is not left with the number
    told = _combined(rules, "要是遇到小偷应该怎么办", "12345", _pred(p, "110", 0.9))
    assert told.danger_hint and not told.hands_away, (told.action, told.target, told.rule)


def test_a_long_story_gets_a_hint_at_a_spoken_requests_threshold_and_its_emergency_at_its_own(rules):
    # a story of more than 80 characters ending in a danger no list names (a wall leaning over a child's room):
    # below its own emergency threshold, above the hint one, 110's call-taker stays on the line with 12345
    story = (
        "我先说一下，我们隔壁那户去年开始私自加盖了三层，我们找过社区，社区说报上去了，城管来看过一次也没拆，"
        "今天下了一天雨，刚才咔嚓一声，他家那面墙往我家这边斜过来了，裂开好大的缝，我儿子还在那边屋里睡觉"
    )
    assert rules.find(story).narrative
    th = {**TH, "emergency_narrative": 0.8, "owner_narrative": 0.7}
    pred = replace(_pred(0.3, "12345", 0.9), thresholds=th)
    at110 = _combined(rules, story, "110", pred)
    assert not at110.emergency and at110.danger_hint
    assert (at110.target, at110.action) == ("12345", "conference") and not at110.hands_away
    quiet = replace(_pred(0.05, "12345", 0.9), thresholds=th)  # under the hint at 110 (HANDED_ON_HINT_SHARE)
    assert not _combined(rules, story, "110", quiet).danger_hint
    sure = replace(_pred(0.85, "12345", 0.9), thresholds=th)
    assert _combined(rules, story, "110", sure).emergency


def test_a_caller_with_a_danger_hint_is_not_only_told_an_emergency_number(rules):
    supposed = "万一我喝了酒开车被查到了，要关多久"
    told = _combined(rules, supposed, "12345", _pred(0.0, "110", 0.9))
    assert told.action == "guide" and told.hands_away
    hinted = _combined(rules, supposed, "12345", _pred(0.35, "110", 0.9))
    assert (hinted.target, hinted.action, hinted.guide_number) == ("110", "conference", None)
    assert not hinted.hands_away
    # a number that is not an emergency service is still only said: a hint there is evidence for the log
    d = _combined(rules, "我要申请法律援助", "12345", _pred(0.35, "12348", 0.9))
    assert (d.target, d.action) == ("12348", "guide") and d.danger_hint


@pytest.mark.parametrize("platform", ["12345", "110"])
def test_an_emergency_services_matter_with_nothing_happening_is_put_through_not_told_the_number(rules, platform):
    # national profile: 119 / 120 / 122 / 12395 have ``not_urgent: transfer``: a caller whose danger nobody heard
    # is never left to dial the service; its call-taker judges
    text = "老人家一直咳嗽胸闷好几天了，要不要叫车送过去看看"
    quiet = _combined(rules, text, platform, _pred(0.01, "120", 0.9))
    assert (quiet.target, quiet.action, quiet.emergency) == ("120", "transfer", False) and not quiet.hands_away
    # with a hint the receiving platform's person stays on a three-way call with the service
    hinted = _combined(rules, text, platform, _pred(0.35, "120", 0.9))
    assert (hinted.target, hinted.action, hinted.danger_hint) == ("120", "conference", True)


def test_an_emergency_services_matter_is_only_told_where_the_profile_says_so(rules):
    from hotline.profile import Number

    numbers = {**rules.profile.numbers, "120": Number(name="医疗急救", dial="120", emergency=True, handover="transfer")}
    told = Router(replace(rules.profile, numbers=numbers))
    d = _combined(told, "老人家一直咳嗽胸闷好几天了，要不要叫车送过去看看", "12345", _pred(0.01, "120", 0.9))
    assert (d.target, d.action, d.guide_number) == ("120", "guide", "120") and d.hands_away


def test_nothing_said_is_no_evidence_whatever_the_model_gives(rules):
    # silence or fillers only ("嗯嗯那个"): the model's probability there is its prior, not danger;
    # such a caller is asked again (12345) or reaches a person as not understood, never bridged to 110
    for text in ("", "嗯嗯那个", "……"):
        d = _combined(rules, text, "12345", _pred(0.9, "110", 0.99, "violence"))
        assert not d.emergency and not d.danger_hint and d.action == "clarify", text


def test_a_false_start_or_a_greeting_is_no_evidence_whatever_the_model_gives(rules):
    # words that tell no matter on their own (lexicon empty_words) are nothing said: a caller who only
    # stammers or greets is asked again, never bridged to 110 on the model's prior
    for text in (
        "喂 那个 我 我刚 你",
        "喂，你好，我在……",
        "我……我刚才想说什么来着",
        "你好你好",
        "喂 阿拉 迭个 迭个 就是 伊",
    ):
        d = _combined(rules, text, "12345", _pred(0.99, "110", 0.99, "violence"))
        assert not d.emergency and not d.danger_hint and d.action == "clarify", text
    # one word that tells something (快, 人, 疼) is heard: the model may read it
    for text in ("我 我 快", "有人", "我疼"):
        d = _combined(rules, text, "12345", _pred(0.99, "110", 0.99, "violence"))
        assert d.emergency and d.danger_hint, text


def test_the_rules_emergency_stands_whatever_the_model_says(rules):
    # a model without a doubt threshold (older artifacts) never holds back a rules' emergency
    d = _combined(rules, "有人在银行门口抢劫，拿着刀", "12345", _pred(0.0, "12345", 0.99))
    assert d.emergency and d.rule == "emergency-first" and d.target == "110"
    assert d.model["changed"] == [] and d.model["p_emergency"] == 0.0


def test_a_rules_emergency_for_another_service_goes_to_110_when_the_model_is_sure_it_is_the_polices(rules):
    text = "河边有人游泳游到中间不动了，头一冒一冒的，好像抽筋了"
    assert rules.route(text, "12345").target == "120"  # the rules hear an illness
    sure = replace(_pred(0.99, "110", 0.86), thresholds={**TH, "override": 0.5})
    d = _combined(rules, text, "12345", sure)
    assert d.emergency and d.target == "110" and d.action == "transfer"  # 110 brings 120 in
    assert d.model["changed"] == ["destination"] and d.model["rules"]["target"] == "120"
    at110 = _combined(rules, text, "110", sure)
    assert at110.emergency and (at110.action, at110.target) == ("accept", "110")
    # the model less sure, or naming the service itself, or an artifact without the threshold: 120 stands
    for pred in (
        replace(_pred(0.99, "110", 0.45), thresholds={**TH, "override": 0.5}),
        replace(_pred(0.99, "120", 0.9), thresholds={**TH, "override": 0.5}),
        _pred(0.99, "110", 0.9),
    ):
        assert _combined(rules, text, "12345", pred).target == "120", pred


def _outweighing(p_em: float, owner_p: float, owner: str = "12345") -> Prediction:
    th = {**TH, "doubt": 0.02, "doubt_owner": 0.9}
    return replace(_pred(p_em, owner, owner_p, "public_facilities"), thresholds=th)


def test_a_rules_emergency_at_12345_the_model_is_sure_is_a_12345_matter_goes_to_a_12345_agent(rules):
    text = "村里那座桥的护栏被车撞断了一截，到现在也没人修"
    assert rules.route(text, "12345").emergency  # 撞 heard as a crash happening
    d = _combined(rules, text, "12345", _outweighing(0.2, 0.95))
    assert not d.emergency and d.rule == "rules-outweighed"
    assert (d.target, d.action, d.category) == ("12345", "accept", "public_facilities")
    assert d.danger_hint and (d.hint_action, d.hint_target) == ("conference", "110")  # the agent sees it
    assert not d.reaches_110_at_once and d.understood
    assert d.model["changed"] == ["destination", "emergency"] and d.model["rules"]["emergency"] is True
    # the model less sure of 12345, or hearing an emergency, or naming another owner: the rules' emergency
    # stands (or is only doubted, with 110 on the line)
    assert _combined(rules, text, "12345", _outweighing(0.2, 0.85)).emergency
    assert _combined(rules, text, "12345", _outweighing(0.7, 0.95)).emergency
    assert _combined(rules, text, "12345", _outweighing(0.01, 0.85)).rule == "rules-doubted"
    assert _combined(rules, text, "12345", _outweighing(0.2, 0.95, owner="110")).emergency
    # at 110 a call-taker judges it: never sent away from 110
    at110 = _combined(rules, text, "110", _outweighing(0.2, 0.95))
    assert at110.emergency and at110.target == "110"
    # an artifact without the threshold never does it
    older = replace(_pred(0.2, "12345", 0.99), thresholds={**TH, "doubt": 0.02})
    assert _combined(rules, text, "12345", older).emergency


def test_doubt_owner_stays_above_every_true_emergency_the_rules_flagged_below_the_emergency_threshold():
    p_em = np.array([0.1, 0.2, 0.05, 0.6, 0.1])
    own = np.array([0.95, 0.93, 0.5, 0.99, 0.99])
    y = np.array([0, 1, 1, 1, 0])
    rules = np.array([True, True, True, True, False])
    # the true emergency at 0.2 with 12345 at 0.93 raises it; the one above the emergency threshold and the
    # row the rules did not flag do not count
    assert train_mod.tune_doubt_owner(p_em, own, y, rules, 0.3) == 0.94
    assert train_mod.tune_doubt_owner(p_em, own, y, rules, 0.15) == 0.9  # the floor
    assert train_mod.tune_doubt_owner(p_em, np.full(5, 1.0), y, rules, 0.3) == 1.01  # never


def _doubting(p_em: float) -> Prediction:
    return replace(_pred(p_em, "12345", 0.9, "property_management"), thresholds={**TH, "doubt": 0.02})


def test_a_rules_emergency_the_model_finds_no_danger_in_is_held_for_a_person_with_110(rules):
    text = "气得我想杀人，物业把我买的车位又租给别人了"
    assert rules.route(text, "12345").emergency  # one strong word
    d = _combined(rules, text, "12345", _doubting(0.005))
    assert not d.emergency and d.rule == "rules-doubted"
    assert (d.action, d.target) == ("conference", "110")  # the 12345 agent and 110 judge it together
    assert d.danger_hint and d.understood  # never asked again, never blind-transferred
    assert d.reaches_110_at_once and not d.acts_on_hint  # its own action is the three-way call
    assert d.model["changed"] == ["emergency"] and d.model["rules"]["emergency"] is True
    at110 = _combined(rules, text, "110", _doubting(0.005))
    assert not at110.emergency and (at110.action, at110.target) == ("accept", "110")  # a call-taker


def test_a_rules_emergency_at_or_above_the_doubt_threshold_stands(rules):
    for text, p in (("气得我想杀人，物业把我买的车位又租给别人了", 0.02), ("有人在银行门口抢劫，拿着刀", 0.5)):
        d = _combined(rules, text, "12345", _doubting(p))
        assert d.emergency and d.rule == "emergency-first" and d.target == "110", text


def test_the_doubt_threshold_holds_back_almost_no_true_emergency_and_one_odd_line_does_not_set_it():
    rng = np.random.default_rng(1)
    y = np.array([1] * 1000 + [0] * 200)
    rules = np.ones(1200, dtype=bool)
    p = np.concatenate([rng.uniform(0.2, 1.0, 1000), rng.uniform(0.0, 0.3, 200)])
    p[0] = 0.001  # one odd line (a recognizer's garble) among the rules' true emergencies
    t = tune_doubt(p, y, rules)
    assert t["doubt"] > 0.05  # not collapsed to the odd line's score
    held = p[:1000] < t["doubt"]
    assert held.sum() == t["rules_true_held"] <= np.ceil(DOUBT_QUANTILE * 1000)
    assert t["rules_false_held"] == int((p[1000:] < t["doubt"]).sum()) > 0
    few = tune_doubt(p[990:1010], y[990:1010], rules[990:1010])
    assert few["doubt"] == 0.0  # too few to go by: never doubt


def _scored(rng, pos: int, neg: int, neg_high: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = np.concatenate([rng.uniform(0.0, 1.0, pos) ** 0.5, rng.uniform(0.0, neg_high, neg)])
    return p, np.array([1] * pos + [0] * neg), np.zeros(pos + neg, dtype=bool)


def test_the_emergency_threshold_falls_to_the_recall_goal_within_the_look_alike_allowance():
    rng = np.random.default_rng(7)
    p, y, rules = _scored(rng, 1000, 4000, 0.6)
    at5 = train_mod.tune_emergency(p, y, rules, recall_goal=0.0)  # the pool at MAX_FALSE alone
    assert at5["rule"] == "max_false" and at5["at_emergency"]["false"] <= train_mod.MAX_FALSE
    goal = at5["at_emergency"]["recall"] + 0.003
    t = train_mod.tune_emergency(p, y, rules, recall_goal=goal, max_lookalike=0.08)
    assert t["rule"] == "recall_goal" and t["emergency"] < at5["emergency"]
    assert t["at_emergency"]["recall"] >= goal and t["at_emergency"]["false"] <= 0.08
    # the highest threshold that reaches it: one step up falls short
    higher = next(v for v in sorted({round(float(v), 4) for v in p}) if v > t["emergency"])
    assert ((rules | (p >= higher))[y == 1]).mean() < goal
    # out of reach within the allowance: the best recall the allowance buys, never past it
    far = train_mod.tune_emergency(p, y, rules, recall_goal=0.9999, max_lookalike=0.06)
    assert far["at_emergency"]["false"] <= 0.06 and far["emergency"] < at5["emergency"]
    # met at MAX_FALSE already: unchanged
    assert train_mod.tune_emergency(p, y, rules, recall_goal=0.5)["emergency"] == at5["emergency"]


def test_look_alike_authors_joining_the_pool_move_the_recall_goal_threshold_less_than_the_false_rule():
    rng = np.random.default_rng(11)
    p = np.concatenate([rng.uniform(0, 1, 1000) ** 0.2, rng.uniform(0, 1, 4000) ** 8])
    y, rules = np.array([1] * 1000 + [0] * 4000), np.zeros(5000, dtype=bool)
    hard = rng.uniform(0.5, 0.9, 100)  # an author of danger's look-alikes, most of them flagged
    p2, y2, r2 = np.concatenate([p, hard]), np.concatenate([y, np.zeros(100, int)]), np.zeros(5100, dtype=bool)
    pools = ((p, y, rules), (p2, y2, r2))
    by_false = [train_mod.tune_emergency(*s, recall_goal=0.0)["emergency"] for s in pools]
    by_goal = [train_mod.tune_emergency(*s, 0.985, 0.15) for s in pools]
    assert by_false[1] > by_false[0] + 0.03  # the pool's rule creeps up
    assert all(t["rule"] == "recall_goal" and t["emergency"] < by_false[0] for t in by_goal)
    assert abs(by_goal[1]["emergency"] - by_goal[0]["emergency"]) < 0.01


def test_with_authors_known_the_recall_goal_holds_while_the_median_author_stays_within_max_false():
    rng = np.random.default_rng(13)
    # ten ordinary authors (each about 3% flagged where 98.5% of the emergencies are caught)
    p = np.concatenate([rng.uniform(0, 1, 1000) ** 0.1, *(rng.uniform(0, 1, 400) ** 12 for _ in range(10))])
    y = np.array([1] * 1000 + [0] * 4000)
    authors = np.array([f"a{i % 10}" for i in range(1000)] + [f"a{i // 400}" for i in range(4000)])
    # three authors of look-alikes join, most of their ordinary lines high: the pool's false rate soars
    hard = rng.uniform(0.3, 0.95, 3 * 400)
    p2, y2 = np.concatenate([p, hard]), np.concatenate([y, np.zeros(len(hard), int)])
    a2 = np.concatenate([authors, np.array([f"h{i // 400}" for i in range(len(hard))])])
    r2 = np.zeros(len(p2), dtype=bool)
    pooled = train_mod.tune_emergency(p2, y2, r2)
    by_author = train_mod.tune_emergency(p2, y2, r2, authors=a2)
    assert by_author["rule"] == "recall_goal" and by_author["at_emergency"]["recall"] >= train_mod.RECALL_GOAL
    assert by_author["at_emergency"]["median_author_false"] <= train_mod.MAX_FALSE
    # the pooled bound gave way: a threshold far higher, short of the goal
    assert pooled["emergency"] > by_author["emergency"] + 0.1
    assert pooled["at_emergency"]["recall"] < train_mod.RECALL_GOAL
    # the highest threshold that reaches the goal: one step up falls short
    higher = next(v for v in sorted({round(float(v), 4) for v in p2}) if v > by_author["emergency"])
    assert ((r2 | (p2 >= higher))[y2 == 1]).mean() < train_mod.RECALL_GOAL
    # a budget no threshold meets: the highest threshold, never one past it
    ones = np.ones(len(p2), dtype=bool)
    assert train_mod._reaching_by_author(p2, y2, ones, a2, [0.9, 0.5, 0.1], 0.999, 0.05) == 0.9
    # the goal out of reach within the budget: the lowest threshold still within it
    cands = sorted({round(float(v), 4) for v in p2}, reverse=True)
    t = train_mod._reaching_by_author(p2, y2, r2, a2, cands, 1.0, 0.05)
    assert train_mod.median_author_false(p2, y2, r2, a2, t) <= 0.05
    below = cands[cands.index(t) + 1]
    assert train_mod.median_author_false(p2, y2, r2, a2, below) > 0.05


def test_authors_fall_in_few_balanced_folds_the_same_way_each_time():
    authors = ["a"] * 50 + ["b"] * 40 + ["c"] * 30 + ["d"] * 20 + ["e"] * 10 + ["f"] * 10 + ["g"] * 5
    folds = author_folds(authors, folds=3)
    assert folds == author_folds(list(authors), folds=3) and len(set(folds)) == 3
    fold_of = dict(zip(authors, folds, strict=True))
    assert all(fold_of[a] == f for a, f in zip(authors, folds, strict=True))  # an author is never split
    sizes = sorted(folds.count(f) for f in set(folds))
    assert sizes[-1] - sizes[0] <= 10


def test_cross_fit_scores_each_author_by_a_model_that_never_saw_them_and_pools_the_heads():
    """Both heads' fits run in one pool, largest first: each out-of-fold score is the one a model trained
    without that author gives (fitted here one fold at a time), and the final models are fitted on all."""
    from functools import partial

    from scipy.sparse import csr_matrix

    rng = np.random.default_rng(7)
    authors = [a for a in "abcdefg" for _ in range(40)]
    # each author's own word (column 10 + author) decides their labels: seen in training, it would give
    # the label away; unseen, the model can only go by the shared words (columns 0-9)
    dense = rng.random((len(authors), 17)) * (rng.random((len(authors), 17)) < 0.3)
    y_em = (dense[:, 0] + dense[:, 1] > 0.6).astype(int)
    owners = np.where(dense[:, 2] > 0.3, "110", np.where(dense[:, 3] > 0.3, "12345", "none"))
    for i, a in enumerate(authors):
        dense[i, 10 + "abcdefg".index(a)] = 1.0
    x = csr_matrix(dense)
    heads = [
        HeadFit("emergency", partial(NBLogistic, 1.0), x, y_em, authors),
        HeadFit("owner", partial(NBMultinomial, 1.0), x, owners, authors, author_folds=3),  # a head's own folds
    ]
    out = cross_fit(heads, by_author=True)
    for head in heads:
        folds = np.array(author_folds(authors, head.author_folds))
        assert len(set(folds)) == (5 if head.name == "emergency" else 3)
        final, scores = out[head.name]
        alone = head.make().fit(x, head.y)
        assert np.allclose(final.coef_, alone.coef_, atol=1e-6)
        for f in sorted(set(folds)):
            te = folds == f
            m = head.make().fit(x[~te], head.y[~te])
            if head.name == "emergency":
                assert np.allclose(scores[te], m.decision_function(x[te]), atol=1e-6)
            else:
                cols = [sorted(set(owners.tolist())).index(c) for c in m.classes_]
                assert np.allclose(scores[te][:, cols], m.predict_proba(x[te]), atol=1e-6)
        assert not np.allclose(scores, 0)


def test_both_heads_fold_their_naive_bayes_scale_into_one_linear_model():
    """The service scores coef_ · x + intercept_ on the unscaled features: that must be what each head
    decides; and a feature every owner's rows share weighs less than one that marks an owner."""
    from scipy.sparse import csr_matrix

    rng = np.random.default_rng(3)
    n = 300
    owners = np.array(["110", "12345", "none"])[rng.integers(0, 3, n)]
    dense = rng.random((n, 6)) * (rng.random((n, 6)) < 0.4)
    dense[:, 0] = 1.0  # in every row: tells nothing
    for i, o in enumerate(owners):  # column 1 marks 110, column 2 marks 12345 (mostly)
        dense[i, 1] = 1.0 if o == "110" and rng.random() < 0.8 else 0.0
        dense[i, 2] = 1.0 if o == "12345" and rng.random() < 0.8 else 0.0
    x = csr_matrix(dense)
    own = NBMultinomial(1.0).fit(x, owners)
    assert own.scale[0] < min(own.scale[1], own.scale[2]) / 2
    z = x @ own.coef_.T + own.intercept_
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    assert np.allclose(expected / expected.sum(axis=1, keepdims=True), own.predict_proba(x), atol=1e-9)
    y_em = (owners == "110").astype(int)
    for power in (1.0, 0.5):  # a root of the ratio keeps its sign: column 1 speaks for an emergency
        em = NBLogistic(1.0, power).fit(x, y_em)
        z = np.asarray(x @ em.coef_.T).ravel() + em.intercept_[0]
        assert np.allclose(z, em.decision_function(x), atol=1e-9)
        assert em.ratio[1] > 0 and em.coef_[0, 1] > 0 and em.ratio[2] < 0


def test_the_model_owner_decides_where_the_rules_found_nothing(rules):
    text = "隔壁邻居在公共走廊堆满了杂物"
    assert rules.route(text, "12345").rule in ("no-match", "low-confidence")
    d = _combined(rules, text, "12345", _pred(0.0, "12345", 0.9, "civil_dispute"))
    assert (d.target, d.action, d.rule, d.category) == ("12345", "accept", "model-owner", "civil_dispute")
    assert d.understood
    d110 = _combined(rules, text, "110", _pred(0.0, "12345", 0.9, "civil_dispute"))
    assert (d110.target, d110.action) == ("12345", "transfer")
    guide = _combined(rules, "我想找人问问遗嘱怎么写才有效", "12345", _pred(0.0, "12348", 0.9))
    assert (guide.target, guide.action, guide.guide_number) == ("12348", "guide", "12348")
    agent = _combined(rules, "你给我找个能说话的", "110", _pred(0.0, "agent", 0.9))
    assert (agent.target, agent.action) == ("110", "agent")


def test_a_destination_the_rules_chose_surely_yields_only_to_a_model_surer_than_override_sure(rules):
    # the rules hear 遗嘱公证 as a 12345 consultation with confidence; its labels say a notary is 12348's
    text = "我要办一个遗嘱公证，去哪里办，要什么材料"
    sure_rules = rules.route(text, "12345")
    assert (sure_rules.target, sure_rules.rule) == ("12345", "category") and sure_rules.confidence >= 0.7
    th = {**TH, "override": 0.5, "override_sure": 0.75, "rules_sure": 0.7}
    d = _combined(rules, text, "12345", replace(_pred(0.0, "12348", 0.9), thresholds=th))
    assert (d.target, d.action, d.guide_number, d.rule) == ("12348", "guide", "12348", "model-owner")
    assert d.model["changed"] == ["destination"] and d.model["rules"]["target"] == "12345"
    # a model surer than `override` (enough against unsure rules) but not than `override_sure`: the rules stand
    assert _combined(rules, text, "12345", replace(_pred(0.0, "12348", 0.7), thresholds=th)).target == "12345"
    # an artifact from before the threshold existed never overrules sure rules
    assert _combined(rules, text, "12345", replace(_pred(0.0, "12348", 0.99), thresholds={**TH})).target == "12345"
    # an overlap (both platforms on a three-way call) is settled, not overruled
    overlap = "上回小区里那辆车被人砸了玻璃以后就一直停在那，落满灰，半年没人动，车主也找不到，这算不算僵尸车"
    assert rules.route(overlap, "12345").rule == "overlap"
    assert _combined(rules, overlap, "12345", replace(_pred(0.0, "12345", 0.99), thresholds=th)).rule == "overlap"


def test_a_request_for_a_person_the_model_places_is_put_to_a_person(rules):
    text = "这玩意儿听不懂我说话，给我找个活的来听"
    assert rules.route(text, "12345").rule in ("no-match", "low-confidence")
    for platform in ("12345", "110"):
        d = _combined(rules, text, platform, _pred(0.01, "agent", 0.95, "request_agent"))
        assert (d.target, d.action, d.rule) == (platform, "agent", "model-owner"), platform
        assert d.category == "request_agent"


def test_a_police_matter_only_supposed_is_answered_with_the_number_not_put_through(rules):
    # the labeling brief's `guide 110`: 如果遇到… asked at 12345, nothing happening — as the rules do for the
    # matters they hear (decide.category_action), so for those only the model places
    supposed, told = "万一我喝了酒开车被查到了，要关多久", "我喝了酒开车被查到了，要关多久"
    assert rules.route(supposed, "12345").rule == rules.route(told, "12345").rule == "no-match"
    d = _combined(rules, supposed, "12345", _pred(0.0, "110", 0.9))
    assert (d.target, d.action, d.guide_number, d.rule) == ("110", "guide", "110", "model-owner")
    with_category = _combined(rules, supposed, "12345", _pred(0.0, "110", 0.9, "request_police"))
    assert (with_category.target, with_category.action) == ("110", "guide")
    assert _combined(rules, told, "12345", _pred(0.0, "110", 0.9)).action == "transfer"
    assert _combined(rules, supposed, "110", _pred(0.0, "110", 0.9)).action == "accept"


def test_a_weak_model_owner_leaves_the_question_to_the_caller(rules):
    d = _combined(rules, "隔壁邻居在公共走廊堆满了杂物", "12345", _pred(0.0, "12345", 0.5))
    assert d.action == "clarify" and d.rule in ("no-match", "low-confidence") and not d.understood


def test_a_clear_rules_destination_is_not_overridden(rules):
    d = _combined(rules, "小区门口的路灯坏了好几天了", "12345", _pred(0.0, "110", 0.99, "violence"))
    assert (d.target, d.action, d.rule) == ("12345", "accept", "category")


def test_a_danger_word_heard_only_by_sound_is_a_hint(rules):
    # a calm question is no emergency; but 强接 may be a misheard 抢劫 said in fear: hint, so a caller
    # not understood is bridged to 110 rather than asked again. Heard clearly, the question is just that.
    weak = rules.route("请问楼下有人强接怎么办", "12345")
    assert not weak.emergency and weak.danger_hint and weak.hint_target == "110"
    clear = rules.route("请问楼下有人抢劫怎么办", "12345")
    assert not clear.emergency and not clear.danger_hint


def test_a_homophone_the_recognizer_wrote_shares_the_syllables_of_the_word_said():
    from hotline.understanding.features import SUBORDINATE_WEIGHT, Vectorizer, text_tokens

    said, heard = text_tokens("旁边就是加油站|冒烟了"), text_tokens("旁边就是加油战|冒烟了")
    assert "c:油站" in said and "c:油站" not in heard  # the characters alone do not bridge them
    assert "p:jia_you_zhan" in said and "p:jia_you_zhan" in heard
    assert "p:yan_le_>" in said  # a clause's ends are marked, as the characters' are: the danger said last
    # the syllables weigh half as much as the characters they repeat (same document frequency, same idf)
    vec = Vectorizer.fit([said, heard], min_df=1)
    idx, val = vec.row(["c:加油", "p:jia_you"])
    by_token = {vec.vocabulary[i]: v for i, v in zip(idx, val, strict=True)}
    assert SUBORDINATE_WEIGHT < 1.0
    assert by_token["p:jia_you"] == pytest.approx(SUBORDINATE_WEIGHT * by_token["c:加油"])
    assert np.linalg.norm(val) == pytest.approx(1.0)


def test_what_was_said_last_is_read_apart_across_clause_marks():
    from hotline.understanding.features import END_CHARS, SUBORDINATE_WEIGHT, Vectorizer, text_tokens

    # a complaint first, the danger last: the last words hold the danger, whether a clause mark or none (a
    # recognizer's transcript) parts them from the complaint
    written = text_tokens("上次反映的路灯一直没人修|现在有个人倒在路边不动了")
    heard = text_tokens("上次反映的路灯一直没人修现在有个人倒在路边不动了")
    last = {t for t in written if t.startswith("e:")}
    assert last == {t for t in heard if t.startswith("e:")}
    assert {"e:不动了", "e:倒在"} <= last and not any("路灯" in t for t in last)
    assert len("".join(t[2:] for t in last if len(t) == 4)) == 2 * (END_CHARS - 1)  # 2-grams over the last 16
    vec = Vectorizer.fit([written], min_df=1)
    assert vec.weight[vec.index["e:不动了"]] == SUBORDINATE_WEIGHT and vec.weight[vec.index["c:不动了"]] == 1.0


def test_category_prototypes_score_as_a_plain_dot_product():
    import numpy as np

    from hotline.understanding.model import _Centroids

    head = {
        "classes": ["a", "b", "c"],
        "feature": [0, 0, 2, 3, 3, 5],
        "class": [0, 1, 2, 0, 2, 1],
        "weight": [0.5, 0.2, 0.9, 0.4, 0.1, 0.7],
        "temperature": 0.05,
    }
    c = _Centroids(head, n_features=6)
    dense = np.zeros((6, 3))
    for f, k, w in zip(head["feature"], head["class"], head["weight"], strict=True):
        dense[f, k] = w
    idx, val = np.array([0, 3, 4, 5]), np.array([0.3, 0.5, 0.2, 0.6])
    want = np.exp(val @ dense[idx] / 0.05)
    assert np.allclose(c.probabilities(idx, val), want / want.sum())
    assert np.allclose(c.probabilities(np.array([1, 4]), np.array([0.5, 0.5])), [1 / 3] * 3)


def test_a_malformed_artifact_is_refused(trained, tmp_path):
    import json as _json

    from hotline.understanding.model import artifact_sha256

    out, _ = trained
    meta = _json.loads((out / "model.json").read_text(encoding="utf-8"))
    del meta["heads"]["owner"]
    raw = (out / "weights.npy").read_bytes()
    meta["sha256"] = artifact_sha256(meta, raw)
    bad = tmp_path / "malformed"
    bad.mkdir()
    (bad / "model.json").write_text(_json.dumps(meta), encoding="utf-8")
    (bad / "weights.npy").write_bytes(raw)
    with pytest.raises(ModelError, match="malformed"):
        UnderstandingModel.load(bad)


def _tuning_row(rules_target: str, label: str, emergency: int = 0, sure: bool = True) -> train_mod.Row:
    return train_mod.Row(
        profile="national",
        text="",
        tokens=[],
        emergency=emergency,
        owner=label,
        category="",
        targets=(label,),
        rules_emergency=False,
        rules_weak=False,
        rules_category=None,
        rules_owner=None,
        narrative=False,
        han_chars=12,
        rules_target=rules_target,
        rules_sure=sure,
        rules_unsure=not sure,
    )


def test_override_sure_is_tuned_where_the_rules_chose_surely_and_no_emergency_comes_first():
    classes = ["110", "12345"]
    # 40 sure rows the rules sent to 12345: the model says 110 at 0.9 and is right on 30 (then the rules' wrong),
    # at 0.6 it is wrong on 10 (the rules right): overruling pays from 0.9 down, not to 0.6
    rows = [_tuning_row("12345", "110") for _ in range(30)] + [_tuning_row("12345", "12345") for _ in range(10)]
    prob = np.array([[0.9, 0.1]] * 30 + [[0.6, 0.4]] * 10)
    assert train_mod.tune_override(prob, classes, rows, train_mod.surely_chosen) == 0.9
    # the same rows as emergencies are the emergency step's, and unsure rows are ``override``'s: never overruled
    emergencies = [replace(r, emergency=1) for r in rows]
    assert train_mod.tune_override(prob, classes, emergencies, train_mod.surely_chosen) == 1.01
    unsure = [replace(r, rules_sure=False, rules_unsure=True) for r in rows]
    assert train_mod.tune_override(prob, classes, unsure, train_mod.surely_chosen) == 1.01
    assert train_mod.tune_override(prob, classes, unsure) == 0.9


def test_the_tuning_scores_written_by_train_are_read_by_the_threshold_benchmark(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    rng = np.random.default_rng(3)
    scores = []
    for k, author in enumerate(("early", "train-a", "train-b", "train-ab")):
        for i in range(200):
            y = int(i % 3 == 0)
            p = float(rng.uniform(0.3, 1.0) if y else rng.uniform(0.0, 0.5 + 0.1 * k))
            scores.append((f"{author}-{i}", author, y, round(p, 6), int(i % 17 == 0), 0))
    path = tmp_path / "scores.tsv"
    train_mod.write_scores(scores, path)
    back = train_mod.read_scores(path)  # the reader beside the writer: the same rows, the same order
    assert back["author"].tolist() == [s[1] for s in scores] and back["y"].tolist() == [s[2] for s in scores]
    assert np.allclose(back["p"], [s[3] for s in scores]) and back["rules"].tolist() == [bool(s[4]) for s in scores]
    (tmp_path / "other.tsv").write_text("id\ttext\nu1\thello\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a scores file"):
        train_mod.read_scores(tmp_path / "other.tsv")
    bench = Path(__file__).resolve().parents[1] / "benchmarks" / "threshold_rules.py"
    out = subprocess.run([sys.executable, str(bench), str(path), "--step", "2"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "800 lines, 268 emergencies, 4 authors" in out.stdout
    # the growing pool, in the order the authors joined: the early sets, then a, b, ab
    assert "(up to train-a)" in out.stdout and out.stdout.rstrip().endswith("(up to train-ab)")

from pathlib import Path

import pytest

from hotline.profile import ProfileError, available_profiles, load_profile, load_profile_path

CITIES = ["ningguo", "tianjin", "guilin", "baofeng", "liaocheng"]


def test_every_city_and_the_national_default_load():
    names = available_profiles()
    for n in ["national", *CITIES]:
        assert n in names
        p = load_profile(n)
        assert p.categories and all(c.phrases for c in p.categories)


@pytest.mark.parametrize("name", ["national", *CITIES])
def test_no_profile_holds_a_word_the_router_can_never_use(name):
    from hotline.router.dead_words import dead_words

    assert dead_words(load_profile(name)) == []


def test_a_word_the_router_can_never_use_is_named_with_why(tmp_path):
    """An exclude word that covers no hit of its item, and a lexicon word holding a filler where fillers are
    dropped: both accepted by the schema, both doing nothing."""
    from hotline.router.dead_words import dead_words

    f = tmp_path / "my-city.yaml"
    f.write_text(
        "id: my_city\nname: 某市\nextends: national\n"
        "categories:\n"
        "  - id: mc_breath\n    name: 没气了\n    owner: other\n    target: '120'\n    emergency: always\n"
        "    exclude: [天然气没气, 天然气没气了, 天然气那个没气]\n    phrases: [没气了, 叫不醒]\n"
        "cues:\n  - id: mc_tool\n    name: 工具\n    phrases: [拿着锤子]\n    everyday_after: [钉钉子, 那个钉]\n"
        "lexicon:\n  urgent_now: [救命, 来人啊]\n  supposition_real: [就现在, 我就是那个人]\n",
        encoding="utf-8",
    )
    problems = dead_words(load_profile_path(f))
    assert any("'天然气没气'" in p and "drops nothing" in p for p in problems), problems
    assert not any("'天然气没气了'" in p for p in problems), problems
    assert any("'来人啊'" in p and "urgent_now" in p for p in problems), problems
    # a supposition said to be real is looked for with the fillers kept (我姑妈就是这样): 就是 and 那个 are words there
    assert not any("'我就是那个人'" in p for p in problems), problems
    # a tool's everyday work said after it is looked for where 那个 is gone
    assert any("'那个钉'" in p and "everyday_after" in p for p in problems), problems
    # an exclude word is looked for in normalized text too, where 那个 is gone
    assert any("'天然气那个没气'" in p and "normalized" in p for p in problems), problems
    assert len(problems) == 4, problems


@pytest.mark.parametrize("city", CITIES)
def test_city_items_are_its_own_and_name_their_annex(city):
    p = load_profile(city)
    own = [p.category(cid) for cid in p.own_category_ids]
    assert len(own) >= 10
    assert all(c.annex for c in own)
    owners = {c.owner for c in own}
    assert "110" in owners


def test_other_numbers_and_what_12345_must_not_accept():
    p = load_profile("national")
    for n in ["119", "120", "122", "12348", "12313", "12395", "utility:power", "locksmith"]:
        assert n in p.numbers
    assert {c.id for c in p.categories if c.owner == "none"} >= {"litigation", "discipline", "courts_army", "petition"}


def test_unknown_profile_is_an_operator_error():
    with pytest.raises(ProfileError, match="unknown profile 'atlantis'"):
        load_profile("atlantis")


def _write(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "broken.yaml"
    f.write_text(text, encoding="utf-8")
    return f


def test_broken_yaml_names_file_and_line(tmp_path):
    f = _write(tmp_path, "id: x\nname: [unclosed\n")
    with pytest.raises(ProfileError) as e:
        load_profile_path(f)
    assert str(f) in str(e.value) and "line" in str(e.value)


def test_bad_field_names_file_field_and_category(tmp_path):
    f = _write(
        tmp_path, "id: x\nname: X\ncategories:\n  - {id: a, name: A, owner: '999', target: '110', phrases: [p]}\n"
    )
    with pytest.raises(ProfileError) as e:
        load_profile_path(f)
    msg = str(e.value)
    assert str(f) in msg and "categories[0].owner" in msg and "'a'" in msg


def test_not_urgent_is_for_an_emergency_service_only(tmp_path):
    f = _write(tmp_path, "id: x\nname: X\nnumbers:\n  '12348': {name: 法律服务, dial: '12348', not_urgent: transfer}\n")
    with pytest.raises(ProfileError) as e:
        load_profile_path(f)
    assert "not_urgent applies to an emergency service" in str(e.value) and str(f) in str(e.value)


def test_unknown_include_is_reported(tmp_path):
    f = _write(
        tmp_path,
        "id: x\nname: X\nextends: national\ncategories:\n"
        "  - {id: a, name: A, owner: '110', target: '110', includes: [no_such]}\n",
    )
    with pytest.raises(ProfileError, match=r"categories\[0\]\.includes: 'no_such'"):
        load_profile_path(f)


def test_operator_profile_dir_overrides(tmp_path, monkeypatch):
    (tmp_path / "mycity.yaml").write_text(
        "id: mycity\nname: 我的城市\nextends: national\ncategories:\n"
        "  - {id: mc_boats, name: 游船, owner: '12345', target: '12345', phrases: [游船晚点]}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HOTLINE_PROFILE_DIR", str(tmp_path))
    from hotline.profile import load_profile
    from hotline.router.decide import Router

    # the operator's item, as the rules read it (the learned layer may add its own view on top)
    d = Router(load_profile("mycity")).route("游船晚点两个小时了")
    assert d.category == "mc_boats" and d.action == "accept"

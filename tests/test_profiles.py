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


# the lexicon's word lists that the router looks for in the normalized text (fillers such as 就是 and 那个 taken out)
READ_NORMALIZED = (
    "negators", "negator_exceptions", "hypothetical", "supposition_real", "potential", "habitual", "consult",
    "question", "dispatch", "past", "long_ago", "urgent", "urgent_now", "urgent_weak", "resolved", "ongoing",
)  # fmt: skip


@pytest.mark.parametrize("name", ["national", *CITIES])
def test_every_lexicon_word_the_router_reads_can_be_heard(name):
    """A word an operator writes with a filler in it (我就是那个人) is never found: the text it is looked for in has
    lost the filler (我人)."""
    from hotline.router.decide import get_router

    router = get_router(name)
    lexicon = load_profile(name).lexicon
    unheard = [
        (field, word)
        for field in READ_NORMALIZED
        for word in getattr(lexicon, field)
        if router.normalize(word).text != word
    ]
    assert not unheard


@pytest.mark.parametrize("name", ["national", *CITIES])
def test_every_exclude_word_holds_a_hit_it_excludes(name):
    """The router drops a hit only where an exclude word covers all of it (天然气没气了 covers 没气了; 天然气没气
    covers nothing): in each exclude word, said alone, the router finds a hit of its item that the word covers."""
    from hotline.router.decide import get_router

    router = get_router(name)
    profile = load_profile(name)
    items = [*((c.id, c) for c in profile.categories), *((f"cue:{c.id}", c) for c in profile.cues)]
    dead = []
    for key, item in items:
        for word in item.exclude:
            text = router.normalize(word).text
            hits = router._index.find(text, by_sound=True)
            if not any(h.key == key and h.start >= 0 and h.end <= len(text) for h in hits):
                dead.append((key, word))
    assert not dead


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

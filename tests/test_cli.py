import json

import pytest

from hotline.profile import TARGETS as PROFILE_TARGETS

pytestmark = pytest.mark.slow  # a process per command

REQUIRED = {"target", "action", "emergency", "category", "matched", "profile", "confidence"}
TARGETS = set(PROFILE_TARGETS)
ACTIONS = {"accept", "transfer", "conference", "guide", "clarify", "agent"}


def test_route_json_contract(hotline_cli):
    r = hotline_cli("route", "--platform", "12345", "--json", "我家楼下有人在打架，快派警察")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d.keys() >= REQUIRED
    assert d["target"] == "110" and d["action"] in ACTIONS and d["emergency"] is True
    assert 0.0 <= d["confidence"] <= 1.0 and isinstance(d["matched"], list)


def test_route_default_platform_is_12345(hotline_cli):
    d = json.loads(hotline_cli("route", "--json", "路灯坏了").stdout)
    assert d["receiving"] == "12345" and d["action"] == "accept" and d["target"] == "12345"


def test_stdin_batch_keeps_order(hotline_cli):
    lines = ["路灯坏了", "有人抢劫", "", "我家着火了", "垃圾没人清理"] * 20
    r = hotline_cli("route", "--json", "--platform", "110", "-", stdin="\n".join(lines).encode())
    assert r.returncode == 0, r.stderr
    out = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert len(out) == len(lines)
    assert [o["target"] for o in out[:5]] == ["12345", "110", "110", "119", "12345"]
    assert all(o["target"] in TARGETS and o["action"] in ACTIONS for o in out)


def test_bad_input_exits_zero_with_a_decision(hotline_cli):
    for text in ["", "   ", "😀🔥", "zzzz qqqq", "a" * 20000, "喂?? ＡＢＣ　混合 mixed 文字"]:
        r = hotline_cli("route", "--json", text)
        assert r.returncode == 0, (text[:20], r.stderr)
        d = json.loads(r.stdout)
        assert d["action"] in ("clarify", "agent") and d["target"] == "12345"
    r = hotline_cli("route", "--json", "-", stdin=b"\xff\xfe\x00binary\x80\n\xe8\xb7\xaf\xe7\x81\xaf\xe5\x9d\x8f\n")
    assert r.returncode == 0
    out = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert out[0]["action"] in ("clarify", "agent") and out[1]["target"] == "12345"
    assert b"Traceback" not in r.stderr


def test_unknown_profile_fails_clearly(hotline_cli):
    r = hotline_cli("route", "--profile", "atlantis", "路灯坏了")
    assert r.returncode == 2
    assert b"unknown profile 'atlantis'" in r.stderr and b"Traceback" not in r.stderr


def test_broken_profile_file_fails_clearly(hotline_cli, tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text(
        "id: broken\nname: B\ncategories:\n  - {id: x, name: X, owner: '110', target: '999', phrases: [a]}\n",
        encoding="utf-8",
    )
    r = hotline_cli("profiles", "check", str(bad))
    assert r.returncode == 2
    err = r.stderr.decode()
    assert str(bad) in err and "categories[0].target" in err and "Traceback" not in err
    r2 = hotline_cli("route", "--profile", "broken", "路灯", env={"HOTLINE_PROFILE_DIR": str(tmp_path)})
    assert r2.returncode == 2 and "categories[0].target" in r2.stderr.decode()


def test_profiles_check_names_a_word_the_router_can_never_use(hotline_cli, tmp_path):
    f = tmp_path / "my_city.yaml"
    f.write_text(
        "id: my_city\nname: 某市\nextends: national\ncategories:\n"
        "  - {id: mc_gas, name: 燃气, owner: '12345', target: '12345', exclude: [燃气表没], phrases: [没气了]}\n",
        encoding="utf-8",
    )
    r = hotline_cli("profiles", "check", str(f))
    err = r.stderr.decode()
    assert r.returncode == 1 and str(f) in err and "mc_gas" in err and "燃气表没" in err, err


def test_profiles_list_show_check(hotline_cli):
    r = hotline_cli("profiles", "list")
    assert r.returncode == 0
    for name in ["national", "ningguo", "tianjin", "guilin", "baofeng", "liaocheng"]:
        assert name.encode() in r.stdout
    show = hotline_cli("profiles", "show", "guilin", "--json")
    assert any(c["target"] == "utility:power" for c in json.loads(show.stdout)["categories"])
    assert hotline_cli("profiles", "check").returncode == 0

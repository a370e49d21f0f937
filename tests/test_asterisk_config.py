"""The dialplan and configuration as an Asterisk engineer would check them."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hotline import asterisk
from hotline.config import REPO, Config
from hotline.profile import TARGETS


@pytest.fixture
def cfg(tmp_path, monkeypatch) -> Config:
    monkeypatch.setenv("HOTLINE_ASTERISK_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("HOTLINE_AMI_SECRET", "lint-only")
    return Config()


def rendered(cfg: Config) -> str:
    return "\n".join(f.read_text() for f in (*cfg.etc_dir.glob("*.conf"), *cfg.etc_dir.glob("dialplan/*.conf")))


@pytest.mark.parametrize("sim", [False, True], ids=["production", "sim"])
def test_dialplan_passes_asterisklint(cfg, sim):
    lint = shutil.which("asterisklint") or str(Path(__import__("sys").executable).with_name("asterisklint"))
    asterisk.render(cfg, sim=sim)
    r = subprocess.run([lint, "dialplan-check", "extensions.conf"], cwd=cfg.etc_dir, capture_output=True, text=True)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), r.stdout + r.stderr


def test_the_production_render_reads_nothing_a_caller_sends_and_simulates_nothing(cfg):
    asterisk.render(cfg, sim=True)  # a simulation render before: nothing of it may survive
    warnings = asterisk.render(cfg)
    text = rendered(cfg)
    for forbidden in ("hotline-sim", "transport-sim", "sim-neighbour", "sim-agent", "X-Hotline-Test", "Agent-Script"):
        assert forbidden not in text, forbidden
    assert "PJSIP_HEADER(read" not in text  # no caller-set header is ever read
    assert not (cfg.etc_dir / "extensions_local.conf").exists()
    assert asterisk.rendered_mode(cfg) == "production"
    assert any("trunk-110 has no contact" in w for w in warnings)
    assert any("agent-12345-auth" in w for w in warnings)


def test_a_sites_own_files_complete_the_production_render(cfg, tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    trunks = (REPO / "asterisk-sim" / "pjsip_trunks.conf").read_text().replace("127.0.0.1:@SIM_PORT@", "192.0.2.1")
    (site / "pjsip_trunks.conf").write_text(trunks)
    (site / "pjsip_local.conf").write_text(
        "[agent-12345-auth]\ntype = auth\nusername = agent-12345\npassword = x\n\n"
        "[agent-110-auth]\ntype = auth\nusername = agent-110\npassword = y\n"
    )
    monkeypatch.setenv("HOTLINE_ASTERISK_LOCAL_DIR", str(site))
    site_cfg = Config()
    assert asterisk.render(site_cfg) == []
    assert "sip:110@192.0.2.1" in rendered(site_cfg)
    assert oct((site_cfg.etc_dir / "pjsip_local.conf").stat().st_mode & 0o777) == "0o640"


def test_no_secret_is_committed():
    for conf in (REPO / "asterisk-config").glob("*.conf"):
        assert not re.search(r"^\s*secret\s*=", conf.read_text(), re.M), conf
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True).stdout.split()
    assert not any(p.endswith("manager_secret.conf") or p.endswith("ami_secret") for p in tracked)


def test_every_prompt_the_code_plays_exists():
    from hotline.agi.session import HOLD_ON_PROMPT, MENU_PROMPTS, OFFER_TRANSFER_PROMPT
    from hotline.profile import available_profiles, load_profile

    sounds = {p.stem for p in (REPO / "sounds" / "zh" / "hotline").glob("*.wav")}
    listed = {
        line.split("\t")[0]
        for line in (REPO / "sounds" / "prompts.tsv").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert listed <= sounds
    used = {*MENU_PROMPTS, OFFER_TRANSFER_PROMPT, HOLD_ON_PROMPT}
    for f in (*(REPO / "dialplan").glob("*.conf"), *(REPO / "asterisk-sim").glob("*.conf")):
        used |= set(re.findall(r"Playback\(hotline/([a-z0-9-]+)\)", f.read_text()))
    for name in available_profiles():
        for turn in load_profile(name).conversation.values():
            used |= {turn.welcome, turn.ask_again, turn.to_person}
    assert {"goodbye", "service-down", "retry", "emergency-hold", "welcome-110", "welcome-12345"} <= used
    missing = {u for u in used if u not in sounds}
    assert not missing, missing


def test_every_prompt_played_as_a_ringback_has_a_music_class_that_plays_it():
    from hotline.agi.actions import RINGBACK_PROMPTS

    text = (REPO / "asterisk-config" / "musiconhold.conf").read_text()
    classes = dict(re.findall(r"^\[([\w-]+)\]\s*\nmode = playlist\s*\nentry = @SOUNDS@/([\w-]+)", text, re.M))
    assert {f"hotline-{p}": p for p in RINGBACK_PROMPTS} == classes
    assert all((REPO / "sounds" / "zh" / "hotline" / f"{p}.wav").exists() for p in RINGBACK_PROMPTS)


@pytest.mark.parametrize("target", TARGETS)
def test_every_target_has_a_prompt(target):
    from hotline.agi.actions import plan_for
    from hotline.profile import load_profile
    from hotline.router import route_call

    d = route_call("", "12345")
    from dataclasses import replace

    for action in ("transfer", "guide"):
        for emergency in (False, True):
            plan = plan_for(replace(d, action=action, target=target, emergency=emergency), load_profile("guilin"))
            heard = [*plan.prompts, *([plan.ringback] if plan.ringback else [])]
            assert heard, (action, target, emergency)  # the caller always hears where they are going
            for prompt in heard:
                assert (REPO / "sounds" / "zh" / "hotline" / f"{prompt}.wav").exists(), (action, target, prompt)

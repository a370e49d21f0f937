"""One settings object: every HOTLINE_* variable is a field of hotline.config.Config, documented in the
README's table, and no other module reads the environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hotline.config import REPO, Config, settings, settings_table

PRODUCT_CODE = [REPO / "hotline", REPO / "agi", REPO / "admin"]


def readme_settings() -> set[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(HOTLINE_[A-Z0-9_]+)` \|", section, flags=re.M))


def test_readme_table_lists_exactly_the_settings():
    documented = readme_settings()
    fields = {env for env, _, _ in settings_table()}
    assert documented == fields, f"missing from README: {fields - documented}; stale: {documented - fields}"


def test_every_setting_is_described():
    for env, _default, what in settings_table():
        assert len(what) > 10, env


@pytest.mark.parametrize("root", PRODUCT_CODE, ids=lambda p: p.name)
def test_no_module_but_the_settings_object_reads_the_environment(root: Path):
    offenders = []
    for py in root.rglob("*.py"):
        if py == REPO / "hotline" / "config.py":
            continue
        src = py.read_text(encoding="utf-8")
        if re.search(r"os\.environ|os\.getenv|getenv\(", src):
            offenders.append(str(py.relative_to(REPO)))
    assert offenders == []


def test_environment_is_read_and_typed(monkeypatch):
    monkeypatch.setenv("HOTLINE_BARGE_IN", "0")
    monkeypatch.setenv("HOTLINE_NO_SPEECH_S", "4.5")
    monkeypatch.setenv("HOTLINE_DB_URL", "sqlite:////tmp/x.db")
    cfg = settings()
    assert cfg.barge_in is False and cfg.no_speech_s == 4.5 and cfg.db_url == "sqlite:////tmp/x.db"
    monkeypatch.setenv("HOTLINE_NO_SPEECH_S", "3")
    assert settings().no_speech_s == 3.0  # a changed environment is a new settings object


def test_a_bad_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("HOTLINE_CAPTURE", "tape")
    with pytest.raises(ValueError, match="capture"):
        Config()

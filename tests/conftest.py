"""Shared fixtures. The Asterisk fixtures live in tests/asterisk_fixtures.py (issue 3)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the repository")
    return SHARED


@pytest.fixture
def hotline_cli():
    """Run the installed `hotline` console command; returns CompletedProcess (text)."""

    exe = Path(sys.executable).with_name("hotline")

    def run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None, timeout: float = 60):
        e = dict(os.environ)
        if env:
            e.update(env)
        return subprocess.run([str(exe), *args], input=stdin, capture_output=True, timeout=timeout, env=e)

    return run


pytest_plugins = ["tests.telephony"]

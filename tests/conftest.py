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


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of the project's own PostgreSQL (scripts/postgres.sh start; .ci/run starts it).

    HOTLINE_TEST_PG_URL names it; without it the PostgreSQL tests are skipped here, and fail in CI."""
    url = os.environ.get("HOTLINE_TEST_PG_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must prove PostgreSQL: HOTLINE_TEST_PG_URL is not set (scripts/postgres.sh start)")
        pytest.skip("no PostgreSQL (scripts/postgres.sh start, then HOTLINE_TEST_PG_URL=<its url>)")
    return url


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on the test PostgreSQL for one test (dropped afterwards)."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"hotline_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_server.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """Each store test runs on both databases the product supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'calls.db'}"
    return request.getfixturevalue("postgres_url")

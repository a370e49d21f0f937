"""Shared fixtures. The Asterisk and `hotline serve` fixtures live in tests/telephony.py."""

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


@pytest.fixture(autouse=True)
def quick_password_hashes(request, monkeypatch):
    """Outside the slow layer a password is hashed with one PBKDF2 round, not scrypt's 150 ms.

    Most admin tests sign in, and the hash is not what they test: with scrypt it was a fifth of the fast
    layer's time. The hash stays werkzeug's, so stored hashes and checks take the product's code path; the
    slow layer keeps the real cost and times it (`test_unknown_and_known_names_take_similar_time`)."""
    if request.node.get_closest_marker("slow") or request.node.get_closest_marker("asterisk"):
        return
    from functools import partial

    from werkzeug.security import generate_password_hash

    quick = partial(generate_password_hash, method="pbkdf2:sha256:1")
    monkeypatch.setattr("hotline.admin.auth.generate_password_hash", quick)
    monkeypatch.setattr("hotline.admin.users.generate_password_hash", quick)
    monkeypatch.setattr("hotline.admin.auth._DUMMY_HASH", quick("not-a-password-of-anyone"))


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
    from tests.db_support import drop_postgres_database, new_postgres_database

    url = new_postgres_database(postgres_server, migrated=False)
    yield url
    drop_postgres_database(postgres_server, url)


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_templates():
    yield
    from tests.db_support import drop_postgres_templates

    drop_postgres_templates()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Each store test runs on both databases the product supports; the database is at the newest schema."""
    from tests.db_support import drop_postgres_database, migrated_sqlite, new_postgres_database

    if request.param == "sqlite":
        yield migrated_sqlite(tmp_path / "calls.db")
        return
    server = request.getfixturevalue("postgres_server")
    url = new_postgres_database(server, migrated=True)
    yield url
    drop_postgres_database(server, url)

"""Test databases at the newest schema, copied from one migrated template per test process.

Alembic's full upgrade takes ~0.4 s on SQLite and ~0.8 s on PostgreSQL; most tests need only its result,
so each process migrates once and copies (a file for SQLite, `CREATE DATABASE … TEMPLATE` for
PostgreSQL). The migrations themselves are tested from empty databases (test_postgres, test_admin_postgres,
test_journal), and every helper here still calls `migrate` on the copy: a no-op that proves it is current.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from hotline.store import migrate
from hotline.store.calllog import make_engine

_sqlite_template: Path | None = None
_pg_templates: dict[str, str] = {}


def _sqlite_template_file() -> Path:
    global _sqlite_template
    if _sqlite_template is None:
        path = Path(tempfile.mkdtemp(prefix="schema-template-")) / "template.db"
        url = f"sqlite:///{path}"
        migrate(url)
        engine = make_engine(url)
        settle_sqlite(engine)
        _sqlite_template = path
    return _sqlite_template


def settle_sqlite(engine: Engine) -> None:
    """Everything into the main file (WAL checkpoint) and the engine closed: the file alone is then the whole
    database, ready to be copied as a template."""
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def migrated_sqlite(path: Path) -> str:
    """The URL of a new SQLite database at `path`, at the newest schema."""
    shutil.copyfile(_sqlite_template_file(), path)
    url = f"sqlite:///{path}"
    migrate(url)
    return url


def _admin(server_url: str, sql: str) -> None:
    # a fresh connection each time: a test may have restarted the server in between
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as c:
        c.execute(text(sql))
    engine.dispose()


def new_postgres_database(server_url: str, migrated: bool) -> str:
    """A new database on the test PostgreSQL: empty, or at the newest schema (a copy of this process's
    migrated template). Drop it with `drop_postgres_database`."""
    base = server_url.rsplit("/", 1)[0]
    template = ""
    if migrated:
        if server_url not in _pg_templates:
            name = f"hotline_tpl_{uuid.uuid4().hex[:12]}"
            _admin(server_url, f'CREATE DATABASE "{name}"')
            engine = create_engine(f"{base}/{name}", poolclass=NullPool)
            migrate(engine)
            engine.dispose()
            _pg_templates[server_url] = name
        # a file copy: quicker than WAL_LOG for a small template on a test server without fsync
        template = f' TEMPLATE "{_pg_templates[server_url]}" STRATEGY FILE_COPY'
    name = f"hotline_t_{uuid.uuid4().hex[:12]}"
    _admin(server_url, f'CREATE DATABASE "{name}"{template}')
    url = f"{base}/{name}"
    if migrated:
        migrate(url)
    return url


def drop_postgres_database(server_url: str, url: str) -> None:
    _admin(server_url, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def drop_postgres_templates() -> None:
    for server_url, name in _pg_templates.items():
        _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_templates.clear()

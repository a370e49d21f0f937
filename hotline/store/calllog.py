"""CallLog: the database side of the call log. Every call leaves a record, whatever happens to it.

The live call path never writes here directly: it writes to the journal (hotline/store/journal.py),
whose writer applies each entry with the `apply_*` methods below — idempotent, so an entry applied
twice (after a crash) changes nothing the second time. The admin, the CLI and the tests read here.
The schema is brought up to date once, by `hotline db upgrade` or a service's start (`migrate`), not
each time a CallLog is made.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hotline.store.models import Base, Call, CallEvent, Meta, User  # noqa: F401 (User: for the admin)

log = logging.getLogger("hotline.store")
T = TypeVar("T")
_CALL_COLUMNS = frozenset(Call.__table__.columns.keys())


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:" and not Path(path).exists():
            # the call database holds callers' numbers and words: created owner-only, before SQLite opens it
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _):  # WAL: the admin reads while the service writes
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def migrate(url_or_engine: str | Engine) -> str:
    """Bring the schema to the newest Alembic revision (a no-op when it is there already); returns it."""
    from alembic import command
    from alembic.config import Config as AlembicConfig
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect

    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        tables = set(inspect(conn).get_table_names())
        if "calls" in tables and "alembic_version" not in tables:
            # made by an earlier build with create_all: adopt it as the first revision
            Base.metadata.tables["calls"].create(conn, checkfirst=True)
            command.stamp(cfg, "0001")
        command.upgrade(cfg, "head")
        missing = sorted(set(Base.metadata.tables) - set(inspect(conn).get_table_names()))
        revision = MigrationContext.configure(conn).get_current_revision() or ""
        if missing:
            # stamped newer than it is (a copy from another build, a hand-made stamp): every write would
            # fail later, call after call; say so now, before a caller depends on it
            raise SchemaMismatch(f"the database says schema {revision} but has no table {', '.join(missing)}")
        return revision


class SchemaMismatch(RuntimeError):
    """The database's schema is not what its Alembic revision says."""


class CallLog:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        s = self._session()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def transaction(self, work: Callable[[Session], T], attempts: int = 5) -> T:
        """Run `work` in a transaction; a locked SQLite database is retried, not lost."""
        for attempt in range(1, attempts + 1):
            try:
                with self.session() as s:
                    return work(s)
            except OperationalError as e:
                if "locked" not in str(e) or attempt == attempts:
                    raise
                log.warning("database locked; retrying (%d/%d)", attempt, attempts)
                time.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    def optimize(self) -> None:
        """Refresh the query planner's statistics (SQLite picks its indexes from them)."""
        from sqlalchemy import text

        with self.engine.begin() as conn:
            conn.execute(text("ANALYZE" if self.engine.dialect.name in ("sqlite", "postgresql") else "SELECT 1"))

    def created_at(self) -> datetime | None:
        """When this database was made (set by the migration that made it)."""
        with self.session() as s:
            row = s.get(Meta, "created_at")
            if row is None:
                return None
            made = datetime.fromisoformat(row.value)
            return made if made.tzinfo else made.replace(tzinfo=UTC)

    # ------------------------------------------------------------------ writes (idempotent)
    @staticmethod
    def _call(s: Session, uniqueid: str) -> Call | None:
        return s.scalar(select(Call).where(Call.uniqueid == uniqueid))

    @staticmethod
    def _applied(s: Session, journal_id: str | None) -> bool:
        """The journal entry was written to the database already (the journal replays after a crash)."""
        return bool(journal_id) and s.scalar(select(CallEvent.id).where(CallEvent.journal_id == journal_id)) is not None

    @staticmethod
    def _set(call: Call, fields: dict[str, Any]) -> None:
        unknown = [k for k in fields if k not in _CALL_COLUMNS]
        if unknown:
            raise ValueError(f"not a field of a call: {', '.join(unknown)}")
        for k, v in fields.items():
            setattr(call, k, v)

    def apply_open_call(
        self, uniqueid: str, platform: str, caller: str, profile: str, at: datetime | None = None
    ) -> int:
        at = at or utcnow()

        def work(s: Session) -> int:
            existing = self._call(s, uniqueid)
            if existing:
                return existing.id
            c = Call(
                uniqueid=uniqueid,
                platform=platform,
                caller=caller[:64],
                profile=profile[:32],
                started_at=at,
                answered_at=at,
            )
            s.add(c)
            s.flush()
            s.add(CallEvent(call_id=c.id, at=at, kind="answer", detail={"platform": platform}))
            return c.id

        return self.transaction(work)

    def apply_update(self, uniqueid: str, fields: dict[str, Any]) -> bool:
        def work(s: Session) -> bool:
            c = self._call(s, uniqueid)
            if c is None:
                return False
            self._set(c, fields)
            return True

        return self.transaction(work)

    def apply_event(
        self,
        uniqueid: str,
        kind: str,
        at: datetime | None,
        detail: dict[str, Any] | None,
        journal_id: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> bool:
        """One event of the call and, with it in the same transaction, changes to the call's fields."""

        def work(s: Session) -> bool:
            c = self._call(s, uniqueid)
            if c is None:
                return False
            if self._applied(s, journal_id):
                return True  # applied before a restart: not twice
            if fields:
                self._set(c, fields)
            s.add(CallEvent(call_id=c.id, at=at or utcnow(), kind=kind, detail=detail or None, journal_id=journal_id))
            return True

        return self.transaction(work)

    def apply_decision(
        self, uniqueid: str, fields: dict[str, Any], at: datetime, detail: dict[str, Any], journal_id: str | None
    ) -> bool:
        """The decision's fields, its `decision` event and — when the call is transferred, bridged or pushed
        to the other platform — the work order and its delivery to the peer (hotline.linkage): one transaction.
        A decision the journal replays after a restart makes no second order."""

        def work(s: Session) -> bool:
            c = self._call(s, uniqueid)
            if c is None:
                return False
            if self._applied(s, journal_id):
                return True  # applied before a restart: not twice
            self._set(c, fields)
            s.add(CallEvent(call_id=c.id, at=at, kind="decision", detail=detail or None, journal_id=journal_id))
            order = self.orders.create_from_call(s, c, fields.get("route") or {}, now=_aware(at))
            if order is not None:
                s.add(CallEvent(call_id=c.id, at=at, kind="order", detail={"order": order.number, "id": order.id}))
            return True

        return self.transaction(work)

    @property
    def orders(self):
        """The work orders of this installation (hotline.linkage), set up from the settings on first use."""
        if getattr(self, "_orders", None) is None:
            from hotline.linkage.orders import OrderBook

            self._orders = OrderBook.from_config()
        return self._orders

    # compatibility for tools and tests that write directly (the admin's seed, benchmarks)
    def open_call(self, uniqueid: str, platform: str, caller: str, profile: str) -> int:
        return self.apply_open_call(uniqueid, platform, caller, profile)

    def update(self, uniqueid: str, **fields: Any) -> None:
        self.apply_update(uniqueid, fields)

    def add_event(self, uniqueid: str, kind: str, at: datetime | None = None, **detail: Any) -> None:
        self.apply_event(uniqueid, kind, at, detail)

    # ------------------------------------------------------------------------------ reads
    def get(self, uniqueid: str) -> Call | None:
        with self.session() as s:
            return self._call(s, uniqueid)

    def find_by_caller(self, caller: str) -> Call | None:
        """The newest call from this number."""
        with self.session() as s:
            return s.scalar(select(Call).where(Call.caller == caller).order_by(Call.started_at.desc()).limit(1))

    def open_calls(self, started_before: datetime | None = None) -> list[Call]:
        """Calls with no end: in progress, or left open by a crash."""
        with self.session() as s:
            q = select(Call).where(Call.ended_at.is_(None))
            if started_before is not None:
                q = q.where(Call.started_at < started_before)
            return list(s.scalars(q.order_by(Call.started_at)))

    def events(self, uniqueid: str) -> list[CallEvent]:
        with self.session() as s:
            c = self._call(s, uniqueid)
            if c is None:
                return []
            return list(s.scalars(select(CallEvent).where(CallEvent.call_id == c.id).order_by(CallEvent.at)))

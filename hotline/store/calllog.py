"""CallLog: the only writer of call records. Every call leaves a record, whatever happens to it."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hotline.store.models import Base, Call, CallEvent, User  # noqa: F401 (User: for the admin)

log = logging.getLogger("hotline.store")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def make_engine(url: str):
    if url.startswith("sqlite"):
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


def migrate(engine) -> None:
    """Bring the schema to the newest Alembic revision (a no-op when it is there already)."""
    from alembic import command
    from alembic.config import Config as AlembicConfig
    from sqlalchemy import inspect

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        tables = set(inspect(conn).get_table_names())
        if "calls" in tables and "alembic_version" not in tables:
            # made by an earlier build with create_all: adopt it as the first revision
            Base.metadata.create_all(conn)
            command.stamp(cfg, "0001")
        command.upgrade(cfg, "head")


class CallLog:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        migrate(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self._orders = None

    @property
    def orders(self):
        """The work orders of this installation (hotline.linkage), set up from the settings on first use."""
        if self._orders is None:
            from hotline.linkage.orders import OrderBook

            self._orders = OrderBook.from_config()
        return self._orders

    @contextmanager
    def session(self) -> Iterator[Session]:
        # a locked database is retried, not lost: the write waits rather than drops the record
        for attempt in range(5):
            s = self._session()
            try:
                yield s
                s.commit()
                return
            except OperationalError as e:
                s.rollback()
                if "locked" not in str(e) or attempt == 4:
                    raise
                log.warning("database locked; retrying", extra={"attempt": attempt + 1})
                time.sleep(0.2 * (attempt + 1))
            finally:
                s.close()

    def optimize(self) -> None:
        """Refresh the query planner's statistics (SQLite picks its indexes from them)."""
        from sqlalchemy import text

        with self.engine.begin() as conn:
            conn.execute(text("ANALYZE" if self.engine.dialect.name in ("sqlite", "postgresql") else "SELECT 1"))

    def open_call(self, uniqueid: str, platform: str, caller: str, profile: str, client_ref: str | None = None) -> int:
        now = utcnow()
        with self.session() as s:
            existing = s.scalar(select(Call).where(Call.uniqueid == uniqueid))
            if existing:
                return existing.id
            c = Call(
                uniqueid=uniqueid,
                platform=platform,
                caller=caller[:64],
                profile=profile,
                client_ref=client_ref,
                started_at=now,
                answered_at=now,
            )
            s.add(c)
            s.flush()
            s.add(CallEvent(call_id=c.id, at=now, kind="answer", detail={"platform": platform}))
            return c.id

    def update(self, uniqueid: str, **fields: Any) -> None:
        with self.session() as s:
            c = s.scalar(select(Call).where(Call.uniqueid == uniqueid))
            if c is None:
                return
            for k, v in fields.items():
                setattr(c, k, v)

    def add_event(self, uniqueid: str, kind: str, at: datetime | None = None, **detail: Any) -> None:
        with self.session() as s:
            c = s.scalar(select(Call).where(Call.uniqueid == uniqueid))
            if c is None:
                return
            s.add(CallEvent(call_id=c.id, at=at or utcnow(), kind=kind, detail=detail or None))

    def record_decision(
        self, uniqueid: str, decision: dict[str, Any], fields: dict[str, Any], at: datetime | None = None
    ) -> str | None:
        """The call's decision fields, its `decision` event and, when the call is transferred, bridged or
        pushed to the other platform, the work order and its delivery to the peer — one transaction.
        Returns the order's id, or None when the decision makes no order."""
        at = at or utcnow()
        with self.session() as s:
            c = s.scalar(select(Call).where(Call.uniqueid == uniqueid))
            if c is None:
                return None
            for k, v in fields.items():
                setattr(c, k, v)
            detail = {k: decision.get(k) for k in ("action", "target", "rule", "category", "emergency")}
            detail["matched"] = list(decision.get("matched") or [])[:10]
            s.add(CallEvent(call_id=c.id, at=at, kind="decision", detail=detail))
            order = self.orders.create_from_call(s, c, decision)
            if order is None:
                return None
            s.add(CallEvent(call_id=c.id, at=at, kind="order", detail={"order": order.number, "id": order.id}))
            return order.id

    def get(self, uniqueid: str) -> Call | None:
        with self.session() as s:
            return s.scalar(select(Call).where(Call.uniqueid == uniqueid))

    def find_by_ref(self, client_ref: str) -> Call | None:
        with self.session() as s:
            return s.scalar(select(Call).where(Call.client_ref == client_ref))

    def events(self, uniqueid: str) -> list[CallEvent]:
        with self.session() as s:
            c = s.scalar(select(Call).where(Call.uniqueid == uniqueid))
            if c is None:
                return []
            return list(s.scalars(select(CallEvent).where(CallEvent.call_id == c.id).order_by(CallEvent.at)))

"""Sign-in throttling with counters in the database, each updated by one atomic upsert.

An attempt first *reserves* its place (INSERT … ON CONFLICT DO UPDATE SET attempts = attempts + 1
RETURNING attempts) and is refused when the count it gets back is over the limit, so forty parallel
attempts cannot all be checked: only the first LIMIT are. A successful sign-in clears its
address+name counter and gives back its per-address reservation. The counters hold across threads
and processes because the database does the counting.

Each key counts in windows of WINDOW_S; a count is this window's plus the previous one's weighted by
the share of it the last WINDOW_S seconds still cover (a sliding-window counter), so the edge of a
window does not hand a guesser a fresh allowance: fixed windows let 40 parallel guesses made across
one edge check 11 passwords where 5 were allowed.

Keys:
- ip|name   IP_NAME_LIMIT attempts: guessing one account from one address is stopped there;
- ip        IP_LIMIT attempts: one address trying many names (unknown ones included);
- name      failures from every address: past NAME_SLOW_AFTER the account is only *slowed* (one
            attempt per NAME_SLOT_S), never locked, so nobody can lock the admin out from elsewhere.
"""

from __future__ import annotations

import time

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from hotline.store.models import LoginThrottle

WINDOW_S = 600
IP_NAME_LIMIT = 5
IP_LIMIT = 30
NAME_SLOW_AFTER = 10
NAME_SLOT_S = 5


def _insert(dialect: str):
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


class Throttle:
    def __init__(self, engine) -> None:
        self.engine = engine
        self._insert = _insert(engine.dialect.name)

    def _bump(self, conn, key: str, window: int, by: int = 1) -> int:
        stmt = (
            self._insert(LoginThrottle)
            .values(key=key, window=window, attempts=by)
            .on_conflict_do_update(
                index_elements=[LoginThrottle.key, LoginThrottle.window],
                set_={"attempts": LoginThrottle.attempts + by},
            )
            .returning(LoginThrottle.attempts)
        )
        return int(conn.execute(stmt).scalar_one())

    def _sliding(self, conn, key: str, window: int, now: float, current: int) -> float:
        """`current` (this window's count) plus the previous window's, weighted by the part of it that lies
        within the last WINDOW_S seconds."""
        previous = conn.execute(
            select(LoginThrottle.attempts).where(LoginThrottle.key == key, LoginThrottle.window == window - 1)
        ).scalar()
        return current + (previous or 0) * (1.0 - (now % WINDOW_S) / WINDOW_S)

    def _refund(self, conn, key: str, window: int) -> None:
        conn.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key, LoginThrottle.window == window, LoginThrottle.attempts > 0)
            .values(attempts=LoginThrottle.attempts - 1)
        )

    def acquire(self, ip: str, name: str, now: float | None = None) -> Attempt | None:
        """Reserve one sign-in attempt; None when it must be refused (429)."""
        now = time.time() if now is None else now
        w = int(now // WINDOW_S)
        name = name.casefold()
        keys = (f"ipname:{ip}|{name}", f"ip:{ip}")
        with self.engine.begin() as conn:
            pair = self._sliding(conn, keys[0], w, now, self._bump(conn, keys[0], w))
            per_ip = self._sliding(conn, keys[1], w, now, self._bump(conn, keys[1], w))
        if pair > IP_NAME_LIMIT or per_ip > IP_LIMIT:
            return None
        with self.engine.begin() as conn:
            key = f"name:{name}"
            now_count = conn.execute(
                select(LoginThrottle.attempts).where(LoginThrottle.key == key, LoginThrottle.window == w)
            ).scalar()
            failures = self._sliding(conn, key, w, now, now_count or 0)
            # one attempt per slot for a name under attack from many addresses
            under_attack = failures >= NAME_SLOW_AFTER
            if under_attack and self._bump(conn, f"slot:{name}", int(now // NAME_SLOT_S)) > 1:
                for k in keys:
                    self._refund(conn, k, w)
                return None
        return Attempt(self, keys, name, w)

    def sweep(self, now: float | None = None) -> None:
        """Forget windows that are over (and the short name slots)."""
        now = time.time() if now is None else now
        w = int(now // WINDOW_S)
        with self.engine.begin() as conn:
            # the previous window still counts (weighted) toward this one's
            conn.execute(
                delete(LoginThrottle).where(LoginThrottle.window < w - 1, ~LoginThrottle.key.startswith("slot:"))
            )
            conn.execute(
                delete(LoginThrottle).where(
                    LoginThrottle.key.startswith("slot:"), LoginThrottle.window < int(now // NAME_SLOT_S)
                )
            )


class Attempt:
    """A reserved attempt: `succeeded()` gives the reservation back, `failed()` keeps it."""

    def __init__(self, throttle: Throttle, keys: tuple[str, str], name: str, window: int) -> None:
        self.throttle, self.keys, self.name, self.window = throttle, keys, name, window

    def succeeded(self) -> None:
        """The account's owner is in: their earlier slips from this address are forgotten."""
        with self.throttle.engine.begin() as conn:
            conn.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == self.keys[0], LoginThrottle.window.in_((self.window, self.window - 1)))
                .values(attempts=0)
            )
            self.throttle._refund(conn, self.keys[1], self.window)

    def failed(self) -> None:
        with self.throttle.engine.begin() as conn:
            self.throttle._bump(conn, f"name:{self.name}", self.window)

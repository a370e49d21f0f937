"""The outbox relay: sends each pending delivery, signed, to its peer; in order per order; never drops one.

Each order's deliveries to a peer go one after the other (a later one waits while an earlier one is
retried); different orders go in parallel. A failed attempt is retried on the schedule (Standard
Webhooks: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h; then every 24 h).
Everything is in the database, so a restart of either side loses nothing; the receiver dedupes on
webhook-id, so a delivery sent twice (acknowledgement lost) is applied once.

One relay per database: `hotline serve` runs it, or `hotline linkage relay` alone.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests
from sqlalchemy import select, update

from hotline.linkage.models import OutboxMessage, utcnow
from hotline.linkage.peers import Peer
from hotline.linkage.signing import sign

log = logging.getLogger("hotline.linkage.relay")
BATCH = 2000  # pending rows looked at per pass


@dataclass
class RelayStats:
    sent: int = 0
    failed: int = 0
    waiting: int = 0  # pending rows not yet due, or behind an earlier one of the same order
    no_peer: int = 0  # pending rows for a platform the peers file does not name
    errors: list[str] = field(default_factory=list)


class Relay:
    def __init__(
        self,
        calllog,
        peers: dict[str, Peer],
        schedule: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400),
        concurrency: int = 4,
        timeout_s: float = 10.0,
    ) -> None:
        self.calllog = calllog
        self.peers = peers
        self.schedule = tuple(schedule) or (0.0,)
        self.concurrency = max(1, concurrency)
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="relay")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _http(self) -> requests.Session:
        s = getattr(self._local, "http", None)
        if s is None:
            s = self._local.http = requests.Session()
        return s

    def delay_after(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt."""
        return float(self.schedule[min(attempts, len(self.schedule) - 1)])

    # ------------------------------------------------------------------------------- one pass
    def run_once(self, now: datetime | None = None) -> RelayStats:
        now = now or utcnow()
        stats = RelayStats()
        with self.calllog.session() as s:
            rows = list(
                s.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.delivered_at.is_(None))
                    .order_by(OutboxMessage.id)
                    .limit(BATCH)
                )
            )
        chains: dict[tuple[str, str], list[OutboxMessage]] = defaultdict(list)
        for r in rows:
            chains[(r.order_id, r.peer)].append(r)
        todo = []
        for (_, peer), chain in chains.items():
            if peer not in self.peers:
                stats.no_peer += len(chain)
            elif chain[0].next_attempt_at > now:
                stats.waiting += len(chain)
            else:
                todo.append(chain)
        for sent, failed, waiting, err in self._pool.map(self._send_chain, todo):
            stats.sent += sent
            stats.failed += failed
            stats.waiting += waiting
            if err:
                stats.errors.append(err)
        return stats

    def _send_chain(self, chain: list[OutboxMessage]) -> tuple[int, int, int, str | None]:
        """Send an order's deliveries in order until one fails. (sent, failed, left waiting, error)."""
        sent = 0
        for i, row in enumerate(chain):
            ok, status, err = self._post(row)
            at = utcnow()
            with self.calllog.session() as s:
                if ok:
                    s.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id == row.id)
                        .values(
                            delivered_at=at,
                            attempts=row.attempts + 1,
                            last_status=status,
                            last_error=None,
                            latency_ms=(at - row.created_at).total_seconds() * 1000,
                        )
                    )
                else:
                    s.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id == row.id)
                        .values(
                            attempts=row.attempts + 1,
                            last_status=status,
                            last_error=err[:2000],
                            next_attempt_at=at + timedelta(seconds=self.delay_after(row.attempts + 1)),
                        )
                    )
            if not ok:
                log.warning(
                    "delivery %s (%s, order %s) to %s failed, attempt %d: %s",
                    row.msg_id,
                    row.type,
                    row.order_id,
                    row.peer,
                    row.attempts + 1,
                    err,
                )
                return sent, 1, len(chain) - i - 1, f"{row.peer}: {err}"
            sent += 1
        return sent, 0, 0, None

    def _post(self, row: OutboxMessage) -> tuple[bool, int | None, str]:
        peer = self.peers[row.peer]
        headers = sign(peer.secret, row.msg_id, row.payload)
        try:
            r = self._http().post(
                peer.events_url, data=row.payload.encode("utf-8"), headers=headers, timeout=self.timeout_s
            )
        except requests.RequestException as e:
            return False, None, f"{type(e).__name__}: {e}"
        if 200 <= r.status_code < 300:
            return True, r.status_code, ""
        return False, r.status_code, f"HTTP {r.status_code}: {r.text[:300]}"

    # ------------------------------------------------------------------------------- forever
    def run(self, stop: threading.Event, interval_s: float = 1.0) -> None:
        log.info("relay started: peers %s", ", ".join(f"{k}={p.events_url}" for k, p in self.peers.items()) or "none")
        while not stop.is_set():
            try:
                st = self.run_once()
                if st.sent or st.failed:
                    log.info("relay: %d sent, %d failed, %d waiting", st.sent, st.failed, st.waiting)
                if st.sent:
                    continue  # more may be due right away
            except Exception:
                log.exception("relay pass failed")
            stop.wait(interval_s)


def pending_summary(calllog) -> dict:
    """For `hotline linkage status`: what waits, for whom, and the oldest error."""
    from sqlalchemy import func

    with calllog.session() as s:
        rows = s.execute(
            select(
                OutboxMessage.peer, func.count(), func.min(OutboxMessage.created_at), func.max(OutboxMessage.attempts)
            )
            .where(OutboxMessage.delivered_at.is_(None))
            .group_by(OutboxMessage.peer)
        ).all()
        delivered = s.scalar(select(func.count()).where(OutboxMessage.delivered_at.isnot(None)))
        last_err = s.scalar(
            select(OutboxMessage.last_error)
            .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.last_error.isnot(None))
            .order_by(OutboxMessage.id)
            .limit(1)
        )
    return {
        "delivered": delivered,
        "pending": {p: {"count": n, "oldest": o.isoformat() if o else None, "max_attempts": a} for p, n, o, a in rows},
        "first_error": last_err,
    }

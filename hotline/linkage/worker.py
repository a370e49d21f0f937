"""The linkage work inside `hotline serve`: the outbox relay, 督办 reminders and 回访 calls."""

from __future__ import annotations

import asyncio
import logging
import threading

from hotline.linkage.followup import FollowupCaller
from hotline.linkage.peers import PeersError, load_peers
from hotline.linkage.relay import Relay
from hotline.linkage.supervision import supervise

log = logging.getLogger("hotline.linkage")


def make_relay(calllog, config) -> Relay:
    return Relay(
        calllog,
        load_peers(config.linkage_peers),
        schedule=config.relay_delays,
        concurrency=config.relay_concurrency,
        timeout_s=config.relay_timeout_s,
    )


async def run_linkage(service) -> None:
    """Runs until cancelled (the service stopping); a failure in one pass is logged, never fatal."""
    cfg, calllog = service.config, service.calllog
    book = calllog.orders
    stop = threading.Event()
    try:
        relay = make_relay(calllog, cfg)
    except PeersError as e:
        log.error("linkage peers: %s (orders stay in the outbox)", e)
        relay = None
    if relay is not None:  # a thread of its own: HTTP and SQLite writes never block the calls' event loop
        threading.Thread(target=relay.run, args=(stop, cfg.relay_interval_s), name="relay", daemon=True).start()
    caller = FollowupCaller(calllog, book, service.ami, cfg.followup_dial) if service.ami else None
    if caller is not None:
        service.ami.register_event("UserEvent", caller.on_user_event)
    next_supervision = 0.0
    loop = asyncio.get_running_loop()
    try:
        while True:
            if loop.time() >= next_supervision:
                next_supervision = loop.time() + cfg.supervise_interval_s
                try:
                    await asyncio.to_thread(supervise, calllog, book)
                except Exception:
                    log.exception("supervision pass failed")
            if caller is not None and service.ami.authenticated:
                try:
                    await caller.tick()
                except Exception:
                    log.exception("follow-up pass failed")
            await asyncio.sleep(min(cfg.followup_interval_s, cfg.supervise_interval_s))
    finally:
        stop.set()

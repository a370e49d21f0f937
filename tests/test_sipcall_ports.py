"""The SIPp caller's media ports: calls placed at once never share them (the concurrent-calls test once failed
with SIPp's "Unable to bind audio RTP socket ... Address already in use")."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

from hotline.sim import sipcall


def test_calls_placed_at_once_get_distinct_media_ports_outside_the_ephemeral_and_asterisk_ranges():
    with ThreadPoolExecutor(max_workers=8) as pool:
        ports = list(pool.map(lambda _: sipcall._free_rtp_port(), range(64)))
    assert len(set(ports)) == 64
    for p in ports:
        assert p % 4 == 0 and p >= 20000 and p + 3 < 32768  # below the kernel's ephemeral ports
        assert not 10000 <= p <= 10999  # Asterisk's own RTP (asterisk-config/rtp.conf)


def test_a_port_taken_by_another_socket_is_skipped():
    nxt = sipcall._rtp_next
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", nxt + 1))  # the RTCP port of the next slot
        p = sipcall._free_rtp_port()
    assert p != nxt and not p <= nxt + 1 < p + 4

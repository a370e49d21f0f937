"""Sign-in hardening with the Flask client: same-site redirects only, throttling that holds under
parallel requests, no user enumeration (answer and timing), no lock-out of the admin from elsewhere."""

from __future__ import annotations

import concurrent.futures as cf
import statistics
import time

import pytest

from hotline.admin.auth import create_user
from hotline.admin.throttle import IP_LIMIT, IP_NAME_LIMIT, NAME_SLOT_S, NAME_SLOW_AFTER, WINDOW_S, Throttle
from tests.admin_support import login, make_app, make_log


@pytest.fixture
def app(tmp_path):
    db, _ = make_log(tmp_path, calls=20, events=False)
    return make_app(tmp_path, db)


def client(app, ip: str = "198.51.100.7"):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = ip
    return c


@pytest.mark.parametrize(
    "nxt",
    [
        "/%09/evil.example",
        "/\t/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/calls",
        "http:/evil.example",
        "/%0a/evil.example",
        "/calls%0d%0aSet-Cookie:x=1",
        "\n//evil.example",
        "javascript:alert(1)",
        "/%5Cevil.example",
    ],
)
def test_next_never_leaves_the_site(app, nxt):
    r = login(client(app), next_url=nxt)
    assert r.status_code == 302
    loc = r.headers["Location"]
    assert loc in ("/calls", "http://localhost/calls"), loc


def test_next_keeps_a_same_site_path_with_its_query(app):
    r = login(client(app), next_url="/calls%3Fplatform%3D110%26page%3D2")
    assert r.headers["Location"].endswith("/calls?platform=110&page=2")


def _attempt(app, ip, name, password):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = ip
    return c.post("/login", data={"username": name, "password": password}).status_code


def test_parallel_guesses_are_throttled_and_the_right_password_does_not_get_in(tmp_path):
    db, _ = make_log(tmp_path, calls=5, events=False)
    app = make_app(tmp_path, db, WTF_CSRF_ENABLED=False)
    ip = "203.0.113.9"
    passwords = [f"wrong-guess-{i:02d}" for i in range(39)] + ["correct-horse-battery"]
    with cf.ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(lambda pw: _attempt(app, ip, "alice", pw), passwords))
    # only IP_NAME_LIMIT attempts were checked at all; everything else was refused unchecked
    checked = [c for c in codes if c in (302, 401)]
    assert len(checked) <= IP_NAME_LIMIT, codes
    assert codes.count(429) >= len(passwords) - IP_NAME_LIMIT
    # the right password sent now, from that address, is refused as well
    assert _attempt(app, ip, "alice", "correct-horse-battery") == 429


def test_locked_from_one_address_the_admin_still_signs_in_from_another(app):
    for _ in range(IP_NAME_LIMIT):
        assert login(client(app, "203.0.113.50"), password="wrong-password!").status_code == 401
    assert login(client(app, "203.0.113.50")).status_code == 429
    assert login(client(app, "192.0.2.10")).status_code == 302


def test_unknown_and_known_names_answer_the_same(app):
    known = login(client(app, "198.51.100.1"), "alice", "wrong-password!")
    unknown = login(client(app, "198.51.100.2"), "nobody-here", "wrong-password!")
    assert known.status_code == unknown.status_code == 401
    strip = lambda r: r.get_data(as_text=True).split("<main>")[1].split("</main>")[0]  # noqa: E731
    import re

    no_token = lambda s: re.sub(r'value="[^"]*"', "", s)  # noqa: E731
    assert no_token(strip(known)).replace("alice", "X") == no_token(strip(unknown)).replace("nobody-here", "X")
    # throttled: 429 for both, after the same number of tries
    for name in ("alice", "nobody-here"):
        c_ip = f"198.51.100.{20 if name == 'alice' else 21}"
        codes = [login(client(app, c_ip), name, "wrong-password!").status_code for _ in range(IP_NAME_LIMIT + 1)]
        assert codes == [401] * IP_NAME_LIMIT + [429], (name, codes)


@pytest.mark.slow  # real time: the throttle's and the hash's
def test_unknown_and_known_names_take_similar_time(app):
    # its own user, hashed as the product hashes (the template's users may come from a fast-layer test)
    create_user(app.extensions["calllog"], "tess", "a-long-password-1", "viewer")

    def timed(name, ip):
        c = client(app, ip)
        t = time.perf_counter()
        assert login(c, name, "wrong-password!").status_code == 401
        return time.perf_counter() - t

    known = [timed("tess", f"10.9.0.{i}") for i in range(6)]
    unknown = [timed(f"ghost{i}", f"10.9.1.{i}") for i in range(6)]
    k, u = statistics.median(known), statistics.median(unknown)
    assert 0.5 < k / u < 2.0, (k, u)  # was 106 ms against 5 ms: the unknown name skipped the hash


def test_disabled_user_answers_like_a_wrong_password(app):
    log = app.extensions["calllog"]
    from hotline.store.models import User

    with log.session() as s:
        s.query(User).filter_by(username="bob").update({"disabled": True})
    assert login(client(app), "bob").status_code == 401


@pytest.mark.slow  # real time: the throttle's and the hash's
def test_one_address_cannot_spray_many_names(app):
    codes = [
        login(client(app, "198.51.100.99"), f"user{i}", "wrong-password!").status_code for i in range(IP_LIMIT + 2)
    ]
    assert codes[:IP_LIMIT] == [401] * IP_LIMIT and codes[IP_LIMIT:] == [429, 429]


def test_a_name_under_attack_from_many_addresses_is_slowed_not_locked(app):
    t = Throttle(app.extensions["calllog"].engine)
    now = 1_000_000.0
    for i in range(NAME_SLOW_AFTER):  # failures, each from another address
        a = t.acquire(f"10.0.0.{i}", "alice", now=now)
        assert a is not None
        a.failed()
    # from yet another address: one attempt per slot, the second in the same slot waits
    first = t.acquire("10.1.1.1", "alice", now=now)
    assert first is not None
    assert t.acquire("10.1.1.2", "alice", now=now + 0.1) is None
    assert t.acquire("10.1.1.2", "alice", now=now + NAME_SLOT_S) is not None  # slowed, never locked


def test_the_edge_of_a_window_gives_a_guesser_no_fresh_allowance(app):
    # five wrong passwords in the last second of one window; the next second is another window, but the
    # last ten minutes still hold the five: refused until enough of them lie more than ten minutes back
    t = Throttle(app.extensions["calllog"].engine)
    edge = 1_000 * WINDOW_S
    for _ in range(IP_NAME_LIMIT):
        a = t.acquire("203.0.113.77", "alice", now=edge - 1)
        assert a is not None
        a.failed()
    assert t.acquire("203.0.113.77", "alice", now=edge + 1) is None
    t.sweep(now=edge + 2)  # the sweep keeps the window that still counts
    assert t.acquire("203.0.113.77", "alice", now=edge + 2) is None
    assert t.acquire("203.0.113.77", "alice", now=edge + WINDOW_S) is not None  # ten minutes on


def test_signing_in_clears_the_address_and_name_across_the_window_edge(app):
    t = Throttle(app.extensions["calllog"].engine)
    edge = 2_000 * WINDOW_S
    for _ in range(IP_NAME_LIMIT - 1):
        t.acquire("203.0.113.78", "bob", now=edge - 1).failed()
    t.acquire("203.0.113.78", "bob", now=edge + 1).succeeded()
    for _ in range(IP_NAME_LIMIT):  # a fresh allowance once the owner is in
        assert t.acquire("203.0.113.78", "bob", now=edge + 2) is not None

"""Asterisk instances side by side: the end-to-end layer's two workers each run one, on ports and folders
of their own, and two `hotline asterisk up` at once (both workers on a brand-new machine, or a `make start`
while the tests run) must not build the shared chroot or copy its prompts side by side."""

from __future__ import annotations

import threading
import time

import pytest

from hotline import asterisk
from hotline.config import Config
from tests import telephony


def test_a_second_setup_of_one_asterisk_root_waits_for_the_first(tmp_path):
    root = tmp_path / "asterisk-sid"
    a = Config(asterisk_root=root, instance="hotline-test")
    b = Config(asterisk_root=root, instance="hotline-test-gw1")  # another instance in the same chroot
    order: list[str] = []
    first_in = threading.Event()

    def second() -> None:
        first_in.wait(5)
        with asterisk._setup_lock(b):
            order.append("second")

    t = threading.Thread(target=second)
    with asterisk._setup_lock(a):
        t.start()
        first_in.set()
        time.sleep(0.5)  # the second one is waiting now, if the lock works
        order.append("first done")
    t.join(5)
    assert order == ["first done", "second"]


def test_setups_of_two_asterisk_roots_do_not_wait_for_each_other(tmp_path):
    a = Config(asterisk_root=tmp_path / "one", instance="hotline-test")
    b = Config(asterisk_root=tmp_path / "two", instance="hotline-test")
    with asterisk._setup_lock(a):
        done = threading.Event()

        def other() -> None:
            with asterisk._setup_lock(b):
                done.set()

        threading.Thread(target=other).start()
        assert done.wait(5)


@pytest.mark.parametrize("base", [None, "16000"])
def test_each_xdist_worker_gets_an_instance_and_ports_of_its_own(monkeypatch, base):
    if base:
        monkeypatch.setenv("HOTLINE_TEST_PORT_BASE", base)
    else:
        monkeypatch.delenv("HOTLINE_TEST_PORT_BASE", raising=False)
    monkeypatch.delenv("HOTLINE_TEST_INSTANCE", raising=False)
    envs = {}
    for worker in ("gw0", "gw1", "gw2"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        envs[worker] = telephony._test_env_defaults()
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    alone = telephony._test_env_defaults()
    assert envs["gw0"] == alone  # one worker (or none) runs as before
    assert [e["HOTLINE_INSTANCE"] for e in envs.values()] == ["hotline-test", "hotline-test-gw1", "hotline-test-gw2"]
    ports = [int(v) for e in envs.values() for k, v in e.items() if k.endswith("_PORT")]
    assert len(ports) == len(set(ports)) == 15  # no two instances share a port
    if base:
        assert alone["HOTLINE_SIP_PORT"] == "16060" and envs["gw1"]["HOTLINE_SIP_PORT"] == "16260"


def test_two_instances_in_one_root_keep_their_state_apart(tmp_path):
    """The simulated neighbours read each test call's behaviour from AstDB: one database for two instances
    lost the entries (the faults and the agent-feature calls failed when the workers ran side by side)."""
    rendered = {}
    for instance in ("hotline-test", "hotline-test-gw1"):
        cfg = Config(asterisk_root=tmp_path, instance=instance)
        asterisk.render(cfg, sim=True)
        lines = (cfg.etc_dir / "asterisk.conf").read_text().splitlines()
        rendered[instance] = dict(
            (k.strip(), v.split(";")[0].strip()) for k, _, v in (ln.partition("=>") for ln in lines) if _
        )
    a, b = rendered.values()
    for d in ("astetcdir", "astdbdir", "astrundir", "astlogdir"):
        assert a[d] != b[d], d
    assert a["astdbdir"] == "/var/lib/hotline-test"

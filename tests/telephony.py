"""pytest fixtures for the real Asterisk and the FastAGI service (loaded by conftest.py).

The tests run their own Asterisk instance (HOTLINE_INSTANCE=hotline-test, ports 15060/15062/15038/
14573/14574, movable with HOTLINE_TEST_PORT_BASE) with a database of their own, so they never touch a
system started with `make run`. Under pytest-xdist each further worker has an instance of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from hotline import asterisk
from hotline.config import Config


def _test_env_defaults() -> dict[str, str]:
    """Ports and instance name of the test Asterisk. HOTLINE_TEST_PORT_BASE / HOTLINE_TEST_INSTANCE move
    them, so several checkouts on one machine can run their end-to-end tests side by side. Under
    pytest-xdist each worker past the first (gw1, gw2, ...) runs an Asterisk and a service of its own,
    200 ports further up and named after the worker: `make test` runs the calls two at a time."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    n = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    base = os.environ.get("HOTLINE_TEST_PORT_BASE")
    offsets = {"SIP": 60, "SIM": 62, "AMI": 38, "AGI": 73, "AUDIOSOCKET": 74}
    first = int(base) + 200 * n if base else (15000 + 200 * n if n else None)
    defaults = {"SIP": 15060, "SIM": 15062, "AMI": 15038, "AGI": 14573, "AUDIOSOCKET": 14574}
    ports = {k: (first + off if first is not None else defaults[k]) for k, off in offsets.items()}
    env = {f"HOTLINE_{k}_PORT": str(v) for k, v in ports.items()}
    instance = os.environ.get("HOTLINE_TEST_INSTANCE", "hotline-test")
    env["HOTLINE_INSTANCE"] = f"{instance}-{worker}" if n else instance
    return env


TEST_ENV = _test_env_defaults()


def _can_run_asterisk() -> str | None:
    if shutil.which("sipp") is None:
        return "sipp is not installed (scripts/install-system-deps.sh)"
    cfg = Config()
    if cfg.chrooted and not (cfg.asterisk_root / ".hotline-asterisk-ok").exists() and os.geteuid() != 0:
        return "no Asterisk and not root to build one"
    return None


@pytest.fixture(scope="session")
def test_env(tmp_path_factory) -> dict[str, str]:
    db = tmp_path_factory.mktemp("calllog") / "calls.db"
    env = dict(TEST_ENV, HOTLINE_DB_URL=f"sqlite:///{db}")
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield env
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def pbx(test_env) -> Config:
    """A real Asterisk 22 with the project's asterisk-config/ and dialplan/."""
    why = _can_run_asterisk()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the real Asterisk: {why}")
        pytest.skip(why)
    cfg = Config()
    asterisk.up(cfg, sim=True)
    yield cfg
    asterisk.down(cfg)


class Service:
    """`hotline serve` as a subprocess that a test may stop and start again."""

    def __init__(self, cfg: Config, log_path: Path) -> None:
        self.cfg = cfg
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60, **env: str) -> None:
        """Start `hotline serve`; keyword arguments are extra environment (HOTLINE_ASR="vosk", ...)."""
        exe = Path(sys.executable).with_name("hotline")
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(exe), "serve"], stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **env}
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if b"FastAGI listening" in self.log_path.read_bytes():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"hotline serve exited: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        raise RuntimeError("hotline serve did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None
        if self.log_path.exists():
            # the next start() waits for a fresh "listening" line
            self.log_path.rename(self.log_path.with_suffix(f".{int(time.time() * 1000)}.log"))


@pytest.fixture(scope="session")
def service(pbx, tmp_path_factory) -> Service:
    svc = Service(pbx, tmp_path_factory.mktemp("service") / "serve.log")
    svc.start()
    yield svc
    svc.stop()


def read_pcm(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        rate, ch = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    if ch > 1:
        pcm = pcm.reshape(-1, ch).mean(axis=1)
    return pcm, rate


def read_finished_pcm(path: Path, timeout_s: float = 45.0) -> tuple[np.ndarray, int]:
    """A leg's recording once its MixMonitor has closed it: a seat in a conference stays on after the caller
    leaves (the simulated seat hangs up by itself), and the WAV header is written at the end."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return read_pcm(path)
        except (FileNotFoundError, EOFError, wave.Error):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def how_clearly_heard(ref: np.ndarray, test: np.ndarray, pieces: int = 3) -> float:
    """How clearly test holds the sound ref (1.0 = all of it, unchanged; unrelated speech < 0.3): the mean of
    the best correlations of ref's pieces. On a busy machine a recording may start late or lose a frame,
    which shifts what follows; that costs one piece, where one correlation of the whole falls apart."""
    loud = np.flatnonzero(np.abs(ref) > 0.05 * np.max(np.abs(ref)))
    ref = ref[loud[0] : loud[-1] + 1]  # the sound itself, without the silence around it
    size = len(ref) // pieces
    return float(np.mean([best_correlation(ref[i * size : (i + 1) * size], test) for i in range(pieces)]))


def best_correlation(ref: np.ndarray, test: np.ndarray) -> float:
    """Normalised cross-correlation of ref inside test, over all lags (1.0 = identical waveform)."""
    if len(test) < len(ref):
        test = np.concatenate([test, np.zeros(len(ref) - len(test))])
    n = 1 << int(np.ceil(np.log2(len(test) + len(ref))))
    x = np.fft.irfft(np.fft.rfft(test, n) * np.conj(np.fft.rfft(ref, n)), n)[: len(test) - len(ref) + 1]
    cs = np.concatenate([[0.0], np.cumsum(test * test)])
    win = cs[len(ref) :] - cs[: -len(ref)]
    ncc = x / np.sqrt(np.sum(ref * ref) * np.maximum(win, 1e-9))
    return float(np.max(ncc))

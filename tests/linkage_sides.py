"""Test helpers: an installation's admin app served over real HTTP (waitress) in a thread, on a free port."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import yaml


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_peers(path, platform: str, url: str, secret: str) -> str:
    path.write_text(yaml.safe_dump({"peers": [{"platform": platform, "url": url, "secret": secret}]}))
    return str(path)


class HttpSide:
    """create_app(db) served over HTTP on 127.0.0.1:port (werkzeug's threaded server: it stops cleanly);
    start() / stop() as often as a test likes."""

    def __init__(self, app, port: int) -> None:
        self.app, self.port = app, port
        self.server = None
        self.thread = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/linkage/v1"

    def start(self) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(5)
            self.server = None


class Proc:
    """A `hotline …` command as a subprocess (an installation's admin/API, or its relay)."""

    def __init__(self, args: list[str], env: dict[str, str], log_path) -> None:
        self.args, self.env, self.log_path = args, env, log_path
        self.proc = None

    def start(self, port: int | None = None, timeout: float = 30) -> None:
        import os
        import subprocess
        import sys
        import time
        from pathlib import Path

        exe = Path(sys.executable).with_name("hotline")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [str(exe), *self.args], stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env}
            )
        if port is None:
            return
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hotline {' '.join(self.args)} exited: {Path(self.log_path).read_text()[-2000:]}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"hotline {' '.join(self.args)} did not listen on {port}")

    def stop(self) -> None:
        import subprocess

        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def wait_for(predicate, timeout: float, every: float = 0.3, what: str = "condition"):
    """Poll until predicate() returns something truthy; returns it (AssertionError on timeout)."""
    import time

    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def store(url: str):
    """A call log with its schema brought up to date (as `hotline serve` / `hotline admin` do at start); a
    new SQLite file starts as a copy of the migrated template (tests/db_support.py)."""
    from hotline.store import CallLog, migrate
    from tests.db_support import migrated_sqlite

    path = Path(url.removeprefix("sqlite:///"))
    if url.startswith("sqlite:///") and not path.exists():
        migrated_sqlite(path)  # migrates the copy too
    else:
        migrate(url)
    return CallLog(url)

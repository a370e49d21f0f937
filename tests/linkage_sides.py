"""Test helpers: an installation's admin app served over real HTTP (waitress) in a thread, on a free port."""

from __future__ import annotations

import socket
import threading

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

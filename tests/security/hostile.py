"""A raw TCP server that answers HTTP the way an attacker would, and a bounded runner.

`HostileServer.answer(path, script)` makes GET `path` run `script(send, stopping)`,
which writes whatever bytes it likes (trickled headers, stacked encodings,
endless gzip headers): http.server would refuse to send most of these.

`OwnRedis()` is a redis-server of the test's own on a free port, to stop and start
(the shared one on 6379 is never touched).

`run_bounded(code)` runs Python in a child process under an address-space
limit and reports its peak memory and wall time, so a test can assert both
about work a hostile input causes.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent.parent


class HostileServer:
    def __init__(self):
        self.scripts = {}
        self.stopping = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def answer(self, path: str, script) -> str:
        self.scripts[path] = script
        return self.base_url + path

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket):
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                data = conn.recv(4096)
                if not data:
                    return
                request += data
            path = request.split(b" ", 2)[1].decode()
            script = self.scripts.get(path)
            if script is None:
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                return
            try:
                script(conn.sendall, self.stopping)
            except OSError:
                pass  # The client gave up: that is what these tests want.


def run_bounded(code: str, *, memory_mb: int = 1024, timeout: float = 60, env=None) -> dict:
    """Run `code` (which sets `result`, a JSON-able dict) in a child under RLIMIT_AS.

    Returns the result plus `peak_rss_mb`, `grew_mb` (peak minus the memory of
    the loaded app) and `seconds`; a child that dies
    (e.g. MemoryError under the limit) gives {"crashed": stderr}.
    """
    prologue = textwrap.dedent(
        f"""
        import json, resource, time, os
        resource.setrlimit(resource.RLIMIT_AS, ({memory_mb} << 20, {memory_mb} << 20))
        import django
        django.setup()
        started = time.monotonic()
        result = {{}}
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        """
    )
    epilogue = textwrap.dedent(
        """
        result["seconds"] = time.monotonic() - started
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # What the work itself took on top of the loaded app.
        result["grew_mb"] = result["peak_rss_mb"] - baseline
        print("RESULT " + json.dumps(result))
        """
    )
    program = prologue + textwrap.dedent(code) + epilogue
    child_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return {"crashed": done.stderr[-2000:]}


def trickle(data: bytes, *, every: float, stopping: threading.Event, send):
    for i in range(len(data)):
        if stopping.wait(every):
            return
        send(data[i : i + 1])


def wait_until(predicate, *, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("our redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def queued(self) -> int:
        return redis.Redis.from_url(self.url).llen("celery")

"""Load: gunicorn on loopback serving the busy event's timeline page, driven by `wrk`.

gunicorn runs the production settings (DEBUG off, whitenoise, collected static
files) with WORKERS processes of THREADS threads each (gthread); `wrk` keeps
the configured number of connections open for the configured time with a 10 s
timeout, so that a slow answer is measured as slow rather than dropped.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

from benchmarks.common import PYTHON, ROOT, Config, Figure, child_env

WORKERS = 2
THREADS = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(output: str) -> dict[str, float]:
    """Median, p99, requests/s, errors and non-2xx from `wrk --latency` output."""
    latency = {pct: _ms(value, unit) for pct, value, unit in
               re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)}
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)",
                                            output.split("Socket errors:")[-1])
                 ) if "Socket errors:" in output else 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    return {"median": latency["50"], "p99": latency["99"], "rate": float(rate.group(1)),
            "errors": errors, "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "requests": int(total.group(1))}


def figures(config: Config, path: str) -> list[Figure]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed: apt-get install -y wrk")
    env = child_env(config)  # the static files were collected by __main__
    port = _free_port()
    log = tempfile.NamedTemporaryFile("w+", suffix=".log")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", str(WORKERS), "-k", "gthread", "--threads", str(THREADS),
         "--log-level", "warning", "--graceful-timeout", "5"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    url = f"http://127.0.0.1:{port}{path}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    if response.status != 200:
                        raise RuntimeError(f"{url} answered {response.status}")
                    response.read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"gunicorn did not answer: {log.read()[-2000:]}") from None
                time.sleep(0.3)
        # Every worker thread answers once before the clock starts (imports, dictionaries).
        warm = [subprocess.Popen(["curl", "-s", "-o", "/dev/null", url])
                for _ in range(WORKERS * THREADS * 2)]
        for each in warm:
            each.wait()
        done = subprocess.run(
            [wrk, "-t", "2", "-c", str(config.wrk_connections), "-d", f"{config.wrk_seconds}s",
             "--timeout", "10s", "--latency", url],
            capture_output=True, text=True, check=True, timeout=config.wrk_seconds + 120)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
    print(done.stdout, flush=True)
    w = parse_wrk(done.stdout)
    how = (f"gunicorn {WORKERS} workers × {THREADS} threads (gthread), wrk "
           f"{config.wrk_connections} connections {config.wrk_seconds} s")
    return [
        Figure("load: timeline page, requests per second", w["rate"], "req/s",
               detail=f"{how}; {w['requests']:,} requests"),
        Figure("load: requests answered", w["requests"], "requests", target=1.0,
               lower_is_better=False),
        Figure("load: errors and non-2xx answers", w["errors"] + w["non_2xx"], "responses",
               target=0.0, detail=f"{w['errors']} socket errors, {w['non_2xx']} non-2xx"),
        Figure("load: p99 latency vs median", w["p99"], "ms", target=10.0,
               peer=f"median {w['median']:.0f} ms", ratio=w["p99"] / max(w["median"], 0.001)),
    ]

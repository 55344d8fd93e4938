"""What the benchmark modules share: the run's settings, figures, timing, child processes."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Subprocesses run as in production: DEBUG off (Django would otherwise keep every query).
_CHILD_SECRET = "bench-only-secret-key-0123456789-abcdefghijklmnop"


@dataclass
class Config:
    """The sizes of one run; `quick` is the smoke test's tiny version."""

    quick: bool = False
    rounds: int = 3
    feeds: int = 200
    entries: int = 100
    small: int = 10_000
    large: int = 1_000_000
    match_statements: int = 10_000
    many_events: int = 1_000
    wrk_seconds: int = 30
    wrk_connections: int = 32
    skip: frozenset[str] = frozenset()
    database_url: str = ""
    redis_url: str = "redis://127.0.0.1:6379/8"
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def quick_config(cls) -> Config:
        return cls(quick=True, rounds=1, feeds=4, entries=10, small=1_000, large=5_000,
                   match_statements=300, many_events=100, wrk_seconds=5, wrk_connections=4)


@dataclass
class Figure:
    """One line of the table; `target` None means the line is information, not a target."""

    name: str
    measured: float
    unit: str
    target: float | None = None
    peer: str = ""
    ratio: float | None = None
    detail: str = ""
    lower_is_better: bool = True

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        value = self.ratio if self.ratio is not None else self.measured
        return value <= self.target if self.lower_is_better else value >= self.target

    def as_json(self) -> dict:
        return {"name": self.name, "measured": round(self.measured, 4),
                "target": self.target, "unit": self.unit, "pass": self.passed,
                "peer": self.peer, "ratio": None if self.ratio is None else round(self.ratio, 4),
                "detail": self.detail}


def database_url_for(name: str) -> str:
    """DATABASE_URL with its database name replaced: the children use the bench's database."""
    parts = urlsplit(os.environ.get("DATABASE_URL", ""))
    return urlunsplit(parts._replace(path="/" + name))


def child_env(config: Config, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DATABASE_URL=config.database_url, FEED_ALLOW_PRIVATE_HOSTS="1", DEBUG="0",
               SECRET_KEY=_CHILD_SECRET, ALLOWED_HOSTS="127.0.0.1,localhost",
               SECURE_COOKIES="0", SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="0",
               # The 200 feeds stand for 200 sites but share one loopback address: the
               # one-fetch-per-host spacing would measure the politeness, not the work.
               FEED_HOST_SPACING_SECONDS="0",
               DJANGO_SETTINGS_MODULE="config.settings")
    env.update(extra)
    return env


def run_timed(args: list[str], *, env: dict[str, str], cwd: Path = ROOT,
              timeout: float = 1_800) -> tuple[float, str]:
    """Wall time of a child process (it must succeed) and its output."""
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return elapsed, done.stdout


def timed_ms(call: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1_000)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")

"""`python -m benchmarks` (`make bench`): the project against its peers, and at scale.

    python -m benchmarks [--quick] [--only ingest,scale,load] [--skip reader,celery]
                         [--rounds N] [--output PATH]

Prints one table (figure, measured, peer, ratio, target, pass/fail) and
writes it to benchmarks/results.json: {"date", "machine", "results": [{"name",
"measured", "target", "unit", "pass", ...}]}. `--quick` (or BENCH_SCALE=quick)
runs tiny sizes, as the smoke test does; its figures mean nothing. The run
uses a database of its own (the configured name + "_bench", or BENCH_DB_NAME),
created and dropped around it. Every other module here with a `run()` is an
extra table printed after the targets (matching, actor import, ...).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import benchmarks
from benchmarks.common import Config, Figure, child_env, database_url_for

RESULTS = Path(__file__).resolve().parent / "results.json"
GROUPS = ("ingest", "scale", "load")


def discover() -> list[str]:
    """Modules with a `run()`: the extra tables."""
    names = []
    for info in pkgutil.iter_modules(benchmarks.__path__):
        if info.name.startswith("_") or info.name in (*GROUPS, "common", "feeds"):
            continue
        if hasattr(importlib.import_module(f"benchmarks.{info.name}"), "run"):
            names.append(info.name)
    return sorted(names)


def format_cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 10 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def format_table(rows: Sequence[Mapping[str, object]]) -> str:
    if not rows:
        return "(no rows)"
    columns = list(rows[0])
    cells = [[format_cell(row.get(column, "")) for column in columns] for row in rows]
    widths = [
        max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)
    ]
    numeric = [all(isinstance(row.get(c), int | float) for row in rows) for c in columns]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(columns), rule, *(line(values) for values in cells)])


def figure_rows(figures: Sequence[Figure]) -> list[dict[str, object]]:
    rows = []
    for f in figures:
        verdict = {True: "pass", False: "FAIL", None: "info"}[f.passed]
        sign = "≤" if f.lower_is_better else "≥"
        target = "" if f.target is None else (
            f"{sign} {f.target:g}×" if f.ratio is not None else f"{sign} {f.target:g} {f.unit}")
        rows.append({"figure": f.name, "measured": f"{format_cell(f.measured)} {f.unit}",
                     "peer": f.peer, "ratio": "" if f.ratio is None else f"{f.ratio:.2f}×",
                     "target": target, "pass/fail": verdict})
    return rows


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GB RAM"
    except (ValueError, OSError):
        memory = ""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (pg,) = cursor.fetchone()
    return (f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, PostgreSQL {pg}")


def parse_args(argv: Sequence[str]) -> tuple[Config, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true",
                        default=os.environ.get("BENCH_SCALE", "") == "quick",
                        help="tiny sizes (the smoke test); figures meaningless")
    parser.add_argument("--only", default=",".join(GROUPS), help="groups: ingest,scale,load")
    parser.add_argument("--skip", default="", help="parts to leave out: reader,celery,extra")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved ingest rounds")
    parser.add_argument("--output", default=None, help="where to write the JSON results")
    args = parser.parse_args(argv)
    config = Config.quick_config() if args.quick else Config()
    config.skip = frozenset(filter(None, args.skip.split(",")))
    if args.rounds:
        config.rounds = args.rounds
    return config, args


def main(argv: Sequence[str]) -> int:
    config, args = parse_args(argv)
    # Production settings in this process too (DEBUG off: no query log, no template
    # debugging), as in the children it starts.
    os.environ.update({k: v for k, v in child_env(config).items()
                       if k not in ("DATABASE_URL", "PATH")})
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("collectstatic", interactive=False, verbosity=0)

    if connection.vendor != "postgresql":
        print("The benchmarks need PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    real_name = connection.settings_dict["NAME"]
    bench_name = os.environ.get("BENCH_DB_NAME") or f"{real_name}_bench"
    connection.settings_dict.setdefault("TEST", {})["NAME"] = bench_name
    # Never the real database: the benchmarks fill tables with synthetic rows.
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    config.database_url = database_url_for(bench_name)
    os.environ.setdefault("TEST_REDIS_URL", config.redis_url)
    config.redis_url = os.environ["TEST_REDIS_URL"]
    try:
        return _run(config, args)
    finally:
        connection.close()
        connection.creation.destroy_test_db(real_name, verbosity=0)


def _run(config: Config, args: argparse.Namespace) -> int:
    from benchmarks import ingest, load, scale

    started = time.perf_counter()
    groups = [g for g in args.only.split(",") if g]
    figures: list[Figure] = []
    broken = []
    for group in groups:
        print(f"\n== {group}", flush=True)
        group_started = time.perf_counter()
        try:
            if group == "ingest":
                figures += ingest.figures(config)
            elif group == "scale":
                figures += scale.figures(config)
            elif group == "load":
                if "scale" not in groups:
                    raise RuntimeError("load serves the scale group's event: run both")
                figures += load.figures(config, scale.timeline_path())
            else:
                raise RuntimeError(f"no group {group!r}; there are {', '.join(GROUPS)}")
        except Exception:  # One broken group must not hide the others' results.
            traceback.print_exc()
            broken.append(group)
        print(f"({time.perf_counter() - group_started:.0f} s)", flush=True)

    total = time.perf_counter() - started
    note = ", quick: sizes too small to mean anything" if config.quick else ""
    print(f"\n== targets ({total / 60:.1f} min{note})")
    print(format_table(figure_rows(figures)))
    output = Path(args.output) if args.output else RESULTS
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "quick": config.quick,
        "rounds": config.rounds,
        "minutes": round(total / 60, 1),
        "commit": _commit(),
        "results": [f.as_json() for f in figures],
    }
    output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {output}")
    # The extra tables come after the targets are written: a slow one cannot lose them.
    if "extra" not in config.skip and not config.quick:
        for name in discover():
            module = importlib.import_module(f"benchmarks.{name}")
            title = (module.__doc__ or name).strip().splitlines()[0]
            print(f"\n== {name}: {title}")
            try:
                print(format_table(module.run()))
            except Exception:
                traceback.print_exc()
                broken.append(name)

    failed = [f.name for f in figures if f.passed is False]
    if broken:
        print(f"\nBroken: {', '.join(broken)}", file=sys.stderr)
    if failed:
        print(f"\n{len(failed)} target(s) missed", file=sys.stderr)
    return 1 if broken or failed else 0


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=False, cwd=Path(__file__).parent).stdout.strip()
    except OSError:
        return ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Run the benchmarks and print one table each: `python -m benchmarks [module ...]`.

Every module of this package that defines `run()` is a benchmark; adding one
is adding a file. `run()` returns the rows of its table as dicts with the same
keys (the columns); the module's docstring, first line, is the table's title.
Django is set up first and a throwaway test database is created for the run
(and dropped after it), so a benchmark may write freely; `make bench` points
DATABASE_URL at PostgreSQL.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time
import traceback
from collections.abc import Mapping, Sequence

import benchmarks


def discover() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.iter_modules(benchmarks.__path__)
        if not info.name.startswith("_")
    )


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


def main(argv: Sequence[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    # Never the real database: benchmarks fill tables with synthetic rows.
    real_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        return _run_all(argv)
    finally:
        connection.creation.destroy_test_db(real_name, verbosity=0)


def _run_all(argv: Sequence[str]) -> int:
    failed = []
    for name in argv or discover():
        module = importlib.import_module(f"benchmarks.{name}")
        run = getattr(module, "run", None)
        if run is None:
            continue
        title = (module.__doc__ or name).strip().splitlines()[0]
        print(f"\n== {name}: {title}")
        started = time.perf_counter()
        try:
            rows = run()
        except Exception:  # One broken benchmark must not hide the others' results.
            traceback.print_exc()
            failed.append(name)
            continue
        print(format_table(rows))
        print(f"({time.perf_counter() - started:.1f} s)")
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

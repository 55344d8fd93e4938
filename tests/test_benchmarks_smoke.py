"""`make bench` keeps running: the whole suite at tiny sizes (`--quick`), in its own database.

The figures of a quick run mean nothing, so no target is asserted here (timing
targets live in the benchmarks); what is checked is that every group runs and
reports the figures other tools look for. `reader` is left out: its venv is
installed from PyPI on first use.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_bench_reports_every_figure(tmp_path):
    output = tmp_path / "results.json"
    env = dict(os.environ)
    name = env.get("DATABASE_URL", "").rsplit("/", 1)[-1] or "tracker"
    env.update(BENCH_DB_NAME=f"{name}_bench_smoke")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--skip", "reader,extra",
         "--output", str(output)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    # 1 is "a target missed", which tiny sizes may well do; 2 or a traceback is a broken suite.
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    assert "Broken:" not in done.stderr, done.stderr[-3000:]

    document = json.loads(output.read_text())
    assert document["quick"] is True and document["date"] and document["machine"]
    names = [r["name"] for r in document["results"]]
    for word in ("ingest", "re-poll", "timeline", "search", "match", "load"):
        assert any(word in n for n in names), (word, names)
    for row in document["results"]:
        assert set(row) >= {"name", "measured", "target", "unit", "pass"}
        assert row["pass"] in (True, False, None)
        assert (row["pass"] is None) == (row["target"] is None), row
    table = done.stdout.split("== targets", 1)[1]
    assert "pass/fail" in table and "timeline page" in table

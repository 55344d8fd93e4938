"""Archive import: peak memory of `import_archive` on a generated 1,000,000-row CSV.gz.

The file is written (streamed, gzipped) with the columns of the published
Kremlin corpus (id, date, title, text, link, language), then imported by
`manage.py import_archive` in a child process, once as a dry run and once for
real; the child's peak resident memory (ru_maxrss, from wait4) is the figure.
The target is a flat memory under 300 MB whatever the size of the file:
streaming plus batch inserts. BENCH_ARCHIVE_ROWS changes the size. The rows
are deleted afterwards, so the modules after this one see the database as it was.

    python -m benchmarks.archive_import [ROWS]     # alone, against DATABASE_URL
"""

from __future__ import annotations

import csv
import gzip
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

ROWS = int(os.environ.get("BENCH_ARCHIVE_ROWS", "1000000"))
TARGET_MB = 300
ROOT = Path(__file__).resolve().parent.parent
MAPPING = "id=id,date=date,title=title,text=text,url=link,language=language"
WORDS = (
    "President Putin held a meeting with members of the Security Council on the situation "
    "in the region the economy cooperation and the agenda of the forthcoming summit"
).split()


def write_archive(path: Path, rows: int) -> int:
    start = datetime(2000, 1, 1, tzinfo=UTC)
    with gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=1) as out:
        writer = csv.writer(out)
        writer.writerow(["id", "date", "title", "text", "link", "language"])
        for i in range(rows):
            words = [WORDS[(i * 7 + k) % len(WORDS)] for k in range(40)]
            writer.writerow([
                f"kremlin-{i}",
                (start + timedelta(minutes=13 * i)).isoformat(),
                f"Meeting {i}: " + " ".join(words[:6]),
                " ".join(words) + f".\n\nParagraph two of record {i}.",
                f"http://en.kremlin.example/events/president/news/{i}",
                "en",
            ])
    return path.stat().st_size


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _child_peak(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(seconds, peak resident MB, output) of a child that must succeed."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read()
    if process.returncode != 0:
        raise RuntimeError(f"import_archive failed ({process.returncode}):\n{output[-4000:]}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, output  # KB on Linux


def run(rows: int = ROWS) -> list[dict]:
    from statements.models import EventLink, Source, Statement

    source = Source.objects.create(url="https://kremlin.example/bench-archive.xml",
                                   title="Archive benchmark")
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(DATABASE_URL=_database_url(), DEBUG="0", DJANGO_SETTINGS_MODULE="config.settings")
    env.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-for-production-use-0123456789")
    env.setdefault("ALLOWED_HOSTS", "localhost")
    results = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "kremlin.csv.gz"
            size = write_archive(path, rows)
            command = [sys.executable, "manage.py", "import_archive", str(path),
                       "--source", str(source.pk), "--map", MAPPING]
            for label, extra in (("dry run", ["--dry-run"]), ("import", [])):
                seconds, peak_mb, output = _child_peak(command + extra, env)
                results.append({
                    "step": label,
                    "rows": rows,
                    "file MB": round(size / 1e6, 1),
                    "seconds": round(seconds, 1),
                    "rows/s": round(rows / seconds),
                    "peak MB": round(peak_mb, 1),
                    "target MB": TARGET_MB,
                    "pass": "pass" if peak_mb < TARGET_MB else "FAIL",
                    "summary": output.strip().splitlines()[-2][:70] if output.strip() else "",
                })
        stored = Statement.objects.filter(source=source).count()
        results[-1]["stored"] = stored
    finally:
        EventLink.objects.filter(statement__source=source).delete()
        # One DELETE: the ORM's delete() would load a million rows to cascade them.
        Statement.objects.filter(source=source)._raw_delete(Statement.objects.db)
        source.delete()
    return results


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from benchmarks.__main__ import format_table

    print(format_table(run(int(sys.argv[1]) if len(sys.argv) > 1 else ROWS)))

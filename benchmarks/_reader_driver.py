"""Run by the reader venv's Python 3.12, not by the project: `reader` 3.x polling the feeds.

    python _reader_driver.py DB_PATH URLS_FILE

Adds every URL of URLS_FILE (one a line) to a reader SQLite database and
runs update_feeds() with one worker; prints "<seconds> <entries> <errors>":
the seconds of update_feeds() alone, as the project's driver times `poll --all`.
"""

import sys
import time

from reader import make_reader


def main(db_path: str, urls_file: str) -> None:
    reader = make_reader(db_path)
    with open(urls_file, encoding="utf-8") as urls:
        for url in urls.read().split():
            reader.add_feed(url, exist_ok=True)
    errors = 0
    started = time.perf_counter()
    for _url, value in reader.update_feeds_iter(workers=1):
        if isinstance(value, Exception):
            errors += 1
    elapsed = time.perf_counter() - started
    print(f"{elapsed:.6f}", reader.get_entry_counts().total, errors)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

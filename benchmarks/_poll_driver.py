"""Run as a child process: `manage.py poll --all` in-process, timed without interpreter start-up.

Prints the seconds the command took. Like the reader driver, the time leaves
out starting Python and importing the code, which the 304 re-poll would
otherwise be all about.
"""

import io
import os
import sys
import time

import django

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("poll", "--all", stdout=io.StringIO())
    print(f"{time.perf_counter() - started:.6f}")

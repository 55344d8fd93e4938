"""CSV files for citation: what every export of the tracker has in common.

Each file opens with '#' lines saying what produced it and when (skip them
with any CSV reader: `(line for line in f if not line.startswith("#"))`), and
its text cells are written so that a spreadsheet shows them rather than runs
them: a cell starting with = + - @ or a control character is a formula to
Excel and LibreOffice, and statements' titles come from feeds nobody vets.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

# What spreadsheets read as the start of a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def one_line(text: object) -> str:
    # Titles are kept on one line, so no continuation line of a quoted cell can
    # start with '#' and be skipped as metadata.
    return " ".join(str(text or "").split())


def metadata(pairs: Iterable[tuple[str, object]]) -> str:
    """The '#' lines at the top of a file: one `# key: value` per pair."""
    return "".join(f"# {key}: {one_line(value)}\n" for key, value in pairs)


def spreadsheet_safe(value: object) -> object:
    # Numbers stay numbers (a negative offset is data, not a formula).
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


class CitationWriter:
    """csv.writer whose text cells cannot run as spreadsheet formulas."""

    def __init__(self, out):
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([spreadsheet_safe(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)

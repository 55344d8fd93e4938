"""Marking matched words in text for display: the one place that turns spans into <mark>."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape


class Marked(str):
    """Markup that is safe to render as is. Django's templates (and markupsafe) honour
    `__html__`, so this module needs no web framework."""

    def __html__(self) -> str:
        return self


def mark_spans(
    text: str,
    spans: Iterable[tuple[int, int]],
    *,
    start: int = 0,
    end: int | None = None,
    before: str = "",
    after: str = "",
) -> Marked:
    """`text[start:end]` escaped, each (begin, end) span inside it wrapped in <mark>.

    Overlapping spans keep the first; `before` and `after` (an ellipsis for an
    excerpt) are escaped too, so the result is safe whatever the text holds.
    """
    end = len(text) if end is None else end
    out, position = [escape(before)], start
    for span_start, span_end in sorted(spans):
        if span_start < position or span_end > end:
            continue
        out += [escape(text[position:span_start]), "<mark>",
                escape(text[span_start:span_end]), "</mark>"]
        position = span_end
    out += [escape(text[position:end]), escape(after)]
    return Marked("".join(out))  # every piece is escaped above

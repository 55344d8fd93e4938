"""Marking matched words in text for display: the one place that turns spans into <mark>."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def mark_spans(
    text: str,
    spans: Iterable[tuple[int, int]],
    *,
    start: int = 0,
    end: int | None = None,
    before: str = "",
    after: str = "",
) -> SafeString:
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
    return mark_safe("".join(out))  # noqa: S308 — every piece is escaped above

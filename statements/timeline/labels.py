"""How times are written, once: offsets from T0, durations, UTC timestamps.

Plain functions over aware datetimes and floats, with no Django and no project
imports, so every layer from the timeline up (research, editorial, alerts, the
web layer, exports) may use them. It lives at the timeline layer because that
is the lowest layer whose output needs them: responses computes hours but
never writes them, and text/ holds no notion of time. Templates reach the same
functions through the ``tracker`` template-tag library (statements/web/templatetags).
"""

from __future__ import annotations

from datetime import UTC, datetime

MINUS = "\u2212"  # a real minus sign: "−3.0 h" must not read as a hyphen


def hours_between(start: datetime, end: datetime) -> float:
    """Signed hours from start to end, to a tenth."""
    return round((end - start).total_seconds() / 3600, 1)


def offset_label(hours: float | None) -> str:
    """'+5.5 h', '−3.0 h'; days are added once hours stop being readable."""
    if hours is None:
        return ""
    sign = "+" if hours >= 0 else MINUS
    text = f"{sign}{abs(hours):.1f} h"
    if abs(hours) >= 48:
        text += f" ({abs(hours) / 24:.1f} d)"
    return text


def short_offset_label(hours: float | None) -> str:
    """'+5.5 h', or '+16 d' where hours stop being readable (for a small cell)."""
    if hours is None:
        return ""
    if abs(hours) >= 48:
        return f"{'+' if hours >= 0 else MINUS}{abs(hours) / 24:.0f} d"
    return offset_label(hours)


def duration_label(hours: float | None) -> str:
    """'5.5 h', '384.0 h (16.0 d)': a latency without its sign."""
    return offset_label(abs(hours))[1:] if hours is not None else ""


def tick_label(hours: float, step: float) -> str:
    """An axis tick: 'T0', '+6 h', '−12 h', or '+3 d' once ticks are days apart."""
    if hours == 0:
        return "event"
    sign = "+" if hours > 0 else MINUS
    if step >= 48:
        return f"{sign}{abs(hours) / 24:g} d"
    return f"{sign}{abs(hours):g} h"


def utc_label(when: datetime | None) -> str:
    """'2026-01-03 06:00 UTC' for people."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if when else ""


def iso_utc(when: datetime | None) -> str | None:
    """ISO 8601 in UTC with a 'Z', to the second, for machines (JSON, CSV)."""
    if when is None:
        return None
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

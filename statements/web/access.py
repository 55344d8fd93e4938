"""Who may read, who may change, and how often one may guess a password.

- Reading pages are public unless settings.PUBLIC_READING is off; then
  ReadingAccessMiddleware sends anonymous visitors to the login page.
- Every change is checked on the server by `permission_required_for`, with the
  role groups' permissions (migration 0003_roles): hiding a button is not access
  control.
- Failed logins on every login path (the site's and /admin/login/) are counted
  by django-axes in the database, per (user name, client address) pair and per
  address (settings.AXES_*): after LOGIN_FAILURE_LIMIT failures that pair or
  address is refused for LOGIN_LOCKOUT, even with the right password. A user
  whose name an attacker fails with elsewhere can still log in.
"""

from __future__ import annotations

import math
from functools import wraps

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

# --- reading -----------------------------------------------------------------------

# Pages that must answer without a login even when reading is login-only: the
# health check (probes carry no session) and the demo's own sample feeds (polled
# by the app itself). The login page is exempt by Django's own marker.
OPEN_URL_NAMES = frozenset({"healthz", "sample-feed"})


class ReadingAccessMiddleware(LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, switched by settings.PUBLIC_READING
    (read on each request, so it can be changed without touching MIDDLEWARE)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if settings.PUBLIC_READING:
            return None
        match = request.resolver_match
        if match is not None and match.url_name in OPEN_URL_NAMES:
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


# --- changing ----------------------------------------------------------------------


def permission_required_for(*perms: str):
    """Refuse a view unless the user holds every permission in `perms`.

    An anonymous visitor opening a page is sent to the login page; anything
    else refused — a POST, an htmx request, a logged-in user without the role —
    gets 403, since a redirect would be swallowed by htmx or lose the POST.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.user.has_perms(perms):
                return view(request, *args, **kwargs)
            is_page = request.method in ("GET", "HEAD") and not getattr(request, "htmx", False)
            if is_page and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise PermissionDenied

        return wrapped

    return decorator


# --- login throttling ----------------------------------------------------------------
#
# django-axes counts failures for every login path (this site's and /admin/login/),
# keyed as settings.AXES_LOCKOUT_PARAMETERS says; these helpers give its lockout
# the site's own page and words.

LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT
LOGIN_LOCKOUT = int(settings.AXES_COOLOFF_TIME.total_seconds())


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR, not X-Forwarded-For: a client can write any forwarded header it
    # likes. Behind a proxy, have the proxy set REMOTE_ADDR (gunicorn's
    # --forwarded-allow-ips) rather than trusting a header here.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def lockout_seconds(request: HttpRequest) -> int:
    """Seconds until a locked-out client may try again (the cool-off restarts at
    each failure during the lockout)."""
    latest = (
        AccessAttempt.objects.filter(ip_address=client_address(request))
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if latest is None:
        return LOGIN_LOCKOUT
    left = (latest + settings.AXES_COOLOFF_TIME - timezone.now()).total_seconds()
    return max(1, math.ceil(left))


def lockout_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return (f"Too many failed attempts to log in. Try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''}.")


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """What axes answers a locked-out login with: the site's login page (429)."""
    if original_response is not None and original_response.status_code == 429:
        return original_response  # The site's login view already said it.
    return render(
        request,
        "registration/locked_out.html",
        {"lockout_message": lockout_message(lockout_seconds(request))},
        status=429,
    )

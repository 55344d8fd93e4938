"""Who may read, who may change, and how often one may guess a password.

- Reading pages are public unless settings.PUBLIC_READING is off; then
  ReadingAccessMiddleware sends anonymous visitors to the login page.
- Every change is checked on the server by `permission_required_for`, with the
  role groups' permissions (migration 0003_roles): hiding a button is not access
  control.
- Failed logins are counted per username and per client address in Django's
  cache (Redis in production, so every web process sees the same counts): after
  LOGIN_FAILURE_LIMIT failures within LOGIN_FAILURE_WINDOW, that username or
  address is refused for LOGIN_LOCKOUT, even with the right password.
"""

from __future__ import annotations

import hashlib
import math
import time
from functools import wraps

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

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

LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW = 15 * 60  # seconds
LOGIN_LOCKOUT = 15 * 60  # seconds


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR, not X-Forwarded-For: a client can write any forwarded header it
    # likes. Behind a proxy, have the proxy set REMOTE_ADDR (gunicorn's
    # --forwarded-allow-ips) rather than trusting a header here.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _keys(username: str, address: str) -> list[str]:
    user_hash = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    return [f"login-failures:user:{user_hash}", f"login-failures:addr:{address}"]


def login_locked_for(*, username: str, address: str) -> int:
    """Seconds until this username and address may try again; 0 when they may now."""
    now = time.time()
    until = cache.get_many([f"{key}:locked" for key in _keys(username, address)]).values()
    return max((math.ceil(u - now) for u in until), default=0) if until else 0


def record_login_failure(*, username: str, address: str) -> None:
    now = time.time()
    for key in _keys(username, address):
        # The window starts at the first failure; add() leaves a running count alone.
        cache.add(key, 0, LOGIN_FAILURE_WINDOW)
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, LOGIN_FAILURE_WINDOW)
            failures = 1
        if failures >= LOGIN_FAILURE_LIMIT:
            cache.set(f"{key}:locked", now + LOGIN_LOCKOUT, LOGIN_LOCKOUT)
            cache.delete(key)


def record_login_success(*, username: str, address: str) -> None:
    # The username's count starts again; the address's does not, or one valid
    # account would let an address guess at all the others without limit.
    cache.delete(_keys(username, address)[0])


def lockout_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return (f"Too many failed attempts to log in. Try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''}.")

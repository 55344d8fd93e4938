"""Production settings pass Django's deployment checks, and every page carries a CSP.

`manage.py check --deploy` runs in a child with the environment production sets
(DEBUG=0, a real SECRET_KEY, ALLOWED_HOSTS behind a TLS proxy) and must report
nothing: HSTS, the SSL redirect, secure cookies, nosniff, frame denial.
"""

import os
import re
import secrets
import subprocess
import sys

import pytest

from tests.security.hostile import ROOT

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "tracker.example",
}


def manage(*args, env):
    # Not what production sets: SECURE_* overrides, and the async-safety switch the
    # browser tests' Playwright fixture turns on in this process.
    child_env = {k: v for k, v in os.environ.items()
                 if not k.startswith("SECURE_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    child_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=child_env, capture_output=True,
        text=True, timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_settings():
    done = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_with_debug_on_the_same_check_complains():
    # The check is not trivially clean: the development settings fail it.
    done = manage("check", "--deploy", "--fail-level", "WARNING", env={"DEBUG": "1"})

    assert done.returncode != 0
    assert "security.W004" in done.stderr + done.stdout  # no HSTS in development


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/events/", "/actors/", "/statements/", "/matrix/",
                                  "/sources/", "/accounts/login/", "/admin/login/"])
def test_every_page_has_a_strict_csp_and_no_inline_script_or_style(client, path):
    response = client.get(path)

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    html = response.content.decode()
    inline_scripts = [
        tag for tag in re.findall(r"<script\b[^>]*>", html)
        if "src=" not in tag and 'type="application/json"' not in tag
    ]
    assert inline_scripts == []
    assert "<style" not in html
    assert not re.search(r"\sstyle=\"", html)
    assert not re.search(r"\shx-on", html)
    if path != "/admin/login/":
        assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles":false}\'>' in html

"""In Chromium, the policy holds and the pages still work: no CSP violation on the
pages with data-driven sizes (summary bars, the swimlane's lanes, coverage bars),
and those sizes are applied (by static/js/csp-layout.js, through the CSSOM)."""

import pytest

from tests.scenarios import build_maduro_scenario

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", e =>
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""


def test_pages_with_data_raise_no_csp_violation(live_server, browser):
    maduro = build_maduro_scenario()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    for path in ["/", "/events/", maduro["event"].get_absolute_url(), "/matrix/", "/sources/"]:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__cspViolations") == [], path
    page.goto(live_server.url + maduro["event"].get_absolute_url())
    page.wait_for_load_state("networkidle")
    heights = page.eval_on_selector_all(".lane-label", "els => els.map(e => e.style.height)")
    assert heights and all(h.endswith("px") for h in heights)
    context.close()

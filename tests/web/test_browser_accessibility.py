"""axe-core in a real browser: no serious or critical violation on any reader's page,
and no page wider than the screen.

axe-core is vendored (tests/vendor/axe-core, from the npm package, MPL-2.0) and
injected into each page; the site's Content-Security-Policy allows only its own
scripts, so the test's browser context bypasses CSP for the injected engine only.
Every page is checked at desktop and phone widths, on the sample data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import statements.tasks  # noqa: F401  (registers the tasks load_sample queues, eagerly run)
from statements.models import Statement
from tests.scenarios import load_sample_on_a_free_port

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = [{"width": 1280, "height": 800}, {"width": 390, "height": 844}]
PAGES = [
    "/", "/events/", "/events/maduro-capture-2026/", "/events/assad-fall-2024/?stance=concern",
    "/actors/", "/actors/vladimir-putin/", "/actors/russia/",
    "/actors/vladimir-putin/compare/?events=venezuela-crisis-2019,maduro-capture-2026",
    "/compare/?events=venezuela-crisis-2019,maduro-capture-2026,assad-fall-2024", "/compare/",
    "/statements/?q=Venezuela", "/matrix/", "/sources/", "/accounts/login/",
    "/matrix/maduro-capture-2026/vladimir-putin/?group=russia-and-allies",
    "/no-such-page/",
]
RUN_AXE = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).slice(0, 3).join(" | "))"""


@pytest.fixture
def sample(transactional_db, settings):
    load_sample_on_a_free_port(settings)


def test_no_page_has_a_serious_or_critical_violation(sample, live_server, browser):
    pages = [*PAGES, Statement.objects.order_by("pk").first().get_absolute_url()]
    found = {}
    for viewport in WIDTHS:
        context = browser.new_context(viewport=viewport, bypass_csp=True)
        page = context.new_page()
        for path in pages:
            page.goto(live_server.url + path)
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(RUN_AXE)
            # Nothing wider than the screen: wide tables and charts scroll in their own box.
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > viewport["width"]:
                violations.append(f"page is {width}px wide")
            if violations:
                found[f"{path} at {viewport['width']}px"] = violations
        context.close()
    assert found == {}

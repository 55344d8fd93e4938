"""The event page's story on the sample: the answer, the strip, the grouped reactions."""

from __future__ import annotations

import re

import pytest

import statements.tasks  # noqa: F401  (registers the tasks load_sample queues, eagerly run)
from tests.scenarios import load_sample_on_a_free_port

pytestmark = pytest.mark.django_db

URL = "/events/maduro-capture-2026/"


@pytest.fixture
def sample(settings):
    load_sample_on_a_free_port(settings)


def row(html, slug):
    match = re.search(rf'<tr id="row-{slug}" data-actor="{slug}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, slug
    return match.group(1)


def test_the_answer_comes_first_in_words(client, sample):
    html = client.get(URL).content.decode()
    story = html[html.index('<section id="story"'):html.index("</section>",
                                                                html.index('<section id="story"'))]
    assert "its leader Vladimir Putin never did." in story
    assert re.search(r"\d+ of the \d+ expected answered", story)
    assert 'data-glance="vladimir-putin"' in story  # silent, named on the first screen
    assert "T0" not in story


def test_the_key_quote_is_in_its_language_with_the_paired_translation(client, sample):
    mfa = row(client.get(URL).content.decode(), "russian-mfa")
    assert '<blockquote class="key-quote" lang="ru">“Подобные действия вызывают глубокую ' \
           'обеспокоенность и осуждение.”</blockquote>' in mfa
    assert '<q lang="en">This is deeply concerning and condemnable.</q>' in mfa
    assert 'href="https://sample.invalid/mid-ru/' in mfa  # the original address


def test_a_state_is_a_group_with_its_ministries_and_leaders_under_it(client, sample):
    html = client.get(URL).content.decode()
    russia = re.search(r'<tbody id="group-russia" data-group="russia">(.*?)</tbody>', html,
                       re.S).group(1)
    members = re.findall(r'<tr id="row-([\w-]+)"', russia)
    assert members[0] == "russia"
    assert {"russian-mfa", "vladimir-putin", "dmitry-peskov"} <= set(members)
    # A spokesperson's words are said as such, not as "via proxy".
    assert "Via proxy" not in html[html.index('<table class="stack status-table'):]


def test_the_page_costs_the_same_queries_whatever_the_number_of_responders(client, sample):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for slug in ("maduro-capture-2026", "assad-fall-2024", "kazakhstan-unrest-2022"):
        client.get(f"/events/{slug}/")  # warm: the map's shapes are read once per process
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/events/{slug}/").status_code == 200
        counts[slug] = len(queries)
    assert len(set(counts.values())) == 1, counts

"""The event page's story on the sample: the answer, the strip, the grouped reactions."""

from __future__ import annotations

import io
import re
import socket

import pytest
from django.core.management import call_command

import statements.tasks  # noqa: F401  (registers the tasks load_sample queues, eagerly run)

pytestmark = pytest.mark.django_db

URL = "/events/maduro-capture-2026/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def sample(settings):
    settings.SAMPLE_FEEDS_BASE_URL = f"http://127.0.0.1:{free_port()}/sample-feeds/"
    call_command("load_sample", stdout=io.StringIO())


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

"""The read pages: event list, event timeline (with its htmx fragment), actors, statements."""

import re
from datetime import timedelta
from itertools import pairwise

import pytest
from django.urls import reverse

from actors.models import Actor, ActorGroup
from statements.models import Tag
from tests import factories as f
from tests.factories import utc
from tests.scenarios import AFTER, T0, text_of

pytestmark = pytest.mark.django_db

Kind = Actor.Kind


def page(client, path, **params):
    response = client.get(path, params)
    assert response.status_code == 200
    return response.content.decode()


def status_row(html, slug):
    match = re.search(rf'<tr [^>]*data-actor="{slug}" data-status="(\w+)"[^>]*>(.*?)</tr>',
                      html, re.S)
    assert match, f"no status row for {slug}"
    return match.group(1), text_of(match.group(2))


def statement_ids(html):
    return [int(pk) for pk in re.findall(r'<li data-statement="(\d+)"', html)]


# --- the timeline page ----------------------------------------------------------


def test_the_status_table_shows_who_answered_how_fast_and_through_whom(client, maduro):
    html = page(client, maduro["event"].get_absolute_url())
    status, row = status_row(html, "russia")
    assert status == "responded"
    assert "Responded, through Russian Ministry of Foreign Affairs" in row
    assert "5.5 h after 3 Jan 11:30 UTC" in row
    assert "Condemns · intensity 2" in row
    status, row = status_row(html, "russian-mfa")
    assert status == "responded" and "5.5 h after" in row
    # The ministry's key quote is inline, with its original address.
    assert "“" in row and "original" in row
    assert status_row(html, "vladimir-putin")[0] == "silent"
    assert "Silent" in status_row(html, "vladimir-putin")[1]
    status, row = status_row(html, "iran-mfa")
    assert status == "responded_late" and "Responded, but only after the window" in row
    assert "384.0 h (16.0 d) after" in row
    assert status_row(html, "xi-jinping")[0] == "no_coverage"
    assert "Cannot tell (no coverage)" in status_row(html, "belarus")[1]


def test_the_page_shows_the_event_header_in_utc(client, maduro):
    text = text_of(page(client, maduro["event"].get_absolute_url()))
    assert "United States captures Nicolás Maduro" in text
    assert ("3 January 2026, 06:00 UTC · answers counted for 72 h, "
            "until 6 January 06:00 UTC (closed)") in text
    assert "T0" not in text  # the event's own time, not jargon
    assert "venezuela" in text and "US forces seize" in text


def test_the_ladder_says_who_spoke_for_the_state_and_which_leader_did_not(client, maduro):
    text = text_of(page(client, maduro["event"].get_absolute_url()))
    assert ("Russia answered in 5.5 h through Russian Ministry of Foreign Affairs; "
            "Vladimir Putin (President of Russia) never did.") in text
    # The ministry's first word came before T0; its first answer in the window is what counts.
    assert ("Russian Ministry of Foreign Affairs (institution) — spoke in the window, "
            "first at +5.5 h after the event (and before the event, at −3.0 h)") in text
    assert "Vladimir Putin (leader, President of Russia) — nothing linked" in text


def test_a_leader_who_spoke_only_after_the_window_is_named_as_such(client, maduro):
    a = maduro["actors"]
    f.link(maduro["event"], f.statement(a["putin"], T0 + timedelta(days=9), title="Late words"))
    text = text_of(page(client, maduro["event"].get_absolute_url()))
    assert ("Russia answered in 5.5 h through Russian Ministry of Foreign Affairs; "
            "Vladimir Putin (President of Russia) spoke only after the window, "
            "at +216.0 h (9.0 d).") in text


def test_every_silence_shows_the_sources_and_spans_behind_it(client, maduro):
    html = page(client, maduro["event"].get_absolute_url())
    putin = re.search(r'<details class="evidence" id="evidence-vladimir-putin">(.*?)</details>',
                      html, re.S)
    assert putin
    text = text_of(putin.group(1))
    assert "1 source watched; 1 covers the whole window." in text
    assert "Kremlin news" in text and "covers the whole window" in text
    assert "Covered: 2026-01-03 06:00 UTC – 2026-01-06 06:00 UTC (72.0 h)" in text

    belarus = re.search(r'<details class="evidence" id="evidence-belarus">(.*?)</details>',
                        html, re.S)
    text = text_of(belarus.group(1))
    assert "none covers the whole window" in text and "does not cover the whole window" in text
    assert "Covered: 2026-01-03 06:00 UTC – 2026-01-03 16:00 UTC (10.0 h)" in text
    assert "Gap: 2026-01-03 16:00 UTC – 2026-01-06 06:00 UTC (62.0 h)" in text

    xi = re.search(r'<details class="evidence" id="evidence-xi-jinping">(.*?)</details>',
                   html, re.S)
    assert "No source that can speak for Xi Jinping is watched." in text_of(xi.group(1))


def test_statements_are_listed_in_time_order_with_signed_offsets(client, maduro):
    html = page(client, maduro["event"].get_absolute_url())
    links = maduro["links"]
    expected_order = ["warning", "cuba", "mfa", "un", "zakharova", "mfa_later", "iran"]
    assert statement_ids(html) == [links[k].statement_id for k in expected_order]
    text = text_of(html)
    assert "−3.0 h before the event" in text  # a real minus sign
    assert "+5.5 h in the window" in text
    assert "+100.0 h 4.2 d after the window" in text
    assert "cue words: armed aggression, condemnable" in text
    assert "matched terms: Venezuela, Maduro" in text
    assert "Confirmed link" in text and "Suggested link" in text
    assert 'href="https://news.example/mfa/' in html  # the original URL
    assert "source: MFA statements" in text


def test_rejected_links_are_left_out_unless_asked_for(client, maduro):
    rejected = maduro["links"]["rejected"].statement_id
    url = maduro["event"].get_absolute_url()
    assert rejected not in statement_ids(page(client, url))
    assert statement_ids(page(client, url, link_status="rejected")) == [rejected]
    assert rejected in statement_ids(page(client, url, link_status="any"))


def test_a_stance_filter_narrows_the_statements_and_the_marks(client, maduro):
    url = maduro["event"].get_absolute_url()
    everything = page(client, url)
    concern = page(client, url, stance="concern")
    links = maduro["links"]
    assert statement_ids(concern) == [links[k].statement_id
                                      for k in ("warning", "un", "zakharova", "mfa_later")]
    assert everything.count('class="mark mark--condemns') > 0
    assert concern.count('class="mark mark--condemns') == 0
    assert "Showing 4 of 7 linked statements with these filters." in text_of(concern)
    # The statuses do not change with a stance filter: they are facts about the event.
    assert status_row(concern, "russia")[0] == "responded"


def test_a_group_filter_narrows_the_rows_and_the_statements_to_its_members(client, maduro):
    html = page(client, maduro["event"].get_absolute_url(), group="russia-and-allies")
    rows = re.findall(r'<tr [^>]*data-actor="([\w-]+)"', html)
    assert sorted(rows) == ["belarus", "cuba", "russia", "vladimir-putin"]
    links = maduro["links"]
    # Russia's row counts its ministry and spokeswoman; the UN and Iran are not in the group.
    assert statement_ids(html) == [links[k].statement_id
                                   for k in ("warning", "cuba", "mfa", "zakharova", "mfa_later")]
    lanes = re.findall(r'<g class="row row--\w+" data-actor="([\w-]+)"', html)
    assert sorted(lanes) == sorted(rows)


def test_a_bad_filter_value_gets_a_message_and_the_unfiltered_page(client, maduro):
    url = maduro["event"].get_absolute_url()
    html = page(client, url, stance="furious", group="nope")
    text = text_of(html)
    assert "Some filters were not understood, so the timeline below is unfiltered." in text
    assert "“furious” is not a stance" in text
    assert "There is no actor group “nope”." in text
    assert statement_ids(html) == statement_ids(page(client, url))


def test_an_htmx_request_gets_only_the_timeline_fragment(client, maduro):
    url = maduro["event"].get_absolute_url()
    response = client.get(url, {"stance": "condemns"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="timeline"')
    assert "<html" not in html and "<form" not in html
    assert statement_ids(html) == [maduro["links"][k].statement_id for k in ("cuba", "mfa", "iran")]
    assert "HX-Request" in response["Vary"]


def test_a_normal_request_gets_the_whole_page_with_the_filter_form(client, maduro):
    html = page(client, maduro["event"].get_absolute_url())
    assert "<html" in html and '<section id="timeline"' in html
    assert 'hx-get="/events/maduro-capture-2026/"' in html and 'hx-push-url="true"' in html
    assert 'hx-target="#timeline"' in html
    assert 'action="/events/maduro-capture-2026/"' in html  # works without JavaScript
    assert "django_htmx/htmx-2.min.js" in html and "unpkg" not in html and "cdn" not in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_a_history_restore_gets_the_whole_page(client, maduro):
    response = client.get(maduro["event"].get_absolute_url(), HTTP_HX_REQUEST="true",
                          HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_the_swimlane_has_a_row_per_responder_and_a_mark_per_statement_on_it(client, maduro):
    html = page(client, maduro["event"].get_absolute_url())
    svg = re.search(r'<svg class="swimlane".*?</svg>', html, re.S).group(0)
    rows = re.findall(r'<g class="row row--(\w+)" data-actor="([\w-]+)">(.*?)</g>', svg, re.S)
    by_actor = {actor: (status, body) for status, actor, body in rows}
    assert len(rows) == 9  # the eight expected, and Zakharova who spoke unasked
    # Russia's row carries its ministry's and spokeswoman's words, drawn hollow (not its own).
    russia = by_actor["russia"][1]
    assert russia.count('class="mark') == 4 and russia.count("mark--through") == 4
    assert by_actor["russian-mfa"][1].count('class="mark') == 4  # 3 own + Zakharova's
    putin_status, putin = by_actor["vladimir-putin"]
    assert putin_status == "silent" and 'class="mark' not in putin
    assert "Silent — nothing linked, and its sources cover the window" in putin
    assert '<rect class="hatch"' in by_actor["xi-jinping"][1]
    assert "No coverage — we cannot tell" in by_actor["xi-jinping"][1]
    assert "Russian Ministry of Foreign Affairs, +5.5 h (2026-01-03 11:30 UTC): condemns" in svg
    # Iran's answer 16 days on lies beyond the axis break, on the labelled compressed segment.
    assert "compressed (√) scale" in svg and "+17 d" in svg and 'class="axis-break"' in svg


def test_the_chart_axis_keeps_every_statement_inside_and_in_order(client):
    from statements.timeline.selector import event_timeline

    mfa = f.actor("russian-mfa", kind=Kind.INSTITUTION)
    event = f.event(expected=[mfa])
    offsets = [-40, -1, 0, 5.5, 72, 80, 24 * 10, 24 * 30]  # an editor's early link, late ones
    for hours in offsets:
        f.link(event, f.statement(mfa, T0 + timedelta(hours=hours)))
    swimlane = event_timeline(event=event, now=AFTER).swimlane
    xs = [m.x for m in swimlane.rows[0].marks]
    assert len(xs) == len(offsets) and xs == sorted(xs) and len(set(xs)) == len(xs)
    assert swimlane.plot_left <= xs[0] and xs[-1] <= swimlane.plot_right < swimlane.width
    assert swimlane.break_x < xs[-2]  # ten days on lies past the break
    assert swimlane.ticks[0].label == "−48 h"  # extended to show the −40 h statement
    late = [t.label for t in swimlane.late_ticks]
    assert late[-1] == "+32 d" and xs[-1] < swimlane.late_ticks[-1].x  # labelled near the end
    assert all(b.x - a.x >= 36 for a, b in pairwise(swimlane.late_ticks))


def test_offsets_are_signed_and_days_are_added_when_hours_stop_being_readable():
    from statements.timeline.selector import offset_label

    assert offset_label(5.5) == "+5.5 h"
    assert offset_label(-3) == "−3.0 h"
    assert offset_label(0.0) == "+0.0 h"
    assert offset_label(384) == "+384.0 h (16.0 d)"
    assert offset_label(None) == ""


def test_the_page_links_its_exports_with_the_current_filters(client, maduro):
    html = page(client, maduro["event"].get_absolute_url(), stance="concern")
    assert 'href="/events/maduro-capture-2026/timeline.csv?stance=concern"' in html
    assert 'href="/events/maduro-capture-2026/responders.csv?stance=concern"' in html
    assert 'href="/api/events/maduro-capture-2026/timeline.json?stance=concern"' in html


def test_an_unpublished_event_is_not_found(client, maduro):
    maduro["event"].is_published = False
    maduro["event"].save()
    assert client.get(maduro["event"].get_absolute_url()).status_code == 404


def test_an_open_window_shows_pending_and_a_now_line(client):
    from django.utils import timezone

    putin = f.actor("vladimir-putin", name="Vladimir Putin")
    event = f.event(slug="ongoing", occurred_at=timezone.now() - timedelta(hours=5),
                    expected=[putin])
    html = page(client, event.get_absolute_url())
    assert status_row(html, "vladimir-putin")[0] == "pending"
    assert "still open" in text_of(html) and 'class="now"' in html


def _timeline_scenario(n):
    """n expected actors: every other one answers, the rest are silent with a feed that
    vouches for it (or uncovered); one group; one ladder."""
    state = f.actor(f"state-{n}", kind=Kind.STATE)
    leader = f.actor(f"leader-{n}", parent=state)
    f.actor(f"press-{n}", parent=state, speaks_for=[leader])
    group = ActorGroup.objects.create(slug=f"group-{n}", name=f"Group {n}")
    event = f.event(slug=f"scale-{n}", expected=[state, leader])
    for i in range(n):
        speaker = f.actor(f"speaker-{n}-{i}", kind=Kind.INSTITUTION, parent=state)
        feed = f.source(speaker)
        if i % 3 != 2:
            f.fetched(feed, AFTER, oldest=T0 - timedelta(days=3 if i % 3 == 0 else -1))
        event.expected_actors.add(speaker)
        group.members.add(speaker)
        if i % 2 == 0:
            f.link(event, f.statement(speaker, T0 + timedelta(hours=i), source=feed),
                   stance="condemns", intensity=1, cues=["x"])
    return event


@pytest.mark.parametrize("params", [{}, {"group": "GROUP", "stance": "condemns"}])
def test_the_timeline_takes_the_same_queries_for_3_or_30_statements_and_actors(
        client, django_assert_max_num_queries, params):
    few, many = _timeline_scenario(3), _timeline_scenario(30)

    def get(event, n):
        query = {k: v.replace("GROUP", f"group-{n}") for k, v in params.items()}
        with django_assert_max_num_queries(20) as queries:
            page(client, event.get_absolute_url(), **query)
        return len(queries.captured_queries)

    assert get(few, 3) == get(many, 30)
    html = page(client, many.get_absolute_url())
    assert 'data-status="silent"' in html and 'data-status="no_coverage"' in html
    assert html.count('<details class="evidence"') > 10


def test_the_exports_take_the_same_queries_for_3_or_30_statements(
        client, django_assert_max_num_queries):
    few, many = _timeline_scenario(3), _timeline_scenario(30)
    for name in ("event-timeline-json", "event-timeline-csv", "event-responders-csv"):
        counts = []
        for event in (few, many):
            with django_assert_max_num_queries(15) as queries:
                assert client.get(reverse(name, args=[event.slug])).status_code == 200
            counts.append(len(queries.captured_queries))
        assert counts[0] == counts[1], name


# --- the event list and home ----------------------------------------------------------


def test_the_event_list_summarises_each_events_responses(client, maduro):
    other = f.event(slug="assad-fall-2024", title="Fall of Assad", occurred_at=utc(2024, 12, 8, 4),
                    expected=[maduro["actors"]["putin"]])
    other.is_published = True
    other.save()
    f.event(slug="draft", title="A draft event", is_published=False)
    text = text_of(page(client, reverse("event-list")))
    assert ("United States captures Nicolás Maduro" in text and "Fall of Assad" in text
            and "A draft event" not in text)
    # Responded: Russia, MFA, Cuba, UN in time; Iran late. Silent: Putin. No coverage: Xi, Belarus.
    assert "5 of 8 responded (1 late), 1 silent, 2 no coverage" in text
    # In 2024 none of Putin's feeds was watched yet: no coverage, not silence.
    assert "0 of 1 responded, 1 no coverage" in text
    assert text.index("United States captures") < text.index("Fall of Assad")  # newest first


def _events(n, putin, mfa):
    for i in range(n):
        event = f.event(slug=f"list-{n}-{i}", occurred_at=T0 + timedelta(days=i),
                        expected=[putin, mfa])
        event.tags.set([Tag.objects.get_or_create(slug=f"tag-{i}")[0]])
        f.link(event, f.statement(mfa, T0 + timedelta(days=i, hours=2)))


def test_the_event_list_takes_the_same_queries_for_2_or_10_events(
        client, django_assert_max_num_queries):
    putin, mfa = f.actor("vladimir-putin"), f.actor("russian-mfa", kind=Kind.INSTITUTION)
    _events(2, putin, mfa)
    with django_assert_max_num_queries(15) as few:
        page(client, reverse("event-list"))
    _events(10, putin, mfa)
    with django_assert_max_num_queries(15) as many:
        html = page(client, reverse("event-list"))
    assert html.count('<td class="primary" data-label="Event">') == 12
    assert len(few.captured_queries) == len(many.captured_queries)


def test_home_and_the_actor_list_take_the_same_queries_for_few_or_many_rows(
        client, django_assert_max_num_queries):
    putin, mfa = f.actor("vladimir-putin"), f.actor("russian-mfa", kind=Kind.INSTITUTION)
    _events(2, putin, mfa)
    with django_assert_max_num_queries(15) as home_few:
        page(client, reverse("home"))
    with django_assert_max_num_queries(10) as actors_few:
        page(client, reverse("actor-list"))
    _events(10, putin, mfa)
    for i in range(20):
        f.actor(f"member-{i}", parent=mfa)
    with django_assert_max_num_queries(15) as home_many:
        home = page(client, reverse("home"))
    with django_assert_max_num_queries(10) as actors_many:
        actors = page(client, reverse("actor-list"))
    assert len(set(re.findall(r'href="/statements/(\d+)/"', home))) == 12
    assert "Member 19" in actors
    assert len(home_few.captured_queries) == len(home_many.captured_queries)
    assert len(actors_few.captured_queries) == len(actors_many.captured_queries)


def test_home_shows_recent_events_and_the_latest_statements(client, maduro):
    html = page(client, reverse("home"))
    text = text_of(html)
    assert "United States captures Nicolás Maduro" in text
    assert "5 of 8 responded" in text
    latest = maduro["links"]["iran"].statement
    assert f'href="/statements/{latest.pk}/"' in html
    assert "Iran condemns the abduction of President Maduro" in text


# --- actors and statements ----------------------------------------------------------------


def test_the_actor_list_shows_kind_country_and_parent(client, maduro):
    html = page(client, reverse("actor-list"))
    text = text_of(html)
    assert [h for h in re.findall(r"<h2>(.*?)</h2>", html)] == [
        "States", "Institutions", "People", "International organisations"]
    putin = re.search(r'<tr>\s*<td class="primary" data-label="Name">'
                      r'<a href="/actors/vladimir-putin/">(.*?)</tr>', html, re.S)
    assert "Presidential Executive Office" in text_of(putin.group(1))  # part of
    assert "Russia and allies" in text_of(putin.group(1))  # its groups
    assert "RU" in text


def test_an_actor_profile_shows_its_record_across_events(client, maduro):
    mfa = maduro["actors"]["mfa"]
    html = page(client, mfa.get_absolute_url())
    text = text_of(html)
    assert "Part of Russia" in text
    assert "Maria Zakharova" in text  # a member, and its spokeswoman
    assert "MFA statements" in text  # its source
    assert "United States captures Nicolás Maduro" in text and "Responded" in text
    assert "+5.5 h" in text and "Condemns · intensity 2" in text
    assert "On preserving the sovereignty of Venezuela" in text  # recent statements

    putin = text_of(page(client, maduro["actors"]["putin"].get_absolute_url()))
    assert "Silent" in putin and "Spokespeople Dmitry Peskov" in putin
    assert "President of Russia" in putin


def test_an_actor_profile_takes_the_same_queries_however_many_events(
        client, django_assert_max_num_queries):
    putin, mfa = f.actor("vladimir-putin"), f.actor("russian-mfa", kind=Kind.INSTITUTION)
    _events(2, putin, mfa)
    with django_assert_max_num_queries(25) as few:
        page(client, mfa.get_absolute_url())
    _events(10, putin, mfa)
    with django_assert_max_num_queries(25) as many:
        page(client, mfa.get_absolute_url())
    assert len(few.captured_queries) == len(many.captured_queries)


def test_a_statement_page_shows_attribution_source_body_and_event_links(client, maduro):
    link = maduro["links"]["mfa"]
    statement = link.statement
    statement.body_html = "<p>This is <em>deeply concerning</em> and condemnable.</p>"
    statement.title = "Statement on <aggression>"
    statement.save()
    html = page(client, statement.get_absolute_url())
    assert "<em>deeply concerning</em>" in html  # sanitised upstream, rendered as HTML
    assert "Statement on &lt;aggression&gt;" in html  # every other field is escaped
    text = text_of(html)
    assert "Russian Ministry of Foreign Affairs — attributed by: feed's default actor" in text
    assert "MFA statements" in text and "2026-01-03 11:30 UTC" in text
    assert "United States captures Nicolás Maduro" in text and "+5.5 h" in text
    assert "armed aggression, condemnable" in text


def test_a_statement_page_takes_the_same_queries_for_one_or_many_event_links(
        client, django_assert_max_num_queries):
    mfa = f.actor("russian-mfa", kind=Kind.INSTITUTION)
    stmt = f.statement(mfa, T0, source=f.source(mfa))
    f.link(f.event(slug="first"), stmt)
    with django_assert_max_num_queries(12) as one:
        page(client, stmt.get_absolute_url())
    for i in range(8):
        f.link(f.event(slug=f"more-{i}", occurred_at=T0 + timedelta(hours=i)), stmt)
    with django_assert_max_num_queries(12) as many:
        html = page(client, stmt.get_absolute_url())
    assert all(f'href="/events/more-{i}/"' in html for i in range(8))
    assert len(one.captured_queries) == len(many.captured_queries)


def test_a_statement_added_by_hand_says_so(client):
    stmt = f.statement(None, T0)
    text = text_of(page(client, stmt.get_absolute_url()))
    assert "unattributed" in text and "added by an editor" in text

"""The issue's "Done when", end to end through the timeline JSON and the pages.

A feed that freezes, a feed with an entry dated 1900, a hand-added statement
awaiting review, and a notable silence that a later confirmation contradicts.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from statements.editorial import decisions as editorial
from statements.models import SilenceReview, Statement
from tests.factories import utc
from tests.scenarios import EVIDENCE_T0 as T0
from tests.scenarios import build_evidence_world, client_for, user_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(feed_server):
    return build_evidence_world(feed_server)


def rows(client, event):
    payload = client.get(reverse("event-timeline-json", args=[event.slug])).json()
    return {r["actor"]["slug"]: r for r in payload["responders"]}, payload["statements"]


def test_the_record_says_what_it_rests_on_and_follows_the_evidence(world):
    event, reader = world["event"], client_for("anonymous")
    adder, checker = user_in("Editor", "adder"), user_in("Editor", "checker")
    editorial.queue_silence_reviews(now=T0 + timedelta(days=5))
    reviews = {r.actor.slug: r for r in SilenceReview.objects.select_related("actor")}
    editorial.decide_silence(review=reviews["sergey-lavrov"], decision="notable", user=checker,
                             note="He spoke of Laos all week")

    responders, _ = rows(reader, event)

    # The frozen feed: no coverage, with the reason; feed health says the same.
    putin = responders["vladimir-putin"]
    assert (putin["status"], putin["standing"]) == ("no_coverage", "suggested")
    (kremlin,) = putin["evidence"]["sources"]
    assert kremlin["reason"] == "feed quiet since 3 Mar 2026; it usually publishes daily"
    assert kremlin["covers"] is False and kremlin["intervals"] == []
    health = reader.get(reverse("source-list")).content.decode()
    assert "feed quiet since 3 Mar 2026; it usually publishes daily" in health

    # The 1900 entry did not stretch the MFA's coverage back over the event.
    assert responders["russian-mfa"]["status"] == "no_coverage"
    odd = Statement.objects.get(entry_id="mfa-0")
    assert odd.implausible_date == utc(1900, 1, 1)
    assert "which is implausible" in reader.get(odd.get_absolute_url()).content.decode()
    home = reader.get("/").content.decode()
    assert "9999" not in home and "1900" not in home

    # A live feed vouches; the silence shows what Lavrov said instead and the decision.
    lavrov = responders["sergey-lavrov"]
    assert (lavrov["status"], lavrov["standing"]) == ("silent", "decision")
    assert lavrov["evidence"]["decision"]["decision"] == "notable"
    said = [s["title"] for s in lavrov["evidence"]["published_in_window"]]
    assert said == ["Talks with Laos (10 Mar)", "Talks with Laos (11 Mar)",
                    "Talks with Laos (12 Mar)"]  # the window ends on 13 Mar at 06:00
    page = reader.get(event.get_absolute_url()).content.decode()
    assert ("Does not vouch:</strong> feed quiet since 3 Mar 2026; it usually publishes daily"
            in page)
    assert "Talks with Laos (11 Mar)" in page
    assert "of 3 statuses checked by an editor" in page
    atom = reader.get(reverse("silences-feed")).content.decode()
    assert "Sergey Lavrov silent on" in atom

    # A hand-added statement awaits a second editor and changes nothing yet.
    statement = editorial.add_manual_statement(
        actor=world["lavrov"], event=event, user=adder, url="https://tv.example/lavrov",
        published_at=T0 + timedelta(hours=30), text="Lavrov on the port strike: a provocation.")
    responders, statements = rows(reader, event)
    assert responders["sergey-lavrov"]["status"] == "silent"
    (added,) = [s for s in statements if s["id"] == statement.pk]
    assert (added["manual_review"], added["counts"]) == ("awaiting_review", False)
    assert "added, awaiting review: does not count yet" in reader.get(
        event.get_absolute_url()).content.decode()

    # The second editor confirms it: the notable silence is contradicted and reopens.
    editorial.confirm_manual_statement(statement=statement, user=checker)

    responders, _ = rows(reader, event)
    assert (responders["sergey-lavrov"]["status"], responders["sergey-lavrov"]["standing"]) == (
        "responded", "confirmed")
    review = SilenceReview.objects.get(pk=reviews["sergey-lavrov"].pk)
    assert review.decision == "pending"
    assert review.reopened_reason.startswith("Reopened automatically")
    assert "Sergey Lavrov responded: “Lavrov on the port strike" in review.reopened_reason
    assert review.history.first().history_change_reason.startswith("Reopened automatically")
    assert "Sergey Lavrov silent on" not in reader.get(reverse("silences-feed")).content.decode()
    # Back in the queue with its reason, offering only what matches "responded" now.
    queue = client_for("Editor").get(reverse("review")).content.decode()
    item = queue[queue.index(f'id="silence-{review.pk}"'):]
    item = item[:item.index("</li>")]
    assert "Back in the queue." in item and 'data-status-now="responded"' in item
    assert "Confirm notable silence" not in item and "Close: answered since" in item
    # A later periodic run leaves it for the editor to read.
    editorial.queue_silence_reviews(now=T0 + timedelta(days=6))
    assert SilenceReview.objects.get(pk=review.pk).decision == "pending"


def test_the_queue_offers_no_notable_silence_on_no_coverage(world):
    editorial.queue_silence_reviews(now=T0 + timedelta(days=5))
    html = client_for("Editor").get(reverse("review")).content.decode()
    putin = html[html.index('data-review="', html.index("Vladimir Putin") - 400):]
    item = putin[:putin.index("</li>")]
    assert "Confirm notable silence" not in item
    assert "cannot be confirmed as a notable silence" in item


def test_one_filter_shows_only_the_claims_an_editor_checked(world):
    event, reader = world["event"], client_for("anonymous")
    checker = user_in("Editor", "checker")
    editorial.queue_silence_reviews(now=T0 + timedelta(days=5))
    review = SilenceReview.objects.get(actor__slug="sergey-lavrov")
    editorial.decide_silence(review=review, decision="notable", user=checker)

    payload = reader.get(reverse("event-timeline-json", args=[event.slug]),
                         {"checked": "on"}).json()

    assert [(r["actor"]["slug"], r["standing"]) for r in payload["responders"]] == [
        ("sergey-lavrov", "decision")]
    page = reader.get(event.get_absolute_url()).content.decode()
    assert "1 of 3 statuses checked by an editor." in page

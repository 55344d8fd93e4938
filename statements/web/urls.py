"""Every page of the site, in one place, grouped by area.

Each area is an include() under its own prefix, so a route never depends on the
order in which other files are included: "/events/new/" could not be captured
by "/events/<slug>/" of another module, because there is no other module.
Templates and code name routes only through {% url %} / reverse().
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from django.views.static import serve

from statements.web import api, feeds
from statements.web.views import (
    actors,
    backfill,
    changes,
    compare,
    curation,
    events,
    research,
    review,
)

event_urls = [
    path("", events.event_list, name="event-list"),
    path("<slug:slug>/", events.event_detail, name="event-detail"),
    path("<slug:slug>/timeline.csv", events.timeline_csv, name="event-timeline-csv"),
    path("<slug:slug>/responders.csv", events.responders_csv, name="event-responders-csv"),
    path("<slug:slug>/timeline.zip", events.timeline_package, name="event-timeline-package"),
    path("<slug:slug>/feed.atom", feeds.EventFeed(), name="event-feed"),
]

actor_urls = [
    path("", actors.actor_list, name="actor-list"),
    path("<slug:slug>/", actors.actor_detail, name="actor-detail"),
    path("<slug:slug>/compare/", compare.actor_compare, name="actor-compare"),
    path("<slug:slug>/feed.atom", feeds.ActorFeed(), name="actor-feed"),
]

statement_urls = [
    path("", research.statement_search, name="statement-search"),
    path("<int:pk>/", events.statement_detail, name="statement-detail"),
    path("<int:pk>/attribution/", review.statement_reattribute, name="statement-reattribute"),
]

matrix_urls = [
    path("", research.matrix_page, name="matrix"),
    path("<slug:event_slug>/<slug:actor_slug>/", research.matrix_cell, name="matrix-cell"),
]

# The read API (django-ninja), its OpenAPI document and docs: see statements/web/api.py.
# The timeline JSON is the fixed contract of DESIGN.md.
api_urls = api.urlpatterns

# Alerts: the page needs a login; the personal feed's signed token is its own key.
alert_urls = [
    path("", research.alert_list, name="alerts"),
    path("<int:pk>/delete/", research.alert_delete, name="alert-delete"),
    path("<int:pk>/toggle/", research.alert_toggle, name="alert-toggle"),
    path("feed-address/new/", research.alert_feed_rotate, name="alerts-feed-rotate"),
    path("<str:token>/feed.atom", login_not_required(feeds.AlertsFeed()), name="alerts-feed"),
]

# Editors.
review_urls = [
    path("", review.queue, name="review"),
    path("links/batch/", review.links_batch, name="review-links-batch"),
    path("links/<int:pk>/confirm/", review.link_confirm, name="review-link-confirm"),
    path("links/<int:pk>/reject/", review.link_reject, name="review-link-reject"),
    path("links/<int:pk>/stance/", review.link_stance, name="review-link-stance"),
    path("links/<int:pk>/undo/", review.link_undo, name="review-link-undo"),
    path("flags/new/", review.flag_create, name="review-flag-new"),
    path("flags/<int:pk>/close/", review.flag_close, name="review-flag-close"),
    path("silences/<int:pk>/decide/", review.silence_decide, name="review-silence-decide"),
    path("silences/<int:pk>/response/", review.silence_response, name="review-silence-response"),
    path("statements/new/", review.statement_create, name="review-statement-new"),
    path("statements/<int:pk>/confirm/", review.statement_confirm,
         name="review-statement-confirm"),
    path("statements/<int:pk>/withdraw/", review.statement_withdraw,
         name="review-statement-withdraw"),
    path("statements/<int:pk>/undo-reattribution/", review.statement_undo_reattribution,
         name="review-statement-undo-reattribution"),
    path("silences/<int:pk>/undo/", review.silence_undo, name="review-silence-undo"),
    path("flags/<int:pk>/reopen/", review.flag_reopen, name="review-flag-reopen"),
    path("history/<str:kind>/<int:pk>/", review.history, name="review-history"),
]

account_urls = [
    path("login/", review.login, name="login"),
    path("logout/", review.logout, name="logout"),
]

# Feed health is public reading; its actions and the forms are admins'.
source_urls = [
    path("", curation.source_list, name="source-list"),
    path("new/", curation.source_create, name="source-create"),
    path("new/preview/<str:token>/", curation.source_preview, name="source-preview"),
    path("<int:pk>/poll/", curation.source_poll, name="source-poll"),
    path("<int:pk>/pause/", curation.source_pause, name="source-pause"),
    path("<int:pk>/resume/", curation.source_resume, name="source-resume"),
    path("<int:pk>/backfill/", backfill.source_backfill, name="source-backfill"),
    path("opml/", curation.opml_import, name="source-opml-import"),
    path("sources.opml", curation.opml_export, name="source-opml-export"),
]

curation_urls = [
    path("", curation.curation_home, name="curation-home"),
    path("events/new/", curation.event_create, name="event-create"),
    path("events/<slug:slug>/edit/", curation.event_edit, name="event-edit"),
]

urlpatterns = [
    path("", events.home, name="home"),
    path("events/", include(event_urls)),
    path("actors/", include(actor_urls)),
    path("statements/", include(statement_urls)),
    path("matrix/", include(matrix_urls)),
    path("compare/", compare.compare_events, name="compare"),
    path("silences/feed.atom", feeds.SilencesFeed(), name="silences-feed"),
    path("changes/", changes.changes_page, name="changes"),
    path("changes/feed.atom", changes.ChangesFeed(), name="changes-feed"),
    path("api/", include(api_urls)),
    path("alerts/", include(alert_urls)),
    path("review/", include(review_urls)),
    path("accounts/", include(account_urls)),
    path("sources/", include(source_urls)),
    path("curate/", include(curation_urls)),
]

if settings.SERVE_SAMPLE_FEEDS:
    # Development only: the demo's feeds, served like any remote feed
    # (with Last-Modified, so polls get 304s). See statements/curation/sample.py.
    urlpatterns += [
        re_path(r"^sample-feeds/(?P<path>[\w.-]+)$", serve,
                {"document_root": settings.SAMPLE_FEEDS_DIR}, name="sample-feed"),
    ]

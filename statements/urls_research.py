"""Researchers' tools: search, the matrix, Atom feeds, the read API and alerts."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import api, feeds
from .views import research as views

urlpatterns = [
    path("statements/", views.statement_search, name="statement-search"),
    path("matrix/", views.matrix_page, name="matrix"),
    path("matrix/<slug:event_slug>/<slug:actor_slug>/", views.matrix_cell, name="matrix-cell"),
    # Atom feeds.
    path("actors/<slug:slug>/feed.atom", feeds.ActorFeed(), name="actor-feed"),
    path("events/<slug:slug>/feed.atom", feeds.EventFeed(), name="event-feed"),
    path("silences/feed.atom", feeds.SilencesFeed(), name="silences-feed"),
    # The read API (the timeline's fixed contract lives in statements/urls.py).
    path("api/", api.docs, name="api-docs"),
    path("api/events/", api.events, name="api-events"),
    path("api/events/<slug:slug>/", api.event, name="api-event"),
    path("api/actors/", api.actors, name="api-actors"),
    path("api/actors/<slug:slug>/", api.actor, name="api-actor"),
    path("api/statements/", api.statements, name="api-statements"),
    path("api/statements/<int:pk>/", api.statement, name="api-statement"),
    # Alerts: the page needs a login; the personal feed's signed token is its own key.
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:pk>/delete/", views.alert_delete, name="alert-delete"),
    path("alerts/<int:pk>/toggle/", views.alert_toggle, name="alert-toggle"),
    path("alerts/<str:token>/feed.atom", login_not_required(feeds.AlertsFeed()),
         name="alerts-feed"),
]

"""Admins' pages: feed health and sources, OPML, events from the site.

/sources/ is the feed-health page of DESIGN.md (public reading). The event
forms live under /curate/ because statements.urls, included before this
module, routes every /events/<slug>/ to the timeline ("new" included).
"""

from django.urls import path

from .views import curation as views

urlpatterns = [
    path("sources/", views.source_list, name="source-list"),
    path("sources/new/", views.source_create, name="source-create"),
    path("sources/new/preview/<str:token>/", views.source_preview, name="source-preview"),
    path("sources/<int:pk>/poll/", views.source_poll, name="source-poll"),
    path("sources/<int:pk>/pause/", views.source_pause, name="source-pause"),
    path("sources/<int:pk>/resume/", views.source_resume, name="source-resume"),
    path("sources/opml/", views.opml_import, name="source-opml-import"),
    path("sources/sources.opml", views.opml_export, name="source-opml-export"),
    path("curate/", views.curation_home, name="curation-home"),
    path("curate/events/new/", views.event_create, name="event-create"),
    path("curate/events/<slug:slug>/edit/", views.event_edit, name="event-edit"),
]

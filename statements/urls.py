from django.conf import settings
from django.urls import path, re_path
from django.views.static import serve

from .views import events as views

urlpatterns = [
    path("", views.home, name="home"),
    path("statements/<int:pk>/", views.statement_detail, name="statement-detail"),
    path("events/", views.event_list, name="event-list"),
    path("events/<slug:slug>/", views.event_detail, name="event-detail"),
    path("events/<slug:slug>/timeline.csv", views.timeline_csv, name="event-timeline-csv"),
    path("events/<slug:slug>/responders.csv", views.responders_csv, name="event-responders-csv"),
    path("api/events/<slug:slug>/timeline.json", views.timeline_json, name="event-timeline-json"),
]

if settings.SERVE_SAMPLE_FEEDS:
    # Development only: the demo's feeds, served like any remote feed
    # (with Last-Modified, so polls get 304s). See statements/sample.py.
    urlpatterns += [
        re_path(r"^sample-feeds/(?P<path>[\w.-]+)$", serve,
                {"document_root": settings.SAMPLE_FEEDS_DIR}, name="sample-feed"),
    ]

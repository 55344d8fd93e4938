from django.contrib import admin
from django.urls import include, path

from .health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("statements.urls")),
    path("", include("statements.urls_review")),  # editors: queue, links, flags, login
    path("", include("statements.urls_research")),  # search, matrix, feeds, API, alerts
    path("", include("statements.urls_curation")),  # admins: sources, events, imports
    path("", include("actors.urls")),
]

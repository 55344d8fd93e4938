"""Editors' pages and actions, and logging in and out."""

from django.urls import path

from .views import review as views

urlpatterns = [
    path("accounts/login/", views.login, name="login"),
    path("accounts/logout/", views.logout, name="logout"),
    path("review/", views.queue, name="review"),
    path("review/links/<int:pk>/confirm/", views.link_confirm, name="review-link-confirm"),
    path("review/links/<int:pk>/reject/", views.link_reject, name="review-link-reject"),
    path("review/links/<int:pk>/stance/", views.link_stance, name="review-link-stance"),
    path("review/links/<int:pk>/undo/", views.link_undo, name="review-link-undo"),
    path("review/flags/new/", views.flag_create, name="review-flag-new"),
    path("review/flags/<int:pk>/close/", views.flag_close, name="review-flag-close"),
    path("review/silences/<int:pk>/decide/", views.silence_decide, name="review-silence-decide"),
    path("review/silences/<int:pk>/response/", views.silence_response,
         name="review-silence-response"),
    path("review/statements/new/", views.statement_create, name="review-statement-new"),
    path("statements/<int:pk>/attribution/", views.statement_reattribute,
         name="statement-reattribute"),
    path("review/history/<str:kind>/<int:pk>/", views.history, name="review-history"),
]

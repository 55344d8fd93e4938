"""Feed credentials leave the URL, alert-feed keys per user (issue 14).

Feed credentials leave the URL: `https://user:secret@host/feed` was
shown on /sources/, statement pages, the API, exports, Atom feeds and worker logs.

Existing URLs are rewritten without their user info, which moves to the new
username/password fields: nothing is lost, the fetcher re-applies it. A URL whose
credential-free form another source already uses keeps its user info (and its
row): merging sources is an admin's decision, not a migration's.
"""

from urllib.parse import unquote, urlsplit, urlunsplit

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import statements.models


def split(url):
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    clean = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return clean, unquote(username), unquote(password)


def move_credentials(apps, schema_editor):
    Source = apps.get_model("statements", "Source")
    for source in Source.objects.filter(url__contains="@"):
        found = split(source.url)
        if found is None:
            continue
        clean, username, password = found
        if Source.objects.filter(url=clean).exclude(pk=source.pk).exists():
            continue
        Source.objects.filter(pk=source.pk).update(url=clean, username=username, password=password)


def put_back(apps, schema_editor):
    Source = apps.get_model("statements", "Source")
    for source in Source.objects.exclude(username="", password=""):
        parts = urlsplit(source.url)
        userinfo = source.username + (f":{source.password}" if source.password else "")
        netloc = f"{userinfo}@{parts.netloc}"
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        Source.objects.filter(pk=source.pk).update(url=url)


class Migration(migrations.Migration):
    dependencies = [
        ("statements", "0009_hot_path_ordering_and_alert_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="source",
            name="username",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="source",
            name="password",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.RunPython(move_credentials, put_back),
        # Personal alert-feed addresses become revocable one user at a time.
        migrations.CreateModel(
            name="AlertFeedKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("secret", models.CharField(default=statements.models.new_feed_secret,
                                            max_length=64)),
                ("rotated_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("user", models.OneToOneField(
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="alert_feed_key", to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]

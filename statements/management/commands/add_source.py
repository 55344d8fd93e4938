"""python manage.py add_source URL [--actor SLUG] [--language LANG]"""

from django import forms
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import RegexValidator, URLValidator

from actors.models import Actor
from statements.models import Source


class SourceForm(forms.ModelForm):
    # Only what the fetcher will accept: http(s), no ftp.
    url = forms.URLField(
        max_length=2000,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
    )
    actor = forms.ModelChoiceField(
        queryset=Actor.objects.all(),
        to_field_name="slug",
        required=False,
        error_messages={"invalid_choice": "No actor with the slug %(value)s."},
    )
    language = forms.CharField(
        max_length=10,
        required=False,
        validators=[
            RegexValidator(
                r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                "Use a language tag such as en, ru or pt-BR.",
            )
        ],
    )

    class Meta:
        model = Source
        fields = ["url", "actor", "language"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        existing = Source.objects.filter(url=url).first()
        if existing:
            raise forms.ValidationError(f"Source #{existing.pk} already has this URL.")
        return url


class Command(BaseCommand):
    help = "Add one feed to poll (it is fetched by the next poll, not now); prints its id."

    def add_arguments(self, parser):
        parser.add_argument("url", help="the feed's http(s) URL")
        parser.add_argument("--actor", metavar="SLUG", help="who speaks in this feed by default")
        parser.add_argument("--language", metavar="LANG", help="the feed's language, e.g. en, ru")

    def handle(self, *args, url, actor, language, **options):
        form = SourceForm(data={"url": url, "actor": actor or "", "language": language or ""})
        if not form.is_valid():
            problems = "; ".join(
                f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()
            )
            raise CommandError(f"Source not added. {problems}")
        source = form.save()
        self.stdout.write(f"Added source #{source.pk}: {source.url}")

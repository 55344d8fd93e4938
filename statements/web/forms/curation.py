"""Forms for the admins' pages: a source, a feed preview, an event, a two-step upload.

Every field is validated here before a domain function sees it; the forms
hold no business logic (statements.curation does the work).
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from functools import cache

from django import forms
from django.core.validators import URLValidator
from django.utils.text import slugify

from actors.models import Actor, ActorGroup
from statements.curation.datasets import LANG_RE, MAX_WINDOW_HOURS, SLUG_RE
from statements.curation.events import EventDraft
from statements.models import Event, Source

DEFAULT_TERM_LANGUAGES = ("en", "ru")
TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


@cache
def _zone_choices() -> list[tuple[str, str]]:
    # Read from the system's time zone database once per process, not per form.
    return [(zone, zone) for zone in sorted(zoneinfo.available_timezones())]


def _language(value: str) -> str:
    value = value.strip()
    if value and not LANG_RE.match(value):
        raise forms.ValidationError(f"“{value}” is not a language tag such as “en” or “ru”.")
    return value


class FeedPreviewForm(forms.Form):
    """What a preview needs: the URL, and who the feed speaks for, to attribute its entries."""

    url = forms.URLField(
        label="Feed URL", max_length=2000, assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        widget=forms.URLInput(attrs={"placeholder": "https://example.org/feed.xml",
                                     "autocomplete": "off"}),
    )
    actor = forms.ModelChoiceField(
        queryset=Actor.objects.order_by("name"), required=False, label="Default actor",
        empty_label="(none: only speakers named in titles)",
        help_text="Who speaks in this feed unless an entry names another speaker.",
    )
    language = forms.CharField(max_length=10, required=False,
                               help_text="Leave empty to take the feed's own.")

    def clean_language(self):
        return _language(self.cleaned_data["language"])


class SourceForm(FeedPreviewForm):
    title = forms.CharField(max_length=300, required=False,
                            help_text="Leave empty to take the feed's own title.")
    is_partial = forms.BooleanField(
        required=False, label="Partial feed",
        help_text=Source._meta.get_field("is_partial").help_text)
    is_active = forms.BooleanField(required=False, initial=True, label="Poll this feed")

    field_order = ["url", "title", "actor", "language", "is_partial", "is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        existing = Source.objects.filter(url=url).first()
        if existing is not None:
            raise forms.ValidationError(f"This feed is already a source: “{existing}”.")
        return url


class EventForm(forms.Form):
    """An event as admins edit it; `draft()` gives what curation.save_event takes."""

    title = forms.CharField(max_length=300)
    slug = forms.CharField(
        max_length=100, required=False,
        help_text="The event's address (/events/<slug>/). Leave empty to make it from the title.")
    occurred_at = forms.CharField(
        label="Time (T0)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="When it happened, in the time zone below; it is stored in UTC.")
    timezone = forms.ChoiceField(label="Time zone", initial="UTC")
    window_hours = forms.IntegerField(
        label="Response window (hours)", min_value=1, max_value=MAX_WINDOW_HOURS, initial=72)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    new_language = forms.CharField(
        max_length=10, required=False, label="Another language",
        help_text="A language tag such as “fa” or “zh”, with its terms beside it.")
    new_terms = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                label="Its terms")
    tags = forms.CharField(max_length=1000, required=False,
                           help_text="Tag slugs, separated by commas: venezuela, us-foreign-policy")
    expected_actors = forms.ModelMultipleChoiceField(
        queryset=Actor.objects.order_by("name"), required=False,
        widget=forms.CheckboxSelectMultiple)
    expected_groups = forms.ModelMultipleChoiceField(
        queryset=ActorGroup.objects.order_by("name"), required=False,
        widget=forms.CheckboxSelectMultiple)
    is_published = forms.BooleanField(required=False, initial=True, label="Published",
                                      help_text="Drafts are matched on saving but not listed.")

    def __init__(self, *args, event: Event | None = None, **kwargs):
        self.event = event
        if event is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": event.title, "slug": event.slug,
                "occurred_at": event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
                "timezone": "UTC", "window_hours": event.window_hours,
                "description": event.description,
                "tags": ", ".join(t.slug for t in event.tags.all()),
                "expected_actors": list(event.expected_actors.all()),
                "expected_groups": list(event.expected_groups.all()),
                "is_published": event.is_published,
            }
            for lang, words in _term_groups(event.terms).items():
                kwargs["initial"][f"terms_{lang}"] = "\n".join(words)
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = _zone_choices()
        if event is not None:
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = "Kept: links to the event use it."
        languages = list(DEFAULT_TERM_LANGUAGES)
        if event is not None:
            languages += [lang for lang in _term_groups(event.terms) if lang not in languages]
        if self.is_bound:  # a language added on an earlier round of this form
            languages += [key.removeprefix("terms_") for key in self.data
                          if key.startswith("terms_") and LANG_RE.match(key[6:])
                          and key[6:] not in languages]
        self.term_languages = languages
        for lang in languages:
            self.fields[f"terms_{lang}"] = forms.CharField(
                label=f"Terms ({lang})", required=False,
                widget=forms.Textarea(attrs={"rows": 4, "lang": lang}),
                help_text="One term per line; “Венесуэл…” or “Iran*” matches any ending.")

    @property
    def term_fields(self):
        return [self[f"terms_{lang}"] for lang in self.term_languages]

    def clean_slug(self):
        if self.event is not None:
            return self.event.slug
        slug = self.cleaned_data["slug"].strip() or slugify(self.cleaned_data.get("title", ""))
        slug = slug[:100]
        if not slug:
            return ""  # the title's own error says what is missing
        if not SLUG_RE.match(slug):
            raise forms.ValidationError("Use letters, digits, hyphens and underscores only.")
        if Event.objects.filter(slug=slug).exists():
            raise forms.ValidationError(f"An event with the slug “{slug}” exists already.")
        return slug

    def clean_occurred_at(self):
        raw = self.cleaned_data["occurred_at"].strip()
        for fmt in TIME_FORMATS:
            try:
                return datetime.strptime(raw, fmt)
            except ValueError:
                continue
        raise forms.ValidationError("Enter a date and time such as 2026-01-03 06:00.")

    def clean_tags(self):
        tags = []
        for tag in self.cleaned_data["tags"].replace(",", " ").split():
            if len(tag) > 100 or not SLUG_RE.match(tag):
                raise forms.ValidationError(
                    f"“{tag}” is not a tag slug (letters, digits, - and _).")
            if tag not in tags:
                tags.append(tag)
        return tags

    def clean_new_language(self):
        return _language(self.cleaned_data["new_language"])

    def clean(self):
        cleaned = super().clean()
        naive, zone = cleaned.get("occurred_at"), cleaned.get("timezone")
        if isinstance(naive, datetime) and zone:
            try:
                cleaned["occurred_at"] = _in_zone(naive, zone)
            except forms.ValidationError as error:
                self.add_error("occurred_at", error)
        terms: dict[str, list[str]] = {}
        for lang in self.term_languages:
            words = _lines(cleaned.get(f"terms_{lang}", ""))
            if words:
                terms[lang] = words
        new_language, new_terms = cleaned.get("new_language"), _lines(cleaned.get("new_terms", ""))
        if new_terms and not new_language:
            self.add_error("new_language", "Say which language these terms are in.")
        elif new_language and not new_terms and new_language not in terms:
            self.add_error("new_terms", "Give at least one term in this language.")
        elif new_language:
            terms[new_language] = list(dict.fromkeys(terms.get(new_language, []) + new_terms))
        cleaned["terms"] = terms
        return cleaned

    def draft(self) -> EventDraft:
        """The event the valid form describes (call after is_valid())."""
        data = self.cleaned_data
        return EventDraft(
            title=data["title"], slug=data["slug"], occurred_at=data["occurred_at"],
            window_hours=data["window_hours"], description=data["description"],
            terms=data["terms"], tags=data["tags"],
            expected_actors=list(data["expected_actors"]),
            expected_groups=list(data["expected_groups"]),
            is_published=data["is_published"],
        )


def _lines(text: str) -> list[str]:
    return list(dict.fromkeys(line.strip() for line in (text or "").splitlines() if line.strip()))


def _term_groups(terms) -> dict[str, list[str]]:
    """An event's terms per language, read as leniently as matching reads them."""
    if not isinstance(terms, dict):
        return {}
    groups = {}
    for lang, words in terms.items():
        words = [words] if isinstance(words, str) else words
        if isinstance(words, list):
            groups[str(lang)] = [w for w in words if isinstance(w, str)]
    return groups


def _in_zone(naive: datetime, zone_name: str) -> datetime:
    """A wall-clock time in a zone, as an aware UTC time; refused where the wall clock is
    ambiguous (clocks went back) or skipped (clocks went forward)."""
    zone = zoneinfo.ZoneInfo(zone_name)
    early, late = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if early.utcoffset() != late.utcoffset():
        back_and_forth = early.astimezone(UTC).astimezone(zone).replace(tzinfo=None, fold=0)
        if back_and_forth != naive:
            raise forms.ValidationError(
                f"{naive:%Y-%m-%d %H:%M} does not exist in {zone_name} (the clocks skipped it).")
        raise forms.ValidationError(
            f"{naive:%Y-%m-%d %H:%M} happens twice in {zone_name} (the clocks went back): "
            "give the time in UTC.")
    return early.astimezone(UTC)


class StagedUploadForm(forms.Form):
    """Step one uploads a file for a dry run; step two applies it by the token of that run."""

    file = forms.FileField(required=False)
    token = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("file") and not cleaned.get("token"):
            raise forms.ValidationError("Choose a file to upload.")
        return cleaned

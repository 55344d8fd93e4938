"""Forms for the editors' pages: each input is validated here before a domain
function sees it, and a bad value gets a message and changes nothing."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from actors.models import Actor
from statements.editorial.decisions import FlagFilters, LinkFilters
from statements.models import Event, EventLink, Flag, SilenceReview, Source, Stance, Statement
from statements.web import access

INTENSITY_CHOICES = [(0, "0 — none"), (1, "1 — a passing word"), (2, "2 — clear"),
                     (3, "3 — vitriolic")]


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form, saying so when django-axes has locked the client out.

    Axes refuses a locked-out pair or address inside authenticate(), before the
    password is checked, so a right guess during the lockout is refused too
    (and tells an attacker nothing).
    """

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                seconds = access.lockout_seconds(self.request)
                raise forms.ValidationError(
                    access.lockout_message(seconds), code="throttled"
                ) from None
            raise


# --- links ---------------------------------------------------------------------------


class StanceForm(forms.Form):
    stance = forms.ChoiceField(choices=Stance.choices)
    intensity = forms.TypedChoiceField(choices=INTENSITY_CHOICES, coerce=int)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("stance") == Stance.NEUTRAL and cleaned.get("intensity"):
            raise forms.ValidationError("A neutral statement has intensity 0.")
        return cleaned


class UndoForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ConfirmForm(forms.Form):
    """Nothing to fill in: the button is the decision."""


class ReasonForm(forms.Form):
    """Why an editor undoes a decision or withdraws a statement: kept in the history."""

    reason = forms.CharField(max_length=500, strip=True, error_messages={
        "required": "Say why: an undo is kept in the history with its reason."})


# --- flags ---------------------------------------------------------------------------


def _actor_field(**kwargs):
    return forms.ModelChoiceField(
        queryset=Actor.objects.order_by("name"), to_field_name="slug",
        error_messages={"invalid_choice": "There is no actor “%(value)s”."}, **kwargs)


def _event_field(**kwargs):
    return forms.ModelChoiceField(
        queryset=Event.objects.published().order_by("-occurred_at"), to_field_name="slug",
        error_messages={"invalid_choice": "There is no published event “%(value)s”."},
        **kwargs)


class FlagForm(forms.Form):
    """A new flag: on a statement, or on an actor for an event (hidden fields say which)."""

    kind = forms.ChoiceField(choices=Flag.Kind.choices)
    note = forms.CharField(required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    event = _event_field(required=False, widget=forms.HiddenInput)
    actor = _actor_field(required=False, widget=forms.HiddenInput)
    statement = forms.ModelChoiceField(queryset=Statement.objects.all(), required=False,
                                       widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("statement") and not (
                cleaned.get("event") and cleaned.get("actor")):
            raise forms.ValidationError("A flag is on a statement, or on an actor for an event.")
        return cleaned


class CloseFlagForm(forms.Form):
    status = forms.ChoiceField(choices=[(Flag.Status.RESOLVED, "Resolve"),
                                        (Flag.Status.DISMISSED, "Dismiss")])
    note = forms.CharField(required=False, max_length=2000,
                           widget=forms.TextInput(attrs={"placeholder": "what was done"}))


class LinkFilterForm(forms.Form):
    """The queue's filters for suggested links (GET), named apart from the flags'."""

    link_event = _event_field(required=False, empty_label="Any event", label="Event")
    link_actor = _actor_field(required=False, empty_label="Any speaker", label="Speaker")
    link_source = forms.ModelChoiceField(
        queryset=Source.objects.order_by("title", "url"), required=False,
        empty_label="Any source", label="Source",
        error_messages={"invalid_choice": "There is no such source."})
    link_language = forms.RegexField(
        regex=r"^[a-z]{2,3}$", required=False, label="Language", max_length=3,
        error_messages={"invalid": "A language is a code like en, ru, es."})

    def filters(self) -> LinkFilters:
        if not self.is_valid():
            return LinkFilters()
        c = self.cleaned_data
        return LinkFilters(event=c["link_event"], actor=c["link_actor"],
                           source=c["link_source"], language=c["link_language"] or "")

    @property
    def error_messages_list(self) -> list[str]:
        return [m for errors in self.errors.values() for m in errors] if self.is_bound else []


class BatchLinksForm(forms.Form):
    """A selection of suggested links, confirmed or rejected at once."""

    link = forms.ModelMultipleChoiceField(
        queryset=EventLink.objects.filter(status=EventLink.Status.SUGGESTED)
        .select_related("event", "statement"),
        error_messages={"required": "Select at least one suggested link.",
                        "invalid_choice": "A selected link was decided meanwhile; reload."})
    action = forms.ChoiceField(choices=[(EventLink.Status.CONFIRMED, "Confirm selected"),
                                        (EventLink.Status.REJECTED, "Reject selected")])


class FlagFilterForm(forms.Form):
    """The queue's flag filters (GET). Invalid values are reported and the
    default view (open flags) is shown instead."""

    event = _event_field(required=False, empty_label="Any event")
    actor = _actor_field(required=False, empty_label="Any actor")
    kind = forms.ChoiceField(
        choices=[("", "Any kind"), *Flag.Kind.choices], required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a kind of flag."})
    status = forms.ChoiceField(
        choices=[(Flag.Status.OPEN, "Open"), (Flag.Status.RESOLVED, "Resolved"),
                 (Flag.Status.DISMISSED, "Dismissed"), ("any", "Any status")],
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a flag status."})

    def filters(self) -> FlagFilters:
        if not self.is_valid():
            return FlagFilters()
        status = self.cleaned_data["status"] or Flag.Status.OPEN
        return FlagFilters(
            event=self.cleaned_data["event"], actor=self.cleaned_data["actor"],
            kind=self.cleaned_data["kind"], status="" if status == "any" else status)

    def error_messages_list(self) -> list[str]:
        if not self.is_bound or self.is_valid():
            return []
        return [message for errors in self.errors.values() for message in errors]


# --- silences ------------------------------------------------------------------------


class SilenceDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[
        (SilenceReview.Decision.NOTABLE, "Confirm as a notable silence"),
        (SilenceReview.Decision.DISMISSED, "Dismiss"),
        (SilenceReview.Decision.ANSWERED, "Close: answered since"),
    ])
    note = forms.CharField(required=False, max_length=2000,
                           widget=forms.TextInput(attrs={"placeholder": "why (optional)"}))


# --- statements ----------------------------------------------------------------------

_AWARE = re.compile(
    r"^\s*(?P<date>\d{4}-\d{2}-\d{2})[ T](?P<time>\d{1,2}:\d{2}(?::\d{2})?)"
    r"\s*(?P<offset>Z|UTC|[+-]\d{2}:?\d{2})?\s*$", re.IGNORECASE)
TIMEZONES = sorted(zoneinfo.available_timezones() - {"UTC", "localtime", "Factory"})
# How far ahead of our clock a statement's time may be (a clock slightly off, not a typo).
FUTURE_SLACK = timedelta(minutes=10)


def parse_local_time(raw: str, zone_name: str) -> datetime:
    """'2026-01-04 15:00 +03:00' → that moment in UTC; without an offset the
    time is read in `zone_name`."""
    match = _AWARE.match(raw or "")
    if not match:
        raise forms.ValidationError(
            "Write the time as YYYY-MM-DD HH:MM, optionally with an offset "
            "(e.g. 2026-01-04 15:00 +03:00).")
    offset = (match["offset"] or "").upper()
    text = f"{match['date']} {match['time']}"
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise forms.ValidationError(f"“{text}” is not a real date and time.") from None
    if offset in ("Z", "UTC"):
        return naive.replace(tzinfo=UTC)
    if offset:
        digits = offset.replace(":", "")
        aware = datetime.fromisoformat(f"{text}{digits[:3]}:{digits[3:]}")
        return aware.astimezone(UTC)
    return timezone.make_aware(naive, zoneinfo.ZoneInfo(zone_name)).astimezone(UTC)


class ManualStatementForm(forms.Form):
    """A statement found outside the feeds, for one event."""

    actor = _actor_field(label="Who said it")
    event = _event_field(label="The event it answers")
    published_at = forms.CharField(
        label="When (date and time)", max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "2026-01-04 15:00 +03:00"}),
        help_text="With an offset, or read in the timezone below. Stored in UTC.")
    tz = forms.ChoiceField(label="Timezone", choices=[("UTC", "UTC")] + [(z, z) for z in TIMEZONES],
                           initial="UTC", required=False,
                           help_text="Used only when the time above has no offset.")
    url = forms.URLField(label="URL", required=True, max_length=2000, assume_scheme="https",
                         help_text="Where it can be checked: the video, the post, the transcript.")
    title = forms.CharField(required=False, max_length=500)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}),
                           help_text="The words, as said or as transcribed.")
    language = forms.RegexField(
        regex=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", max_length=10, required=False, initial="en",
        help_text="A language code: en, ru, es, fa…",
        error_messages={"invalid": "Use a language code such as en, ru or pt-BR."})
    stance = forms.ChoiceField(choices=[("", "Detect from the text"), *Stance.choices],
                               required=False)
    intensity = forms.TypedChoiceField(choices=[("", "—"), *INTENSITY_CHOICES], coerce=int,
                                       required=False, empty_value=None)

    def clean(self):
        cleaned = super().clean()
        raw = cleaned.get("published_at")
        if raw is not None:
            try:
                when = parse_local_time(raw, cleaned.get("tz") or "UTC")
            except forms.ValidationError as error:
                self.add_error("published_at", error)
            else:
                if when > timezone.now() + FUTURE_SLACK:
                    self.add_error("published_at", "That time is in the future.")
                cleaned["published_at"] = when
        if cleaned.get("stance") and cleaned.get("intensity") is None:
            self.add_error("intensity", "Give the intensity of the stance you chose.")
        if cleaned.get("stance") == Stance.NEUTRAL and cleaned.get("intensity"):
            self.add_error("intensity", "A neutral statement has intensity 0.")
        return cleaned

    def statement_fields(self) -> dict:
        """The cleaned values as add_manual_statement's keyword arguments (less actor/event)."""
        c = self.cleaned_data
        return {"published_at": c["published_at"], "text": c["text"], "url": c["url"],
                "title": c["title"], "language": c["language"], "stance": c["stance"],
                "intensity": c["intensity"]}


class FoundResponseForm(ManualStatementForm):
    """The same, for a silence under review: its actor and event are given."""

    note = forms.CharField(required=False, max_length=2000, label="Note for the record")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["actor"], self.fields["event"]


class ReattributeForm(forms.Form):
    actor = _actor_field(label="Who really said it")

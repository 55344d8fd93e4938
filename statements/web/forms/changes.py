"""Forms for /changes/ and for starting a backfill: every input validated first."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django import forms

from actors.models import Actor
from statements.research.changes import KIND_LABELS


class ChangesFilterForm(forms.Form):
    actor = forms.ModelChoiceField(
        queryset=Actor.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="Any actor",
        error_messages={"invalid_choice": "There is no actor “%(value)s”."},
    )
    kind = forms.ChoiceField(
        choices=[("", "Any change"), *KIND_LABELS.items()],
        required=False,
        label="Change",
        error_messages={
            "invalid_choice": "“%(value)s” is not a kind of change (use one of: "
            + ", ".join(KIND_LABELS)
            + ")."
        },
    )
    format = forms.ChoiceField(
        choices=[("", "Page"), ("csv", "CSV")],
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a format (use csv)."},
    )

    def selection(self) -> dict:
        """The filters to apply: none at all when any value is invalid."""
        if not self.is_valid():
            return {"actor": None, "kind": ""}
        return {"actor": self.cleaned_data["actor"], "kind": self.cleaned_data["kind"]}

    def error_messages_list(self) -> list[str]:
        return [message for errors in self.errors.values() for message in errors]


class BackfillForm(forms.Form):
    until = forms.DateField(
        required=False,
        label="Back to (date, UTC)",
        help_text="Stop once entries this old are reached; empty walks the whole archive.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    max_pages = forms.IntegerField(
        required=False, min_value=1, max_value=100_000, label="At most this many pages"
    )

    def until_at(self) -> datetime | None:
        day = self.cleaned_data.get("until")
        return datetime.combine(day, time.min, tzinfo=UTC) if day else None

"""Forms for the read pages: every GET filter is validated before it narrows anything."""

from django import forms

from actors.models import ActorGroup
from statements.models import EventLink, Stance
from statements.timeline.selector import LINK_STATUS_ANY, TimelineFilters


class TimelineFilterForm(forms.Form):
    """The timeline page's filters. Invalid values are reported and ignored, never a 500."""

    group = forms.ModelChoiceField(
        queryset=ActorGroup.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="All actors",
        label="Actor group",
        error_messages={"invalid_choice": "There is no actor group “%(value)s”."},
    )
    stance = forms.ChoiceField(
        choices=[("", "Any stance"), *Stance.choices],
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a stance (use one of: "
                        + ", ".join(Stance.values) + ")."},
    )
    link_status = forms.ChoiceField(
        choices=[("", "Suggested and confirmed"), *EventLink.Status.choices,
                 (LINK_STATUS_ANY, "Any, rejected included")],
        required=False,
        label="Link status",
        error_messages={"invalid_choice": "“%(value)s” is not a link status (use one of: "
                        + ", ".join([*EventLink.Status.values, LINK_STATUS_ANY]) + ")."},
    )

    checked = forms.BooleanField(required=False, label="Only claims an editor checked")

    # Exports only: a byte-order mark, for spreadsheets that read UTF-8 only with one.
    bom = forms.BooleanField(required=False, label="UTF-8 with BOM (for Excel)")

    def filters(self) -> TimelineFilters:
        """The filters to apply: none at all when any value is invalid."""
        if not self.is_valid():
            return TimelineFilters()
        return TimelineFilters(
            group=self.cleaned_data["group"],
            stance=self.cleaned_data["stance"],
            link_status=self.cleaned_data["link_status"],
            checked=self.cleaned_data["checked"],
        )

    def error_messages_list(self) -> list[str]:
        if not self.is_bound or self.is_valid():
            return []
        return [message for errors in self.errors.values() for message in errors]

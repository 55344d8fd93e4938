"""The comparison pages' one input: which events, as a comma-separated list of slugs."""

from django import forms

from statements.models import Event
from statements.research.compare import MAX_EVENTS


class CompareForm(forms.Form):
    events = forms.CharField(
        required=False,
        label="Events (slugs, separated by commas)",
        help_text=f"Two to {MAX_EVENTS} events, e.g. venezuela-crisis-2019,maduro-capture-2026.",
    )

    def clean_events(self) -> list[Event]:
        slugs = []
        for slug in (self.cleaned_data.get("events") or "").split(","):
            if slug.strip() and slug.strip() not in slugs:
                slugs.append(slug.strip())
        if not slugs:
            return []
        if len(slugs) > MAX_EVENTS:
            raise forms.ValidationError(f"Compare at most {MAX_EVENTS} events at once.")
        found = {e.slug: e for e in Event.objects.published().filter(slug__in=slugs)
                 .prefetch_related("tags")}
        unknown = [s for s in slugs if s not in found]
        if unknown:
            raise forms.ValidationError(
                "No published event is called " + ", ".join(f"“{s}”" for s in unknown) + ".")
        return [found[s] for s in slugs]

    def chosen(self) -> list[Event]:
        return self.cleaned_data["events"] if self.is_valid() else []

    def error_messages_list(self) -> list[str]:
        if not self.is_bound or self.is_valid():
            return []
        return [message for errors in self.errors.values() for message in errors]

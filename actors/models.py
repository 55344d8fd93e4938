"""Who can speak: people, institutions, states and international organisations."""

from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from simple_history.models import HistoricalRecords

from actors.countries import validate_country_code


class ActorQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Actor(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        INSTITUTION = "institution", "Institution"
        STATE = "state", "State"
        ORGANIZATION = "organization", "International organisation"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # ISO 3166-1 alpha-2; empty for international bodies. Validated against the
    # maintained list (actors/countries.py), so the admin cannot store "XX".
    country = models.CharField(max_length=2, blank=True, validators=[validate_country_code])
    description = models.TextField(blank=True)
    wikidata_id = models.CharField(max_length=20, blank=True)
    is_active = models.BooleanField(default=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    # Dmitry Peskov speaks for Vladimir Putin: Peskov.speaks_for = [Putin].
    speaks_for = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="spokespeople"
    )

    objects = ActorQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("actor-detail", args=[self.slug])

    @property
    def is_person(self) -> bool:
        return self.kind == self.Kind.PERSON


class Alias(models.Model):
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="aliases")
    text = models.CharField(max_length=200)
    # BCP 47 language tag ("en", "ru"); empty when the name is the same in every language.
    lang = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["lang", "text"]
        constraints = [
            models.UniqueConstraint(
                "actor", Lower("text"), "lang", name="alias_unique_per_actor_and_lang"
            )
        ]
        verbose_name_plural = "aliases"

    def __str__(self):
        return f"{self.text} ({self.lang})" if self.lang else self.text


class Role(models.Model):
    """A person's position in an institution over time (for the profile and the ladder)."""

    person = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="roles")
    institution = models.ForeignKey(
        Actor, on_delete=models.CASCADE, related_name="positions", null=True, blank=True
    )
    title = models.CharField(max_length=200)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    is_spokesperson = models.BooleanField(
        default=False, help_text="The person speaks for the institution in this role."
    )
    # The words by which feeds name the office, per language: {"en": ["President",
    # "Presidential"], "ru": ["Президент"]}. "Statement by the President" in the
    # institution's feed is this person's while the role is held (attribution by office).
    terms = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_on", "title"]

    def __str__(self):
        where = f", {self.institution}" if self.institution_id else ""
        return f"{self.person}: {self.title}{where}"


class ActorGroup(models.Model):
    """A named list of actors ("Russia and allies", "P5") used to say who is expected to respond."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(Actor, related_name="groups", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

"""What was said, where it came from, and which event it is about."""

import secrets
from datetime import timedelta
from urllib.parse import unquote, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models, router
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from actors.models import Actor, ActorGroup
from statements.text.terms import search_vector_literal

# Statements published this long before T0 may still be about the event
# (leaks, warnings); those after the window count as late answers this long.
CANDIDATE_LEAD = timedelta(hours=24)
CANDIDATE_TAIL = timedelta(days=30)


class SourceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def due(self, now):
        return self.active().filter(
            models.Q(next_poll_at__isnull=True) | models.Q(next_poll_at__lte=now)
        )


def split_url_credentials(url: str) -> tuple[str, str, str]:
    """`https://user:secret@host/feed` → ("https://host/feed", "user", "secret").

    A secret inside a URL ends up everywhere a URL is shown or logged (pages,
    API, exports, Atom feeds, worker logs), so a source keeps it apart and the
    fetcher re-applies it, as HTTP Basic, only to the feed's own origin.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, "", ""
    if "@" not in parts.netloc:
        return url, "", ""
    userinfo, _, hostport = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    clean = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return clean, unquote(username), unquote(password)


class Source(models.Model):
    """One feed, with the state needed to poll it politely."""

    url = models.URLField(max_length=2000, unique=True)
    # HTTP Basic credentials, never part of `url` (see split_url_credentials).
    # Shown to nobody: only the admin form sets them and only fetching reads them.
    username = models.CharField(max_length=200, blank=True)
    password = models.CharField(max_length=500, blank=True)
    title = models.CharField(max_length=300, blank=True)
    site_url = models.URLField(max_length=2000, blank=True)
    language = models.CharField(max_length=10, blank=True)
    actor = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sources",
        help_text="Who speaks in this feed unless an entry names another speaker.",
    )
    is_active = models.BooleanField(default=True)
    is_partial = models.BooleanField(
        default=False,
        help_text="A filtered or curated feed: it does not list everything the actor "
        "publishes, so it never vouches for a silence.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    # Polling state.
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    body_hash = models.CharField(max_length=64, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["title", "url"]

    def __str__(self):
        return self.title or self.url

    def save(self, *args, **kwargs):
        # Every path that stores a URL (forms, admin, OPML, datasets) goes through
        # here or calls keep_credentials_apart() before a bulk insert.
        self.keep_credentials_apart()
        super().save(*args, **kwargs)

    def keep_credentials_apart(self) -> None:
        """Move `user:secret@` out of the URL into username/password."""
        url, username, password = split_url_credentials(self.url or "")
        if url != self.url:
            self.url, self.username, self.password = url, username, password


class FetchAttempt(models.Model):
    """One poll of a source: the feed-health log and the evidence behind coverage."""

    class Outcome(models.TextChoices):
        OK = "ok", "Fetched"
        NOT_MODIFIED = "not_modified", "Not modified (304)"
        UNCHANGED = "unchanged", "Unchanged body"
        ERROR = "error", "Failed"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="attempts")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    entries_seen = models.PositiveIntegerField(default=0)
    entries_new = models.PositiveIntegerField(default=0)
    # The date of the oldest entry the feed listed: a successful fetch vouches
    # that the source published nothing else between it and finished_at.
    oldest_entry_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # A feed that parsed with problems (feedparser's "bozo") still stores what it read.
    warning = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["source", "started_at"])]

    def __str__(self):
        return f"{self.source} @ {self.started_at:%Y-%m-%d %H:%M}: {self.outcome}"

    @property
    def succeeded(self) -> bool:
        return self.outcome != self.Outcome.ERROR


class CoverageInterval(models.Model):
    """A span over which a source is known to have published nothing we lack.

    The fetch log, compacted: each successful fetch vouches for [oldest entry
    listed, fetch time], a 304 or an unchanged body extends the interval of the
    fetch before it, and overlapping spans merge. Kept up to date by
    statements.coverage as attempts are recorded, and rebuildable from the log,
    so a timeline can show the evidence behind "silent" in one query.
    """

    class Origin(models.TextChoices):
        POLL = "poll", "Polls of the feed"
        BACKFILL = "backfill", "Archive pages of the feed"
        ARCHIVE = "archive", "Imported archive file"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="coverage")
    start = models.DateTimeField()
    end = models.DateTimeField()
    # Polls, a backfill of the feed's archive pages and an imported archive file
    # vouch by different evidence; each origin's rows merge only among themselves,
    # and a reader takes their union (statements.responses.coverage).
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.POLL)
    # The imported file behind an ARCHIVE interval, named in the evidence panel.
    archive = models.ForeignKey(
        "ArchiveImport", null=True, blank=True, on_delete=models.CASCADE, related_name="coverage"
    )

    class Meta:
        # No default ordering ("source" sorted by the source's title, a join on
        # every coverage write): readers order by start themselves.
        indexes = [models.Index(fields=["source", "end"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="coverage_start_before_end"
            )
        ]

    def __str__(self):
        return f"{self.source}: {self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M}"


class StatementQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Rows that come without a search vector get one from the project's normaliser,
        so any bulk insert (a fixture, an import) is searchable like a polled entry."""
        objs = list(objs)
        if connections[self.db].vendor == "postgresql":
            for obj in objs:
                if obj.search_vector is None:
                    obj.search_vector = obj.search_vector_literal()
        return super().bulk_create(objs, *args, **kwargs)


class Statement(models.Model):
    class Attribution(models.TextChoices):
        FEED_DEFAULT = "feed_default", "Feed's default actor"
        NAME_MATCH = "name_match", "Speaker named in the title"
        BY_OFFICE = "by_office", "Office named in the title (dated role)"
        EDITOR = "editor", "Set by an editor"

    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.PROTECT, related_name="statements"
    )
    actor = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="statements"
    )
    attribution = models.CharField(max_length=20, choices=Attribution.choices)
    # How the speaker was decided, in words a reader can check ("by office:
    # President, held by Vladimir Putin since 2012-05-07"); statements.ingest.attribution.
    attribution_note = models.CharField(max_length=300, blank=True)
    # A speaker the title names from outside the feed's institution: a feed speaks
    # for its own institution, so this is a suggestion for editors, never the actor.
    suggested_actor = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The language version this statement translates (the first one stored):
    # a statement and its translations count once (statements.ingest.translations).
    translation_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="translations"
    )
    # Stable identity within the source: the feed's id, else its link, else a hash.
    entry_id = models.CharField(max_length=500)
    url = models.URLField(max_length=2000, blank=True)
    title = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    body_text = models.TextField(blank=True)
    language = models.CharField(max_length=10, blank=True)
    published_at = models.DateTimeField(db_index=True)
    # The entry carried no date: published_at is the time we first saw it.
    published_at_estimated = models.BooleanField(default=False)
    # The date the feed claimed when it was implausible (long before the source was
    # added, or after the fetch): kept here as provenance, while published_at holds the
    # fetch time so the entry sorts sensibly and never stretches coverage.
    implausible_date = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)
    content_hash = models.CharField(max_length=64)
    # The entry as the feed gave it, for provenance.
    raw = models.JSONField(default=dict, blank=True)
    # Added by an editor for a response outside the feeds (a TV interview, a Telegram post).
    is_manual = models.BooleanField(default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class ManualReview(models.TextChoices):
        NOT_MANUAL = "", "From a feed"
        AWAITING = "awaiting_review", "Added, awaiting review"
        CONFIRMED = "confirmed", "Confirmed by a second editor"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # A hand-added statement changes a public status only once a second editor
    # confirmed it (statements.editorial.manual).
    manual_review = models.CharField(
        max_length=20, choices=ManualReview.choices, default="", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    # Full-text search (PostgreSQL only): the keys (lemmas, stems) of the title
    # (weight A) and body (weight B) from statements.text.terms, the same
    # normaliser as matching, written at insert time as a 'simple' tsvector
    # (Statement.save, the pipeline's bulk insert; migration 0007 replaced the
    # trigger that re-parsed with Snowball). Null on SQLite, where
    # statements.research.search matches the same keys in Python.
    search_vector = SearchVectorField(null=True, editable=False)

    # After publication (statements.ingest.revisions): the stored text is the first
    # version seen and stays; later versions are StatementRevision rows.
    edited_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The feed stopped listing the entry while older neighbours were still listed.
    unlisted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Its own address answered 404/410 or redirected to a listing.
    removed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    removal_checked_at = models.DateTimeField(null=True, blank=True)

    objects = StatementQuerySet.as_manager()

    # Editorial changes (re-attribution, manual entries) are kept with who and when;
    # the feed's own text is provenance and is not versioned here.
    history = HistoricalRecords(
        excluded_fields=["raw", "body_html", "body_text", "content_hash", "search_vector"])

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "entry_id"], name="statement_unique_entry")
        ]
        indexes = [
            models.Index(fields=["actor", "published_at"]),
            # The alert run reads "fetched since its last run": a range scan.
            models.Index(fields=["fetched_at"], name="statement_fetched_at_idx"),
        ]

    def __str__(self):
        return self.title or self.body_text[:80] or f"Statement {self.pk}"

    def save(self, *args, **kwargs):
        # The search index is written with the row (no trigger re-parses it), so a
        # statement saved one by one (an editor's, a fixture's) is searchable too.
        if connections[kwargs.get("using") or router.db_for_write(Statement)].vendor == (
            "postgresql"
        ):
            self.search_vector = self.search_vector_literal()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_vector"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("statement-detail", args=[self.pk])

    def search_vector_literal(self) -> str:
        """The tsvector of this statement, from the project's one normaliser."""
        return search_vector_literal(self.title or "", self.body_text or "", self.language)

    @property
    def awaiting_review(self) -> bool:
        return self.is_manual and self.manual_review == self.ManualReview.AWAITING

    @property
    def is_withdrawn(self) -> bool:
        return self.is_manual and self.manual_review == self.ManualReview.WITHDRAWN


# Hand-added statements that do not count (yet, or any more).
UNCONFIRMED_MANUAL = (Statement.ManualReview.AWAITING, Statement.ManualReview.WITHDRAWN)


class Tag(models.Model):
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.slug


class EventQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def candidates_for(self, published_at):
        """Events whose candidate range contains the moment `published_at`."""
        return self.filter(candidate_from__lte=published_at, candidate_until__gte=published_at)


class Event(models.Model):
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=100, unique=True)
    occurred_at = models.DateTimeField(help_text="T0, in UTC.")
    window_hours = models.PositiveIntegerField(
        default=72, validators=[MinValueValidator(1), MaxValueValidator(24 * 365)]
    )
    description = models.TextField(blank=True)
    # {"en": ["Maduro", "Venezuela"], "ru": ["Мадуро", "Венесуэла"]}
    terms = models.JSONField(default=dict, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="events")
    expected_actors = models.ManyToManyField(Actor, blank=True, related_name="expected_in")
    expected_groups = models.ManyToManyField(ActorGroup, blank=True, related_name="expected_in")
    is_published = models.BooleanField(default=True)
    # Derived from occurred_at and window_hours on save, so that "which events
    # could this statement be about" is one indexed range query.
    candidate_from = models.DateTimeField(editable=False, db_index=True)
    candidate_until = models.DateTimeField(editable=False, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EventQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["candidate_from", "candidate_until", "updated_at"])

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.candidate_from = self.occurred_at - CANDIDATE_LEAD
        self.candidate_until = self.window_ends_at + CANDIDATE_TAIL
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"occurred_at", "window_hours"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "candidate_from", "candidate_until"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("event-detail", args=[self.slug])

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.window_hours)

    @property
    def window_ends_at(self):
        return self.occurred_at + self.window


class Stance(models.TextChoices):
    CONDEMNS = "condemns", "Condemns"
    CONCERN = "concern", "Concern"
    SUPPORTS = "supports", "Supports"
    NEUTRAL = "neutral", "Neutral"


# A suggested link counts toward a status from this relevance up (see
# statements.ingest.relevance for the score and README "Accuracy" for how it was set).
RELEVANCE_THRESHOLD = 0.5


class EventLinkQuerySet(models.QuerySet):
    def counting(self):
        """The links that count toward a response status (DESIGN.md): not rejected,
        and not on a hand-added statement that no second editor has confirmed.
        The same rule as EventLink.counts_toward_status, for in-memory rows."""
        return self.exclude(status=EventLink.Status.REJECTED).exclude(
            statement__is_manual=True,
            statement__manual_review__in=UNCONFIRMED_MANUAL,
        ).exclude(
            # A suggestion that only mentions the event waits for an editor;
            # a confirmed link always counts.
            status=EventLink.Status.SUGGESTED,
            relevance__lt=RELEVANCE_THRESHOLD,
        ).exclude(
            # A translation counts once: through its original, when that is linked too.
            models.Exists(
                EventLink.objects.filter(
                    statement_id=models.OuterRef("statement__translation_of_id"),
                    event_id=models.OuterRef("event_id"),
                ).exclude(status=EventLink.Status.REJECTED)
            )
        )


class EventLink(models.Model):
    """A statement about an event: suggested by term matching or set by an editor."""

    class Method(models.TextChoices):
        AUTO = "auto", "Term match"
        EDITOR = "editor", "Editor"

    class Status(models.TextChoices):
        SUGGESTED = "suggested", "Suggested"
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Rejected"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="links")
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="links")
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.AUTO)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUGGESTED)
    matched_terms = models.JSONField(default=list, blank=True)
    stance = models.CharField(max_length=10, choices=Stance.choices, default=Stance.NEUTRAL)
    intensity = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(3)]
    )
    # The words that gave the stance away, so a reader can check the scorer.
    cues = models.JSONField(default=list, blank=True)
    # True once an editor set stance/intensity: re-scoring leaves them alone.
    stance_by_editor = models.BooleanField(default=False)
    # How much the statement is ABOUT the event, 0–1 (statements.ingest.relevance):
    # below RELEVANCE_THRESHOLD a suggested link is a mention (a greeting naming
    # the country, one topic in a list) and does not count toward a status.
    relevance = models.FloatField(default=1.0)
    # Where the event's terms occur and why the score is what it is.
    relevance_evidence = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = EventLinkQuerySet.as_manager()

    class Meta:
        # No default ordering: one across relations joined Event and Statement into
        # every query, ingestion's included. Lists order explicitly.
        constraints = [
            models.UniqueConstraint(fields=["event", "statement"], name="eventlink_unique"),
            models.CheckConstraint(
                condition=models.Q(intensity__gte=0, intensity__lte=3),
                name="eventlink_intensity_0_3",
            ),
        ]
        # The alert run reads "links made since its last run": a range scan.
        indexes = [models.Index(fields=["created_at"], name="eventlink_created_at_idx")]

    def __str__(self):
        return f"{self.statement} → {self.event} ({self.status})"

    @property
    def is_editor_decision(self) -> bool:
        return self.status != self.Status.SUGGESTED

    @property
    def is_mention(self) -> bool:
        """Below the relevance threshold: the statement names the event, it is not about it."""
        return self.relevance < RELEVANCE_THRESHOLD

    @property
    def counts_toward_status(self) -> bool:
        """EventLinkQuerySet.counting(), for a link already loaded with its statement."""
        if self.status == self.Status.REJECTED:
            return False
        if self.status == self.Status.SUGGESTED and self.is_mention:
            return False
        statement = self.statement
        return not (statement.is_manual
                    and statement.manual_review in UNCONFIRMED_MANUAL)


class Flag(models.Model):
    """An editor's note on an (event, actor) pair or on a statement."""

    class Kind(models.TextChoices):
        NOTABLE_SILENCE = "notable_silence", "Notable silence"
        MISSING_RESPONSE = "missing_response", "Response missing from our data"
        WRONG_ATTRIBUTION = "wrong_attribution", "Wrong attribution"
        WRONG_LINK = "wrong_link", "Wrong link"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        DISMISSED = "dismissed", "Dismissed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    actor = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    statement = models.ForeignKey(
        Statement, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(statement__isnull=False)
                | models.Q(event__isnull=False, actor__isnull=False),
                name="flag_has_a_target",
            )
        ]

    def __str__(self):
        target = self.statement or f"{self.actor} on {self.event}"
        return f"{self.get_kind_display()}: {target}"


class SilenceReview(models.Model):
    """An expected actor whose window closed without a response, queued once for an editor."""

    class Decision(models.TextChoices):
        PENDING = "pending", "Awaiting review"
        NOTABLE = "notable", "Confirmed notable silence"
        DISMISSED = "dismissed", "Dismissed"
        RESPONSE_FOUND = "response_found", "Response found elsewhere"
        ANSWERED = "answered", "Answered since (closed automatically)"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="silence_reviews")
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="silence_reviews")
    # The derived status when the window closed: silent or no_coverage.
    status_at_close = models.CharField(max_length=20)
    decision = models.CharField(max_length=20, choices=Decision.choices, default=Decision.PENDING)
    note = models.TextField(blank=True)
    # The manual statement an editor recorded when the response was found elsewhere.
    response = models.ForeignKey(
        Statement, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Why a decided silence came back to the queue (new evidence, or an editor's undo).
    reopened_reason = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "actor"], name="silence_review_once")
        ]

    def __str__(self):
        return f"{self.actor} on {self.event}: {self.get_decision_display()}"


def new_feed_secret() -> str:
    return secrets.token_urlsafe(24)


class AlertFeedKey(models.Model):
    """A user's secret for the personal alerts feed's address.

    The address's token is signed over this secret and the user's password hash
    (statements.alerts.delivery.feed_token): a new secret, or a new password,
    revokes every address given out before, for that user alone.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_feed_key"
    )
    secret = models.CharField(max_length=64, default=new_feed_secret)
    rotated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Alert feed key of {self.user}"


class Subscription(models.Model):
    """What a logged-in user wants to hear about; statements.alerts evaluates these."""

    class Kind(models.TextChoices):
        ACTOR_SPEAKS = "actor_speaks", "An actor speaks"
        STILL_SILENT = "still_silent", "An expected actor is still silent N hours after an event"
        BREAKS_SILENCE = "breaks_silence", "A leader speaks after staying silent through the window"
        ESCALATION = "escalation", "A stance escalates"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_subscriptions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Each of these narrows the subscription; left empty, it means "any".
    actor = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    tag = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # For "still silent": how many hours after T0 a silence is worth an alert.
    hours = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(24 * 365)]
    )
    created_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "active"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="still_silent") | models.Q(hours__isnull=False),
                name="subscription_silence_has_hours",
            )
        ]

    def __str__(self):
        return f"{self.user}: {self.describe()}"

    def describe(self) -> str:
        """A sentence a reader recognises: 'Vladimir Putin speaks about #venezuela'."""
        who = self.actor.name if self.actor_id else None
        about = []
        if self.event_id:
            about.append(f"“{self.event.title}”")
        if self.tag_id:
            about.append(f"#{self.tag.slug}")
        on = f" on {' and '.join(about)}" if about else ""
        if self.kind == self.Kind.ACTOR_SPEAKS:
            return f"{who or 'Anyone'} speaks{on}"
        if self.kind == self.Kind.STILL_SILENT:
            return f"{who or 'An expected actor'} still silent {self.hours} h after an event{on}"
        if self.kind == self.Kind.BREAKS_SILENCE:
            return f"{who or 'A leader'} speaks after staying silent through the window{on}"
        return f"{who or 'An actor'} escalates its stance{on}"


class Alert(models.Model):
    """One occurrence delivered to one subscription: unique, so it is never delivered twice."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="alerts")
    # What happened, as a stable key ("statement:42", "silent:7:3"): the unique
    # constraint below is what makes delivery once-only, across runs and workers.
    occurrence_key = models.CharField(max_length=200)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    title = models.CharField(max_length=500)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)  # a path on this site
    # The delivery run that inserted the row: a run e-mails only rows it holds.
    batch = models.UUIDField(null=True, blank=True, db_index=True)
    # When a run last took the row for e-mailing; a failed send is retried after a while.
    attempted_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "occurrence_key"], name="alert_once_per_occurrence"
            )
        ]
        indexes = [models.Index(fields=["emailed_at", "attempted_at"])]

    def __str__(self):
        return self.title


class StatementRevision(models.Model):
    """A later version of a statement, as its feed served it again with other content."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="revisions")
    seen_at = models.DateTimeField()
    title = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    body_text = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["statement", "seen_at", "id"]
        constraints = [
            # A version seen again (A → B → A → B) is one row: its first sighting.
            models.UniqueConstraint(
                fields=["statement", "content_hash"], name="statement_revision_once"
            )
        ]

    def __str__(self):
        return f"{self.statement} (version of {self.seen_at:%Y-%m-%d %H:%M})"


class BackfillCheckpoint(models.Model):
    """Where a backfill of a source's archive pages stands: resumable after a kill."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Finished"
        STOPPED = "stopped", "Stopped at a limit"
        FAILED = "failed", "Failed"

    source = models.OneToOneField(Source, on_delete=models.CASCADE, related_name="backfill")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    # How the feed pages: "rfc5005" (next / prev-archive links) or "param:<name>".
    mode = models.CharField(max_length=40, blank=True)
    next_url = models.URLField(max_length=2000, blank=True)
    page_number = models.PositiveIntegerField(default=1)
    pages_done = models.PositiveIntegerField(default=0)
    pages_total = models.PositiveIntegerField(null=True, blank=True)
    entries_seen = models.PositiveIntegerField(default=0)
    entries_new = models.PositiveIntegerField(default=0)
    pages_missing = models.PositiveIntegerField(default=0)
    # The oldest entry date reached so far (the progress a reader cares about).
    reached_at = models.DateTimeField(null=True, blank=True)
    # The oldest entry of the last page stored, while pages have been contiguous:
    # the next page's coverage joins up to it. Null after a missing page.
    chain_oldest_at = models.DateTimeField(null=True, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    max_pages = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Backfill of {self.source}: {self.get_state_display()}, {self.pages_done} pages"


class ArchiveImport(models.Model):
    """One archive file imported into a source; vouches only for the span it is complete for."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="archive_imports")
    file_name = models.CharField(max_length=500)
    mapping = models.JSONField(default=dict, blank=True)
    # Stated by the admin; both empty means partial: the file vouches for nothing.
    complete_from = models.DateTimeField(null=True, blank=True)
    complete_to = models.DateTimeField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    rows_new = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(complete_from__isnull=True, complete_to__isnull=True)
                | models.Q(complete_from__lte=models.F("complete_to")),
                name="archive_complete_span_ordered",
            )
        ]

    def __str__(self):
        return self.file_name

    @property
    def is_partial(self) -> bool:
        return self.complete_from is None

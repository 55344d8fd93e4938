"""One settings file, configured from the environment.

With nothing set, the app runs as a development demo: a SQLite file in the
project folder and Celery tasks executed eagerly in-process. Production sets
DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG=0 and ALLOWED_HOSTS.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY") or _DEV_SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])

if not DEBUG:
    # Development defaults are refused in production rather than silently used.
    if SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("DEBUG is off: set SECRET_KEY to a random string of 32+ chars")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DEBUG is off: set ALLOWED_HOSTS (comma-separated)")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
    # Production is served over TLS (usually by a proxy in front of gunicorn):
    # plain HTTP is redirected and browsers are told to stay on HTTPS.
    # `manage.py check --deploy` passes with these (tests/security/test_deploy_checks.py).
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    # Preload is on so `check --deploy` is clean; a site not ready for the browsers'
    # preload list (every subdomain on HTTPS for good) sets SECURE_HSTS_PRELOAD=0.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # The proxy says the original request was HTTPS; only trust it when one is there.
    if env_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The health check is probed over plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "simple_history",
    # Failed logins, per user name and client address, for every login path.
    "axes",
    # The read API; listed so that its Swagger UI is served from static files, not a CDN.
    "ninja",
    "actors",
    "statements",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Reading pages need a login when PUBLIC_READING is off.
    "statements.web.access.ReadingAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Records who made each change in the edit history.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a lockout flagged during authentication into the 429 page.
    "axes.middleware.AxesMiddleware",
]

# --- Security ---------------------------------------------------------------------

# Content-Security-Policy (django-csp) on every response: scripts and styles only
# from this site's static files, nothing inline (htmx's injected indicator style
# is turned off by the htmx-config meta tag in base.html), images only from here
# (feed bodies' remote images are turned into links at ingest), no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login throttling (django-axes) for the site's login and /admin/login/ alike.
# A lockout is keyed by the pair (user name, client address): failing five times
# with someone's name locks out that name *from that address* only, so an attacker
# cannot lock a real user out; and by the address alone, so one address cannot guess
# at many accounts. Counts live in the database (AxesDatabaseHandler), not in the
# cache: with Redis down, logins still work and are still throttled.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "statements.web.access.client_address"
AXES_LOCKOUT_CALLABLE = "statements.web.access.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
# Failed attempts are kept; successful logins need no row of their own.
AXES_DISABLE_ACCESS_LOG = True

if not DEBUG:
    # The development server serves static files itself; production uses whitenoise.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # The site's filters (times as the domain writes them), in every template.
            "builtins": ["statements.web.templatetags.tracker"],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            # WAL and a busy timeout let the demo's eager tasks and the dev server share the file.
            "OPTIONS": {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
if os.environ.get("TEST_DATABASE_NAME"):
    # Lets several test runs share one PostgreSQL server without clobbering each other.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ["TEST_DATABASE_NAME"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared across web processes when Redis is there (login throttling needs that).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Reading pages are public by default; set PUBLIC_READING=0 to require a login.
# Every change needs a login and the right role, whatever this says.
PUBLIC_READING = env_bool("PUBLIC_READING", True)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# --- Celery -----------------------------------------------------------------

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    # The embedded default: no broker, tasks run in the calling process.
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it ends, not when it starts: a worker killed mid-fetch
# leaves its message unacknowledged, and Redis hands it to a worker again once the
# visibility timeout has passed. The timeout fits the longest fetch (one total
# deadline, FEED_TIMEOUT_SECONDS) plus storing, so redelivery takes under a minute,
# not Redis's default hour; idle workers look for such messages every 5 s. A task
# still running past it may run twice: every task is idempotent at the database.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_VISIBILITY_SECONDS = env_int(
    "CELERY_TASK_VISIBILITY_SECONDS", 2 * env_int("FEED_TIMEOUT_SECONDS", 20) + 5
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_TASK_VISIBILITY_SECONDS,
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
    # With Redis down, queueing fails within seconds instead of hanging a request.
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5,
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "poll-due-sources": {
        "task": "statements.tasks.poll_due_sources",
        "schedule": crontab(minute="*"),
    },
    "queue-silence-reviews": {
        "task": "statements.tasks.queue_silence_reviews",
        "schedule": crontab(minute="*/10"),
    },
    "send-alerts": {
        "task": "statements.tasks.send_alerts",
        "schedule": crontab(minute="*/5"),
    },
    "recheck-removals": {
        "task": "statements.tasks.recheck_removals",
        "schedule": crontab(minute=17),
    },
}
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tracker@localhost")
# The public address of the site, for absolute links in e-mails.
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")

# --- Feeds ------------------------------------------------------------------

# Feeds on loopback/private/link-local addresses are refused unless allowed:
# a feed URL is user input, and fetching it must not reach internal services.
FEED_ALLOW_PRIVATE_HOSTS = env_bool("FEED_ALLOW_PRIVATE_HOSTS", False)
FEED_TIMEOUT_SECONDS = env_int("FEED_TIMEOUT_SECONDS", 20)
FEED_MAX_BYTES = env_int("FEED_MAX_BYTES", 5 * 1024 * 1024)
FEED_MAX_REDIRECTS = 5
FEED_USER_AGENT = "StatementTracker/0.1 (+https://github.com/statement-tracker)"
FEED_POLL_INTERVAL = timedelta(minutes=env_int("FEED_POLL_INTERVAL_MINUTES", 15))
FEED_MAX_BACKOFF = timedelta(hours=env_int("FEED_MAX_BACKOFF_HOURS", 24))
# Politeness across all workers (statements.ingest.politeness): one fetch at a time
# per host, this far apart; a server's Retry-After is honoured up to the cap; the
# adaptive interval follows each feed's rhythm within these bounds.
FEED_HOST_SPACING_SECONDS = float(os.environ.get("FEED_HOST_SPACING_SECONDS", "1.0"))
FEED_MAX_RETRY_AFTER = timedelta(hours=env_int("FEED_MAX_RETRY_AFTER_HOURS", 6))
FEED_ADAPTIVE_POLLING = env_bool("FEED_ADAPTIVE_POLLING", True)
FEED_MIN_POLL_INTERVAL = timedelta(minutes=env_int("FEED_MIN_POLL_INTERVAL_MINUTES", 5))
FEED_MAX_POLL_INTERVAL = timedelta(hours=env_int("FEED_MAX_POLL_INTERVAL_HOURS", 6))
# Backfills walk a feed's archive pages: at least this long between two requests
# to one host (a server's Retry-After, when longer, wins), and a backfill stops
# after this many consecutive missing pages.
BACKFILL_HOST_SPACING_SECONDS = float(os.environ.get("BACKFILL_HOST_SPACING_SECONDS", "1.0"))
BACKFILL_MAX_MISSING_PAGES = env_int("BACKFILL_MAX_MISSING_PAGES", 3)
# Statements no longer listed by their feed: how many of their own addresses one
# run re-checks, and how often one statement is re-checked (removal confirmation).
REMOVAL_RECHECK_BATCH = env_int("REMOVAL_RECHECK_BATCH", 20)
REMOVAL_RECHECK_INTERVAL = timedelta(hours=env_int("REMOVAL_RECHECK_INTERVAL_HOURS", 24))

# The sample feeds in sample/feeds/ are served by the development server under
# this prefix, so the demo's sources poll like real ones. Never in production.
SAMPLE_FEEDS_DIR = BASE_DIR / "sample" / "feeds"
# feedparser's and Miniflux's test feeds, for the robustness tests. They live beside
# this checkout in development and CI; a public clone points here or goes without.
FEED_CORPUS_DIR = Path(os.environ.get("FEED_CORPUS_DIR", BASE_DIR.parent / "shared" / "corpus"))
SAMPLE_FEEDS_BASE_URL = os.environ.get(
    "SAMPLE_FEEDS_BASE_URL", "http://127.0.0.1:8000/sample-feeds/"
)
SERVE_SAMPLE_FEEDS = DEBUG

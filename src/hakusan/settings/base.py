"""Settings shared by every deployment. The embedded default (``embedded.py``) needs no
configuration; production (``production.py``) reads everything from the environment."""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

SRC_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = SRC_DIR.parent.parent


def data_dir() -> Path:
    """Where the embedded default keeps its SQLite file, uploads and models."""
    default = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "hakusan"
    path = Path(os.environ.get("HAKUSAN_DATA_DIR", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


DATA_DIR = data_dir()
MEDIA_ROOT = DATA_DIR / "uploads"
MODEL_DIR = DATA_DIR / "models"


def prepared_lookups() -> bool:
    """PostgreSQL: observable lookups run as prepared statements (their plan is most of their
    time). HAKUSAN_PG_PREPARED_LOOKUPS=0 behind a pooler in transaction mode that does not
    track prepared statements (PgBouncer before 1.21, or without max_prepared_statements)."""
    return os.environ.get("HAKUSAN_PG_PREPARED_LOOKUPS", "1") != "0"


def postgresql_options() -> dict:
    """Django turns psycopg's prepared statements off (``prepare_threshold`` None); its own
    cursors bind on the client and never prepare, so a threshold only lets the server-binding
    cursor of ``indicators.selectors`` lookups prepare."""
    return {"prepare_threshold": 5 if prepared_lookups() else None}


def database_from_env(default_sqlite: Path) -> dict:
    url = os.environ.get("HAKUSAN_DATABASE_URL") or f"sqlite:///{default_sqlite}"
    config = dj_database_url.parse(url, conn_max_age=60 if url.startswith("postgres") else 0)
    if config["ENGINE"].endswith("postgresql"):
        config["OPTIONS"] = postgresql_options()
    if config["ENGINE"].endswith("sqlite3"):
        # WAL lets the in-process job thread write while requests read.
        config["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
        config["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    return config


def embedded_secret_key() -> str:
    """A per-installation key kept in the data directory, never in the repository."""
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DATABASES = {"default": database_from_env(DATA_DIR / "hakusan.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "hakusan.core",
    "hakusan.indicators",
    "hakusan.intake",
    "hakusan.cases",
    "hakusan.analysis",
    "hakusan.partners",
    "hakusan.sharing",
    "hakusan.taxii",
    "hakusan.federation",
    "hakusan.misp",
    "hakusan.blocklists",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hakusan.core.middleware.NoStoreForAuthenticatedMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "hakusan.core.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hakusan.urls"
WSGI_APPLICATION = "hakusan.wsgi.application"
AUTH_USER_MODEL = "core.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hakusan.core.context_processors.navigation",
            ],
        },
    },
]

# --- authentication -------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:login"
# Lock-out after repeated failures (django-axes): per user name and address.
AXES_FAILURE_LIMIT = int(os.environ.get("HAKUSAN_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("HAKUSAN_LOCKOUT_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False
# Sessions expire after inactivity and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("HAKUSAN_SESSION_SECONDS", str(60 * 60 * 8)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less header set in base.html
OTP_TOTP_ISSUER = "Hakusan"

# --- browser security: in every deployment, the embedded default included ---------------------
# Scripts and styles only from our own static files: no inline script, handler or style
# attribute anywhere (data reaches scripts through json_script and data- attributes). The
# one inline <style> is the printable attribution report's (its @page margin boxes carry the
# campaign's TLP and translated title): it carries the response's nonce, and the nonce
# appears in the header only on that response. img-src data: is for Bootstrap's SVG icons.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"

# --- i18n: Japanese first, English available --------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Tokyo"  # display; storage is UTC (USE_TZ)
USE_TZ = True

# --- static files: from npm at install time, served by WhiteNoise (closed network, no CDN) -----
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [
    ("vendor/htmx", REPO_DIR / "frontend" / "node_modules" / "htmx.org" / "dist"),
    ("vendor/bootstrap", REPO_DIR / "frontend" / "node_modules" / "bootstrap" / "dist"),
    ("vendor/cytoscape", REPO_DIR / "frontend" / "node_modules" / "cytoscape" / "dist"),
]
STATICFILES_DIRS = [(prefix, path) for prefix, path in STATICFILES_DIRS if path.exists()]
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media-not-served/"  # attachments are never served as-is

# --- uploads --------------------------------------------------------------------------------
HAKUSAN_MAX_ATTACHMENT_BYTES = int(os.environ.get("HAKUSAN_MAX_ATTACHMENT_MB", "20")) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- REST API ---------------------------------------------------------------------------------
# Staff API tokens (core.ApiToken, stored as digests) expire after this many days unless
# issued with another lifetime.
HAKUSAN_API_TOKEN_DAYS = int(os.environ.get("HAKUSAN_API_TOKEN_DAYS", "90"))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hakusan.api_auth.ApiTokenAuthentication",
        "hakusan.api_auth.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON with limits (depth, size, numbers, no NaN/Infinity or lone surrogates): a 400, never a 500.
    "DEFAULT_PARSER_CLASSES": [
        "hakusan.core.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hakusan API",
    "DESCRIPTION": "Reports, cases and observables of a prefectural police cyber division.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "PREPROCESSING_HOOKS": ["hakusan.api_schema.only_api_paths"],
}
# Our identity in shared data (STIX identity, MISP Orgc).
HAKUSAN_ORGANISATION = os.environ.get("HAKUSAN_ORGANISATION", "Hakusan")
# Blocklist feeds carry only sightings at least this confident ("verified").
HAKUSAN_BLOCKLIST_MIN_CONFIDENCE = int(os.environ.get("HAKUSAN_BLOCKLIST_MIN_CONFIDENCE", "50"))

# --- jobs: in-process by default, Celery on Redis when HAKUSAN_REDIS_URL is set ---------------
HAKUSAN_REDIS_URL = os.environ.get("HAKUSAN_REDIS_URL", "")
CELERY_BROKER_URL = HAKUSAN_REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A running job touches its heartbeat this often; a RUNNING job on another host whose
# heartbeat is older than the stale limit is marked failed when a worker or server starts.
HAKUSAN_JOB_HEARTBEAT_SECONDS = float(os.environ.get("HAKUSAN_JOB_HEARTBEAT_SECONDS", "30"))
HAKUSAN_JOB_STALE_SECONDS = float(os.environ.get("HAKUSAN_JOB_STALE_SECONDS", "600"))
CELERY_BEAT_SCHEDULE = {
    "escalate-overdue": {
        "task": "hakusan.run_periodic",
        "schedule": 300.0,
        "args": ("intake.escalate_overdue", {}),
    },
    "retrain-triage": {
        "task": "hakusan.run_periodic",
        "schedule": 86400.0,
        "args": ("intake.retrain_triage", {}),
    },
    "indicators-reflag": {
        "task": "hakusan.run_periodic",
        "schedule": 86400.0,
        "args": ("indicators.reflag_warninglists", {}),
    },
    "indicators-enrich": {
        "task": "hakusan.run_periodic",
        "schedule": 3600.0,
        "args": ("indicators.enrich", {}),
    },
    "analysis-refresh": {
        "task": "hakusan.run_periodic",
        "schedule": 900.0,
        "args": ("analysis.refresh", {}),
    },
    "federation-pull-due": {
        "task": "hakusan.run_periodic",
        "schedule": 60.0,
        "args": ("federation.pull_due", {}),
    },
    "federation-push-due": {
        "task": "hakusan.run_periodic",
        "schedule": 60.0,
        "args": ("federation.push_due", {}),
    },
    "taxii-publish": {
        "task": "hakusan.run_periodic",
        "schedule": 600.0,
        "args": ("taxii.publish", {}),
    },
}

# --- domain settings --------------------------------------------------------------------------
HAKUSAN_CYBER_DIVISION_CODE = os.environ.get("HAKUSAN_CYBER_DIVISION_CODE", "cyber")
HAKUSAN_DEFAULT_SLA_HOURS = int(os.environ.get("HAKUSAN_DEFAULT_SLA_HOURS", "24"))
# Values sighted in more cases than this are "too common": flagged, carry no weight in campaign
# suggestions and are not expanded in the case graph (MISP's default correlation limit).
HAKUSAN_TOO_COMMON = int(os.environ.get("HAKUSAN_TOO_COMMON", "100"))
HAKUSAN_PG_PREPARED_LOOKUPS = prepared_lookups()  # see prepared_lookups()

# --- audit log (docs/architecture.md, "Audit log: threat model") ------------------------------
# The HMAC key of the chain: the key itself, or a file holding it (default <data dir>/audit.key,
# created on first use). Keep it off the database's volume; losing it fails every later verify.
HAKUSAN_AUDIT_KEY = os.environ.get("HAKUSAN_AUDIT_KEY", "")
HAKUSAN_AUDIT_KEY_FILE = os.environ.get("HAKUSAN_AUDIT_KEY_FILE", "")
# The head checkpoint (count, last id, last hash; HMAC'd) rewritten after each committed append.
HAKUSAN_AUDIT_CHECKPOINT_FILE = os.environ.get(
    "HAKUSAN_AUDIT_CHECKPOINT_FILE", str(DATA_DIR / "audit.checkpoint")
)
# Also send each checkpoint to the local syslog (a second copy outside the database).
HAKUSAN_AUDIT_SYSLOG = os.environ.get("HAKUSAN_AUDIT_SYSLOG", "") == "1"
# Only the test settings set this: lets `flush` (which pytest-django runs after transactional
# tests) lift the append-only triggers for the length of the flush.
HAKUSAN_AUDIT_ALLOW_FLUSH = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HAKUSAN_LOG_LEVEL", "WARNING")},
}

SECRET_KEY = ""  # set by the concrete settings module

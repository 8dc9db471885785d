"""Settings, read from the environment (12-factor).

Every value has a development default so that a fresh checkout runs with no
configuration: SQLite under ./var, a local Redis, mail printed to the console.
A bad value (DEBUG=maybe, REMINDER_WINDOWS=abc) stops start-up with a message
instead of being silently ignored: django-environ raises on what it cannot cast.
"""

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Runtime files (SQLite database, evidence uploads, collected static) stay out of the source tree.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# APP_ENV=production makes SECRET_KEY, ALLOWED_HOSTS and CSRF_TRUSTED_ORIGINS mandatory,
# refuses DEBUG=true and turns on the HTTPS-only settings below (README: Production).
APP_ENV = env.str("APP_ENV", default="development")
if APP_ENV not in {"development", "production", "test"}:
    raise environ.ImproperlyConfigured(
        f"APP_ENV must be development, production or test, not {APP_ENV!r}"
    )
PRODUCTION = APP_ENV == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION:
    if DEBUG:
        raise environ.ImproperlyConfigured(
            "DEBUG=true is refused with APP_ENV=production: it shows settings and code to anyone."
        )
    SECRET_KEY = env.str("SECRET_KEY", default="")
    # Django's own deploy check (security.W009): at least 50 characters, 5 distinct ones.
    if (
        len(SECRET_KEY) < 50
        or len(set(SECRET_KEY)) < 5
        or SECRET_KEY.startswith("django-insecure-")
    ):
        raise environ.ImproperlyConfigured(
            "SECRET_KEY is missing or too short for APP_ENV=production: set at least 50 random "
            "characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
    for _name, _value in (
        ("ALLOWED_HOSTS", ALLOWED_HOSTS),
        ("CSRF_TRUSTED_ORIGINS", CSRF_TRUSTED_ORIGINS),
    ):
        if not _value:
            raise environ.ImproperlyConfigured(
                f"{_name} is required with APP_ENV=production (comma-separated, e.g. "
                "ALLOWED_HOSTS=duban.example.gov.cn, CSRF_TRUSTED_ORIGINS=https://duban.example.gov.cn)"
            )
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key")
    ALLOWED_HOSTS = env.list(
        "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"]
    )
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_filters",
    "simple_history",
    "import_export",
    "django_celery_beat",
    "tracker.apps.CeleryResultsConfig",  # django-celery-results, named in Chinese
    "commitments",
    "commitments.jobs",
    "tracker.apps.AxesConfig",  # django-axes, named in Chinese
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # before anything reads the body (CSRF reads request.POST): refuses an oversized request
    "tracker.security.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # last: turns a login refused by django-axes into the lockout page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "commitments.context_processors.nav",
            ],
        },
    },
]

# SQLite is the embedded default; DATABASE_URL=postgres://… selects PostgreSQL.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; wait instead of failing on a lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
    # Tests use a file, not the in-memory default, so that two connections (threads of a
    # concurrency test, a Celery worker thread) can write at once as they do in production.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(VAR_DIR / "test-db.sqlite3")
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks every login first (lockout after AXES_FAILURE_LIMIT failures for one
# username from one address), then Django's ModelBackend checks the password.
AUTHENTICATION_BACKENDS = [
    "tracker.security.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "tracker.security.client_ip"
# Proxies in front of the app that append to X-Forwarded-For (0: use the socket address).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_VERBOSE = False
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_HOURS", default=24) * 3600
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "ledger"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [
    BASE_DIR / "commitments" / "locale",
    # django-axes ships no Chinese: its admin names in Chinese (not a dir named "locale",
    # so that makemessages keeps writing the app's strings to commitments/locale)
    BASE_DIR / "tracker" / "i18n" / "axes",
]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing directory before collectstatic
STORAGES = {
    # Evidence files live outside the static files and outside any public URL: they are
    # streamed by a view that checks who may see the commitment.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.path("EVIDENCE_ROOT", default=VAR_DIR / "evidence")},
    },
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        ),
    },
}
MEDIA_URL = None  # never served publicly

# Uploads: evidence files have a type and size limit (checked in the form, too).
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
EVIDENCE_ALLOWED_EXTENSIONS = env.list(
    "EVIDENCE_ALLOWED_EXTENSIONS",
    default=["pdf", "jpg", "jpeg", "png", "docx", "xlsx", "doc", "xls", "txt", "ofd", "zip"],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A request whose Content-Length is above this is refused with 413 before anything parses
# it. One update may carry several evidence files: three at the limit, plus the form.
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=3 * EVIDENCE_MAX_BYTES + 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
REPORT_MAX_BYTES = env.int("REPORT_MAX_BYTES", default=5 * 1024 * 1024)
# A re-seed that would mark more than this share (%) of a report's commitments as gone is
# refused unless seed_report --allow-removals: a truncated file must not retire the ledger.
SEED_MAX_REMOVED_SHARE = env.int("SEED_MAX_REMOVED_SHARE", default=10)

# The ledger's "today": empty means the real date; a demo of a past year pins it (2017-09-30).
LEDGER_TODAY = env.get_value(
    "LEDGER_TODAY", cast=lambda v: dt.date.fromisoformat(v) if v else None, default=None
)

# Status rules (红黄绿灯): one place computes them, these are the knobs.
RAG_TOLERANCE_PERCENT = env.int("RAG_TOLERANCE_PERCENT", default=15)
STALE_AFTER_DAYS = env.int("STALE_AFTER_DAYS", default=45)

# The supervision cycle: a unit acknowledges (签收) an assignment within N days, or it is
# listed as 未签收 and chased in the reminder digest; blue urging notices (督办单) are proposed
# this many days before the deadline; a notice asks for a reply within N days by default.
ACKNOWLEDGE_WITHIN_DAYS = env.int("ACKNOWLEDGE_WITHIN_DAYS", default=3)
URGING_DUE_SOON_DAYS = env.int("URGING_DUE_SOON_DAYS", default=7)
URGING_REPLY_DAYS = env.int("URGING_REPLY_DAYS", default=5)

# Reminders and summaries.
REMINDER_WINDOWS = env.list("REMINDER_WINDOWS", cast=int, default=[14, 7, 1])
ESCALATE_AFTER_DAYS = env.int("ESCALATE_AFTER_DAYS", default=14)
REPORTING_DAY = env.int("REPORTING_DAY", default=25)
REPORTING_CALL_DAYS_BEFORE = env.int("REPORTING_CALL_DAYS_BEFORE", default=5)
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=12)
# Overdue items are chased again every N days while they stay overdue (one email per week,
# not one per day); returned updates older than the lookback are not announced (first run).
OVERDUE_REMINDER_EVERY_DAYS = env.int("OVERDUE_REMINDER_EVERY_DAYS", default=7)
RETURNED_LOOKBACK_DAYS = env.int("RETURNED_LOOKBACK_DAYS", default=30)
# Outbox back-off: attempt n waits EMAIL_RETRY_BASE_SECONDS·2^(n-1), at most the cap; with
# the defaults 12 attempts span about a day before the email is marked failed.
EMAIL_RETRY_BASE_SECONDS = env.int("EMAIL_RETRY_BASE_SECONDS", default=60)
EMAIL_RETRY_MAX_SECONDS = env.int("EMAIL_RETRY_MAX_SECONDS", default=6 * 3600)
# A send claimed longer ago than this died with its worker (longer than the task time
# limit); it is marked failed for a person to check, never re-sent blindly.
EMAIL_SENDING_LEASE_SECONDS = env.int("EMAIL_SENDING_LEASE_SECONDS", default=20 * 60)
# A queued summary no worker picked up (Redis was down) is re-enqueued after this long;
# a running one whose heartbeat stopped is rebuilt.
SUMMARY_STALLED_AFTER_SECONDS = env.int("SUMMARY_STALLED_AFTER_SECONDS", default=120)
# A weekly/monthly summary whose beat tick was lost (Redis down) is started late, if the
# tick was at most this long ago (not on a first deployment days after it).
SUMMARY_CATCH_UP_HOURS = env.int("SUMMARY_CATCH_UP_HOURS", default=48)
# Admin exports (django-import-export): a control character in a cell is dropped rather than
# failing the XLSX export. Formula-looking text is neutralised by the resources themselves
# (commitments.admin.SafeExportResource), which keep numbers numeric.
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True
# On-demand summaries a person may ask for per hour (each is a full build of the ledger).
SUMMARY_ON_DEMAND_PER_HOUR = env.int("SUMMARY_ON_DEMAND_PER_HOUR", default=10)

# Reminder digests are screened and written in batches of this many recipients, each batch
# in its own short transaction (memory stays bounded; a killed worker's rerun skips what is
# written).
REMINDER_BATCH_SIZE = env.int("REMINDER_BATCH_SIZE", default=200)
# Some mail clients cut HTML over ~100 KB: a digest longer than this many rows, or larger
# than this many bytes of HTML, lists counts per kind and the first rows, then links to
# the inbox.
DIGEST_MAX_ROWS = env.int("DIGEST_MAX_ROWS", default=80)
DIGEST_MAX_HTML_BYTES = env.int("DIGEST_MAX_HTML_BYTES", default=80 * 1024)
# A scheduled run (reminders, reporting call) whose beat tick was lost — Redis down, no
# worker — is run late if the tick was at most this long ago, once the tick is this many
# minutes old (the on-time run had its chance; a late duplicate would send nothing anyway).
JOB_CATCH_UP_HOURS = env.int("JOB_CATCH_UP_HOURS", default=24)
JOB_CATCH_UP_GRACE_MINUTES = env.int("JOB_CATCH_UP_GRACE_MINUTES", default=10)
# A run recorded as started but never finished this long ago died with its worker.
JOB_RUN_LEASE_SECONDS = env.int("JOB_RUN_LEASE_SECONDS", default=20 * 60)
# A flush sends until nothing is due or this budget is spent (inside the task time limit).
OUTBOX_FLUSH_BUDGET_SECONDS = env.int("OUTBOX_FLUSH_BUDGET_SECONDS", default=8 * 60)

# Email: console in development, SMTP in production (EMAIL_URL=smtp://user:pass@host:587).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
_SITE_HOST = urlsplit(SITE_URL).hostname or "localhost"
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL",
    default=f"督办台账 <duban@{'localhost' if _SITE_HOST in _LOCAL_HOSTS else _SITE_HOST}>",
)
# The right-hand side of every Message-ID: the sender's domain, else the site's host.
EMAIL_MESSAGE_ID_DOMAIN = env.str("EMAIL_MESSAGE_ID_DOMAIN", default="") or (
    DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or _SITE_HOST
)
if PRODUCTION and EMAIL_MESSAGE_ID_DOMAIN in _LOCAL_HOSTS:
    raise environ.ImproperlyConfigured(
        "production mail needs a real domain: set DEFAULT_FROM_EMAIL (or "
        "EMAIL_MESSAGE_ID_DOMAIN, or SITE_URL) — Message-IDs @localhost are spam-flagged"
    )
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# Celery: Redis is the broker; results in the database so they show in the admin.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 10 * 60
# A task is acknowledged when it ends, not when it starts, and given back to the queue when
# its worker process dies (SIGKILL, out of memory): every task is safe to run twice (work
# is claimed in the database), so a killed run is finished by another worker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Do not hang a web request when Redis is down: fail fast, the outbox catches up later.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # Without a cap kombu retries the connection for ~6 s before a publish gives up.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    # A message taken by a worker that then vanished (the whole worker killed) goes back to
    # the queue after this long. Longer than the task time limit, or a slow task still
    # running would be handed to a second worker.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=20 * 60),
}
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= CELERY_TASK_TIME_LIMIT and not env.bool(
    "CELERY_SHORT_VISIBILITY_FOR_TESTS", default=False
):
    raise environ.ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must be longer than the task time limit "
        f"({CELERY_TASK_TIME_LIMIT} s), or running tasks are delivered twice"
    )
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Health check (/healthz): how old the oldest unsent email may be, how late a beat schedule.
HEALTH_OUTBOX_MAX_AGE_MINUTES = env.int("HEALTH_OUTBOX_MAX_AGE_MINUTES", default=120)
HEALTH_BEAT_GRACE_MINUTES = env.int("HEALTH_BEAT_GRACE_MINUTES", default=15)

# Content-Security-Policy (django-csp 4): only our own files run; no inline script or style
# anywhere in the UI (htmx's indicator style is off, bars use classes, not style="").
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# HTTPS. In production cookies are HTTPS-only, HSTS is on and plain HTTP is redirected;
# behind a proxy that ends TLS set TRUST_X_FORWARDED_PROTO=true (the proxy must set the
# header and drop a client's own), or SECURE_SSL_REDIRECT=false if the proxy redirects.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PRODUCTION)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # monitoring may probe over plain HTTP inside the network
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Asking browsers to preload HSTS binds every subdomain of the domain for months and is
# hard to undo: a decision for the domain's owner (SECURE_HSTS_PRELOAD=true), not a default.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

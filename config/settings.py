"""LobbyStar settings: one module, every knob read from the environment.

SQLite under var/ is the default, so a new user can check out the code and run it with
nothing else running. Production sets DATABASE_URL, SECRET_KEY, ALLOWED_HOSTS and
CELERY_BROKER_URL.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

from config.env import env_bool, env_database, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
# What the site writes: PDFs, exports, collected static files (the SQLite default stays in var/).
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# Outside development the keys must be the bank's own: no public default (CONTRACT.md §6).
SECRET_KEY = env_secret("SECRET_KEY", "lobbystar-insecure-development-key-change-me", required=not DEBUG)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The key of the keyed hash that stands in for customer references (CONTRACT.md §1).
CUSTOMER_REF_KEY = env_secret("CUSTOMER_REF_KEY", "lobbystar-development-customer-key", required=not DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # The rooms, from the ground up (docs/architecture.md): each imports only those above it in this list.
    "core",
    "audit",
    "staff",
    "metrics",
    "notices",
    "appraisals",
    "reports",
    "screens",
    "api",
    "console",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    # A screen's data.json polls are answered here, without the console's middleware below.
    "screens.middleware.ScreenDataMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "console.middleware.LobbyStarErrorMiddleware",
    "console.middleware.PageSizeMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", "sqlite:///var/lobbystar.sqlite3", base_dir=BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, reading the membership and the unread notices with the user (console/backends.py)
    "console.backends.ConsoleBackend",
]
# Every password set anywhere (console, grant_role, admin) passes these.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Failed sign-ins are throttled per user name and address (5 by default), and per address alone
# (20): one address guessing across many user names is locked too, while a branch whose staff share
# one address is not locked by one person's typos. console.views.auth.failure_limit picks the limit.
AXES_USER_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_ADDRESS_FAILURE_LIMIT = env_int("AXES_ADDRESS_FAILURE_LIMIT", 20)
AXES_FAILURE_LIMIT = "console.views.auth.failure_limit"
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served by whitenoise from the apps' folders too, so a fresh checkout needs no collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# Import files (CONTRACT.md §1): larger files are refused whole; the console refuses larger uploads
# before reading them, and checks uploads above IMPORT_BACKGROUND_MB in a background job.
IMPORT_MAX_MB = env_int("IMPORT_MAX_MB", 200)
IMPORT_BACKGROUND_MB = 5
# Request bodies other than files stay small. Uploaded files are held in memory, never in a
# temporary file: an import file holds customer numbers, which never touch the disk in clear
# (the console stores a pending upload encrypted). Larger bodies are refused before reading.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = (IMPORT_MAX_MB + 1) * 1024 * 1024
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Background work: Celery over Redis when a broker is configured, in-process otherwise.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged only when it has finished, so a worker killed half-way leaves it on the
# queue: Redis hands it out again once the visibility timeout has passed (longer than any one task
# runs, or a slow task would be run twice at once). Every task is safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
_visibility_timeout = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _visibility_timeout,
    # How often a worker looks for tasks a killed worker left unacknowledged: a tenth of the timeout.
    "unacked_restore_interval": max(1, min(60, _visibility_timeout // 10)),
    "unacked_restore_throttle": 1,
}
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# One queue for everything; its name lets two sites (or test runs) share one Redis database.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", str(VAR_DIR / "celerybeat-schedule"))
# Beat: a job whose worker vanished is marked failed within a minute or two (appraisals.tasks).
CELERY_BEAT_SCHEDULE = {
    "expire-stale-jobs": {"task": "appraisals.expire_stale_jobs", "schedule": 60.0},
}
# A job with no sign of life (a heartbeat every JOB_HEARTBEAT_SECONDS while it runs) for
# JOB_STALE_SECONDS is shown as failed: its worker was killed, or no worker took it.
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 10)
JOB_STALE_SECONDS = env_int("JOB_STALE_SECONDS", 300)
# Without a broker a job runs in a process of its own (`manage.py run_job ID`), so the page that
# started it returns at once; "inline" runs it inside the request (the test suite's choice).
JOBS_WITHOUT_BROKER = env_str("JOBS_WITHOUT_BROKER", "process")
if JOBS_WITHOUT_BROKER not in ("process", "inline"):
    raise ImproperlyConfigured(f"JOBS_WITHOUT_BROKER must be process or inline, not {JOBS_WITHOUT_BROKER!r}")

# The JSON API for the bank's systems (CONTRACT.md §5, docs/api.md): bearer tokens of ApiClients,
# one scope per endpoint, a rate per client, JSON errors only.
API_RATE_LIMIT = env_str("API_RATE_LIMIT", "600/min")
API_MAX_BODY_MB = env_int("API_MAX_BODY_MB", 20)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.authentication.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.authentication.ClientRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.LimitedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LobbyStar API",
    "DESCRIPTION": "大堂之星 LobbyStar: batches of records in, published scorecards out (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our own static files: no CDN on a bank's network
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

DJANGO_TABLES2_TEMPLATE = "console/_table.html"  # bootstrap5, with the row count and page sizes

BANK_NAME = env_str("BANK_NAME", "")
# Where people reach the site: every link the product prints or sends (core.urls.absolute_url).
# Without it, the port `make run PORT=…` serves on.
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{env_int('PORT', 8000)}").rstrip("/")

# Mail, with Django's own names (CONTRACT.md §6): written to the console when no host is set.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "LobbyStar 大堂之星 <lobbystar@localhost>")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
# A 企业微信 group robot (…/cgi-bin/webhook/send?key=…): branch notices are posted there as well.
WECOM_WEBHOOK_URL = env_str("WECOM_WEBHOOK_URL", "")
WECOM_TIMEOUT = env_int("WECOM_TIMEOUT", 5)

# ─── Production security (CONTRACT.md §6) ────────────────────────────────────────────
# Behind a proxy that terminates TLS and sets X-Forwarded-Proto, HTTPS=true turns on the redirect,
# secure cookies and HSTS, so `manage.py check --deploy` is clean.
HTTPS = env_bool("HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # /healthz is probed over plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
# Improvement-case evidence: PDF, images and Office files only, up to this size.
EVIDENCE_MAX_MB = env_int("EVIDENCE_MAX_MB", 20)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every script and style is served from this site (no CDN: bank networks are closed). Scripts
# run only from files; inline style attributes are allowed, as the templates and SVG charts use them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Four eyes (SCORING.md §6): the HR user who finalizes a month differs from the one who
# reviewed it. A one-person HR office sets FOUR_EYES=false.
FOUR_EYES = env_bool("FOUR_EYES", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# django-filter: an empty choice reads 全部 (all), never "---------".
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy("全部")

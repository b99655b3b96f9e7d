"""Settings for Outside-In, read from the environment.

Development needs nothing set: SQLite in ``var/``, console e-mail, DEBUG on.
Production (``DEBUG`` off) refuses to start without a real ``SECRET_KEY`` and
``ALLOWED_HOSTS``, and turns on every transport-security setting.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OUTSIDEIN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET = "dev-only-insecure-key-never-used-in-production-0123456789abcdef"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The address customers reach the app at, for links in e-mails sent outside a request
# (the command line, the portal's status-change notifications), e.g. https://cx.example.nl;
# without it in production, the first trusted origin or allowed host.
SITE_URL = os.environ.get("OUTSIDEIN_BASE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "treebeard",
    "channels",
    "outsidein",
    "accounts",
    "org",
    "improvements",
    "research",
    "insights",
    "live",
    "arena",
    "cascade",
    "journeys",
    "safari",
    "cocreation",
    "portal",
    "privacy",
    "audit",
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "outsidein.middleware.DutchFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "outsidein.urls"
FORM_RENDERER = "outsidein.forms.FormRenderer"
ASGI_APPLICATION = "outsidein.asgi.application"
WSGI_APPLICATION = "outsidein.wsgi.application"

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
                "django.template.context_processors.i18n",
                "accounts.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'outsidein.sqlite3'}",
        conn_max_age=0,
        # A pooled connection the server dropped (restart, failover) is replaced, not handed
        # to a request that would fail with it.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django 5.2's pool: measured 3x the requests/s of plain connections on this machine.
    # Per worker process; psycopg's default of 4 connections queued quick requests behind
    # slow ones under load (bench-load), so it may grow to DATABASE_POOL_MAX.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 4, "max_size": int(os.environ.get("DATABASE_POOL_MAX", "12"))}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20,
         "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Live rooms: with REDIS_URL several ASGI workers share rooms through Redis; without it
# the in-memory layer serves one process. Each process joins a room's group with one
# channel (live.hub), so the capacity is per room and process, not per socket.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 times socket reads out after 5 s by default, the very time
            # channels_redis's idle BZPOPMIN waits: a quiet room's feed then failed every
            # 5 s and closed its sockets. Reads may take longer than the wait.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                       "capacity": 1000, "expiry": 60},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}
    }

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling: five failures for one e-mail address from one IP address lock
# that pair for 15 minutes. Locking per pair, not per address alone, keeps an
# attacker from locking a colleague out.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Outside-In <noreply@outside-in.local>")

MAGIC_LINK_MAX_AGE_DAYS = int(os.environ.get("MAGIC_LINK_MAX_AGE_DAYS", "14"))

# Second factor (TOTP, accounts.two_factor): required for administrators and consultants,
# optional for other staff. The password step is valid for this many seconds.
OTP_TOTP_ISSUER = "Outside-In"
TWO_FACTOR_PENDING_SECONDS = 5 * 60

# Rate limits, "requests/seconds" per window (accounts.ratelimit); "0/..." turns one off.
# Login and the code step count per IP address (on top of axes' per-address lockout),
# magic-link redemptions per IP address, survey answers (POST) per IP address, and
# exports of personal data per user.
RATE_LIMITS = {
    "login": os.environ.get("RATE_LIMIT_LOGIN", "100/600"),
    "magic_link": os.environ.get("RATE_LIMIT_MAGIC_LINK", "60/600"),
    "survey": os.environ.get("RATE_LIMIT_SURVEY", "600/600"),
    "export": os.environ.get("RATE_LIMIT_EXPORT", "30/600"),
}
for _scope, _limit in RATE_LIMITS.items():
    _count, _slash, _seconds = _limit.partition("/")
    if not (_count.isdigit() and _seconds.isdigit() and int(_seconds) > 0):
        raise ImproperlyConfigured(f"RATE_LIMIT_{_scope.upper()} must read requests/seconds, e.g. 30/600.")

# Every page carries a strict policy: our own scripts and styles only, no inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A staff session ends 12 hours after login whatever happens (absolute, not sliding) and
# after SESSION_IDLE_TIMEOUT seconds without a request (accounts.middleware). Customers'
# magic-link sessions keep the expiry their link gives them.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(60 * 60 * 12)))
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60)))
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Survey imports: files are stored under var/imports and parsed by a background job.
IMPORT_DIR = Path(os.environ.get("IMPORT_DIR", VAR_DIR / "imports"))
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(500 * 1024 * 1024)))
# Run background jobs inline (tests, and one-off commands); off when serving.
JOBS_EAGER = env_bool("JOBS_EAGER", False)
# The daily scheduler thread (privacy.scheduler: the retention run); `outsidein serve` turns
# it on. Off elsewhere (tests, one-off commands, a cron-driven deployment).
SCHEDULER_ENABLED = env_bool("SCHEDULER_ENABLED", False)
SCHEDULER_HOUR = int(os.environ.get("SCHEDULER_HOUR", "3"))  # UTC
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
API_RATE_LIMIT_PER_MINUTE = int(os.environ.get("API_RATE_LIMIT_PER_MINUTE", "600"))

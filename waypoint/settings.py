"""Waypoint settings: one file, read from the environment (see the README's configuration table).

Three modes, chosen by WAYPOINT_ENV:
- development (default): safe local defaults; a secret key and an encryption key file are created
  in the data directory on first run.
- test: like development, with a fast password hasher.
- production: refuses to start without its secret key, encryption keys and allowed hosts.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

from waypoint.envconf import ConfigError, env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

WAYPOINT_ENV = env_str("WAYPOINT_ENV", "development")
if WAYPOINT_ENV not in {"development", "test", "production"}:
    raise ConfigError("WAYPOINT_ENV must be development, test or production")
PRODUCTION = WAYPOINT_ENV == "production"

DATA_DIR = Path(env_str("WAYPOINT_DATA_DIR", str(BASE_DIR / "var"))).resolve()


def _development_secret() -> str:
    DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env_secret("WAYPOINT_SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ConfigError("WAYPOINT_SECRET_KEY (or WAYPOINT_SECRET_KEY_FILE) is required in production")
    SECRET_KEY = _development_secret()
if PRODUCTION and len(SECRET_KEY) < 50:
    raise ConfigError("WAYPOINT_SECRET_KEY must be at least 50 characters")

# Encryption keys live outside the database: a JSON key file, or the same JSON in the environment.
ENCRYPTION_KEYS_JSON = env_secret("WAYPOINT_ENCRYPTION_KEYS")
ENCRYPTION_KEY_FILE = env_str("WAYPOINT_ENCRYPTION_KEY_FILE", "")
if PRODUCTION and not (ENCRYPTION_KEYS_JSON or ENCRYPTION_KEY_FILE):
    raise ConfigError("WAYPOINT_ENCRYPTION_KEY_FILE or WAYPOINT_ENCRYPTION_KEYS is required in production")
if not ENCRYPTION_KEY_FILE and not ENCRYPTION_KEYS_JSON:
    ENCRYPTION_KEY_FILE = str(DATA_DIR / "keys.json")
# Only development and test may create a missing key file; production fails closed instead.
ENCRYPTION_KEY_FILE_CREATE = not PRODUCTION
# The record keys (each wrapped by the key ring) as of the last `manage.py backup`: backups hold no
# record keys, this one file (replaced at every backup, never a series) does.  Keep it with the key
# file; "" means record-keys.json beside the key file (in the data directory when keys come from the
# environment).  See waypoint.core.record_keys.
RECORD_KEY_FILE = env_str("WAYPOINT_RECORD_KEY_FILE", "")

DEBUG = False  # Never: no debug page or traceback is ever shown to a user, even in development.

ALLOWED_HOSTS = env_list("WAYPOINT_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ConfigError("WAYPOINT_ALLOWED_HOSTS is required in production")
CSRF_TRUSTED_ORIGINS = env_list("WAYPOINT_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "waypoint.core",
    "waypoint.orgs",
    "waypoint.people",
    "waypoint.content",
    "waypoint.encounters",
    "waypoint.contact",
    "waypoint.plans",
    "waypoint.referrals",
    "waypoint.printing",
    "waypoint.oversight",
    "waypoint.retention",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "waypoint.core.middleware.PageHygieneMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",  # validates the Host header on every request
    "waypoint.core.middleware.StaffLanguageMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "waypoint.orgs.middleware.SessionLimitsMiddleware",
    "waypoint.core.middleware.DeniedAccessAuditMiddleware",
]

ROOT_URLCONF = "waypoint.urls"
WSGI_APPLICATION = "waypoint.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csrf",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "waypoint.orgs.context.waypoint",
            ],
            "string_if_invalid": "",
        },
    }
]


def _database(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path
        path = unquote(parts.path)[1:] if parts.path.startswith("/") else unquote(parts.path)
        return {
            "ENGINE": "waypoint.core.sqlite",  # Django's SQLite backend plus a writer queue
            "NAME": str((BASE_DIR / path).resolve()) if path else str(DATA_DIR / "waypoint.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers never deadlock on upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;"
                ),
            },
            # In memory unless a file is named; said explicitly so that pytest-xdist gives each test
            # process its own file only when there is one (it would suffix our engine's real path).
            "TEST": {"NAME": env_str("WAYPOINT_TEST_SQLITE_NAME", "") or ":memory:"},
        }
    if parts.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ConfigError("DATABASE_URL must start with sqlite:// or postgres://")


DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)  # a new data directory is owner-only
DATABASES = {"default": _database(env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'waypoint.sqlite3'}"))}
# No request-wide transaction: a page that only reads takes no write lock (its audit row is one
# short write, waypoint.core.reads), and every change is one atomic action (each app's actions.py).
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "orgs.Staff"
# Where Exit sends a browser that has no organisation yet (signed out); each organisation sets its own.
QUICK_EXIT_DEFAULT_URL = "https://www.bbc.com/weather"
AUTHENTICATION_BACKENDS = ["waypoint.orgs.backends.StaffBackend"]
LOGIN_URL = "orgs:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 15}},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "waypoint.orgs.validators.RepetitionValidator"},
    {"NAME": "waypoint.orgs.validators.GuessableValidator"},  # zxcvbn's leaked-password and word lists
]
PASSWORD_MAX_LENGTH = 1024
if WAYPOINT_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Sessions: server-side rows (so they can be listed and killed), idle and absolute limits enforced
# by waypoint.orgs.middleware.SessionLimitsMiddleware.
SESSION_ENGINE = "waypoint.orgs.session_store"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"  # never in a cookie
SESSION_IDLE_SECONDS = 15 * 60
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
SESSION_WARNING_SECONDS = 60
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "waypoint.core.views.csrf_failure"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
STEP_UP_SECONDS = 5 * 60
LOCKOUT_THRESHOLD = 10
LOCKOUT_BASE_SECONDS = 15 * 60
LOCKOUT_MAX_SECONDS = 24 * 60 * 60  # doubling stops here: never a permanent lock an attacker can cause
INVITATION_SECONDS = 24 * 60 * 60

HTTPS = PRODUCTION or env_bool("WAYPOINT_HTTPS", False)
if HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-wp_session"
    CSRF_COOKIE_NAME = "__Host-wp_csrf"
    LANGUAGE_COOKIE_NAME = "__Host-wp_lang"
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 63072000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
else:
    SESSION_COOKIE_NAME = "wp_session"
    CSRF_COOKIE_NAME = "wp_csrf"
    LANGUAGE_COOKIE_NAME = "wp_lang"
if env_bool("WAYPOINT_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies in front append to X-Forwarded-For: the sign-in throttle counts the client
# that many hops back (0: REMOTE_ADDR, so behind a proxy every client would share the proxy's count).
TRUSTED_PROXY_HOPS = env_int("WAYPOINT_TRUSTED_PROXY_HOPS", 1 if env_bool("WAYPOINT_BEHIND_PROXY", False) else 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # no-referrer breaks Django's CSRF check in Chromium
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("WAYPOINT_TIME_ZONE", "UTC")


STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # collectstatic writes a brotli and a gzip copy beside each stylesheet and script; whitenoise sends
    # them to browsers that ask.  HTML is never compressed (compression beside secrets invites BREACH).
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Every mode serves STATIC_ROOT, where the compressed copies are (the finders would serve static/ as it
# is): production fills it with collectstatic at deploy, development and test refresh it at start.
WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False
if not PRODUCTION:
    from waypoint.core.staticfiles import refresh_static

    refresh_static(STATICFILES_DIRS[0], STATIC_ROOT)

DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
# Uploads stay in memory, at most 3 MB of each kept (waypoint/core/uploads.py): a scan of a signed
# release is never spooled to a temporary file.
FILE_UPLOAD_HANDLERS = ["waypoint.core.uploads.BoundedMemoryUploadHandler"]
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

EMAIL_HOST = env_str("WAYPOINT_EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("WAYPOINT_EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("WAYPOINT_EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_secret("WAYPOINT_EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("WAYPOINT_EMAIL_USE_TLS", True)
elif PRODUCTION:
    # No mail server: activation links are shown to the admin only, never written to a log.
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
elif WAYPOINT_ENV == "test":
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("WAYPOINT_DEFAULT_FROM_EMAIL", "waypoint@localhost")

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Logs carry request paths (ids only, never names) and event codes; never form values.
LOG_FILE = env_str("WAYPOINT_LOG_FILE", "")
_handlers: dict[str, dict[str, object]] = {"console": {"class": "logging.StreamHandler"}}
if LOG_FILE:
    _handlers["file"] = {"class": "logging.FileHandler", "filename": LOG_FILE}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": _handlers,
    "root": {"handlers": list(_handlers), "level": env_str("WAYPOINT_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # PDF rendering: progress lines and CSS notes are noise; errors still reach the log.
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
    },
}

DEMO_PASSWORD_SUFFIX = "-demo-password-2026"  # noqa: S105 (demo mode only; seed_demo refuses production)

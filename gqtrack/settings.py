"""Settings for gqtrack, read from the environment.

The defaults serve development: SQLite in the project folder, DEBUG on, e-mail printed
to the console and files stored under ./media. Production sets at least SECRET_KEY,
DEBUG=false, ALLOWED_HOSTS and DATABASE_URL; see docs/deployment.md.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name, default, minimum=None):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or (minimum is not None and number < minimum):
        at_least = "" if minimum is None else f" of at least {minimum}"
        raise ImproperlyConfigured(f"{name} must be a whole number{at_least}, not {value!r}")
    return number


def envlist(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "development-only-key-never-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "gqtrack.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "treebeard",
    "import_export",
    "simple_history",
    "django_tasks",
    "gqtrack.apps.TasksDatabaseConfig",
    "gqtrack.apps.AxesConfig",
    "directives",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, which answers static files itself: pages and admin pages get the header.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gqtrack.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Nothing but the password change until a one-time password is replaced.
    "gqtrack.middleware.PasswordChangeRequiredMiddleware",
    # Last but one, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
    # Last of all: only the view runs in its transaction (it wraps nothing but the view).
    "gqtrack.middleware.WriteTransactionMiddleware",
]

ROOT_URLCONF = "gqtrack.urls"
WSGI_APPLICATION = "gqtrack.wsgi.application"

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
                "directives.context_processors.membership",
                "reports.context_processors.notifications",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------
# SQLite in the project folder unless DATABASE_URL names another database, e.g.
# postgres://user:password@host:5432/gqtrack (psycopg 3).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Writers take the lock when their transaction starts, so two concurrent writers
    # queue up instead of one failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Requests that may write run in one transaction each (gqtrack.middleware.
# WriteTransactionMiddleware); pages that only read take no lock.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, as django-axes asks: refuses a locked-out user name before any password check.
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
CSRF_FAILURE_VIEW = "gqtrack.views.csrf_failure"

# --- Password guessing (django-axes; see docs/deployment.md) --------------------------
# After AXES_FAILURE_LIMIT wrong passwords for one user name from one address, that user
# name is refused from that address for AXES_COOLOFF_MINUTES, on the app's login and the
# admin's alike; a further try starts the wait again. Colleagues behind the same office
# address are not affected. AXES_COOLOFF_MINUTES=0 locks until an administrator unlocks.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5, minimum=1)
_cooloff_minutes = envint("AXES_COOLOFF_MINUTES", 15, minimum=0)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=_cooloff_minutes) if _cooloff_minutes else None
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Every failure is also kept in a log of its own (up to 1,000 a user name), which a reset
# leaves alone: the admin shows who tried what and when, also after an unlock.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_HTTP_RESPONSE_CODE = 429  # Too Many Requests
# Its start-up banner would print on every management command.
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "gqtrack.views.locked_out"

# --- Language and time --------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Files ------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
# Bootstrap comes from the npm registry at set-up (`make assets`); see package.json.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# Uploaded files are never served from MEDIA_URL: views check who may see them.
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- E-mail -----------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "gqtrack@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address people open the app at, for the links in the e-mails sent in the background
# (no request there to tell it), e.g. https://gqtrack.example.org.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# `manage.py send_reminders`: how many days before a deadline its union is reminded (each
# a reminder of its own), and for how many days after a deadline passed an overdue notice
# still goes out (so that a day the command did not run is caught up, and a first run does
# not tell of every deadline missed for years).
REMINDER_DAYS_BEFORE = [
    int(days) for days in envlist("REMINDER_DAYS_BEFORE", ["3", "1"]) if str(days).strip()
]
REMINDER_OVERDUE_DAYS = envint("REMINDER_OVERDUE_DAYS", 7, minimum=1)
# `manage.py run_schedule` (started with the worker by `make run`): when each daily job is
# put on the tasks queue, a crontab line in TIME_ZONE each; an empty one turns a job off.
# Name the days of the week (mon-fri): APScheduler numbers them from Monday, not Sunday.
SCHEDULE = {
    "send_reminders": os.environ.get("SCHEDULE_SEND_REMINDERS", "0 8 * * *"),
    "prune_spreadsheet_jobs": os.environ.get("SCHEDULE_PRUNE_SPREADSHEET_JOBS", "17 3 * * *"),
}

# --- Security (on by default whenever DEBUG is off) ---------------------------------
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
if envbool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)

# --- Content-Security-Policy (django-csp; see docs/deployment.md) ---------------------
# Only the app's own files run, style and load: no inline script, event handler or style
# attribute anywhere (tests/test_csp.py renders the pages to check). Bootstrap's CSS
# draws its icons (the navbar toggler, select arrows, close buttons) as data: SVG images.
# Chart.js and Bootstrap's JavaScript size elements through the DOM (element.style),
# which CSP does not block, so style-src needs nothing inline. The admin pages of
# libraries that carry inline attributes allow exactly those, by hash (directives/admin.py).
CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
# A deployment that loads something from another host (an analytics script, a web font)
# names the host in the environment, e.g. CSP_SCRIPT_SRC=https://stats.example.org and
# CSP_CONNECT_SRC=https://stats.example.org: added to the directive, or to 'self' for a
# directive the policy leaves to default-src.
CSP_EXTENDABLE = (
    "script-src",
    "style-src",
    "img-src",
    "connect-src",
    "font-src",
    "frame-src",
    "media-src",
    "worker-src",
    "form-action",
)


def csp_sources(directive):
    name = "CSP_" + directive.upper().replace("-", "_")
    extra = envlist(name, [])
    if any(";" in source or " " in source or "'" in source for source in extra):
        raise ImproperlyConfigured(f"{name} must list hosts or schemes separated by commas")
    return extra


for _directive in CSP_EXTENDABLE:
    if _extra := csp_sources(_directive):
        CSP_DIRECTIVES[_directive] = CSP_DIRECTIVES.get(_directive, ["'self'"]) + _extra
if os.environ.get("CSP_REPORT_URI"):
    CSP_DIRECTIVES["report-uri"] = os.environ["CSP_REPORT_URI"]
CONTENT_SECURITY_POLICY = {"DIRECTIVES": CSP_DIRECTIVES}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# --- Spreadsheets (django-import-export; see docs/spreadsheets.md) ---------------------
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 100_000)
IMPORT_MAX_COLUMNS = envint("IMPORT_MAX_COLUMNS", 60)
# Files with more rows than this are previewed and imported by the background worker.
IMPORT_BACKGROUND_ROWS = envint("IMPORT_BACKGROUND_ROWS", 2_000)
# Exports with more rows are written by the background worker, then downloaded.
EXPORT_BACKGROUND_ROWS = envint("EXPORT_BACKGROUND_ROWS", 20_000)
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_USE_TRANSACTIONS = True
# Characters xlsx cannot hold become U+FFFD instead of failing the whole export.
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Background work (django-tasks, Django 6's tasks interface) ------------------------
# The queue is a table of the database: `manage.py db_worker` runs what is queued there
# (`make run` starts one beside runserver; see docs/deployment.md). Tests run tasks at once.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Group robots (reports/robots.py) post only to the vendors' hosts, qyapi.weixin.qq.com and
# oapi.dingtalk.com; hosts listed here are allowed besides (an office's relay, a test's
# receiver), comma-separated.
GROUP_ROBOT_HOSTS = envlist("GROUP_ROBOT_HOSTS", [])
# Events in each deadline calendar, at most: the nearest and latest first.
CALENDAR_FEED_LIMIT = envint("CALENDAR_FEED_LIMIT", 500, minimum=1)

GQTRACK_NAME = _("gqtrack")

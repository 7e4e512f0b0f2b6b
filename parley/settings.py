"""Django settings for Parley. Everything a deployment changes comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PARLEY_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("PARLEY_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("PARLEY_SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
ALLOWED_HOSTS = os.environ.get("PARLEY_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "parley.core",
    "parley.accounts",
    "parley.creators",
    "parley.inbox",
    "parley.channels",
    "parley.outbox",
    "parley.campaigns",
    "parley.api",
    "parley.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "parley.accounts.middleware.CurrentMemberMiddleware",
]

ROOT_URLCONF = "parley.urls"
WSGI_APPLICATION = "parley.wsgi.application"
ASGI_APPLICATION = "parley.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "parley" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "parley.accounts.context_processors.current_member",
            ],
        },
    }
]

_default_db = f"sqlite:///{VAR_DIR / 'parley.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE let the worker and the web server share one file without
    # "database is locked" (shared/recipes/stack-checked.md).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox:list"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German")), ("fi", _("Finnish"))]
LOCALE_PATHS = [BASE_DIR / "parley" / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

EMAIL_BACKEND = os.environ.get(
    "PARLEY_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("PARLEY_FROM_EMAIL", "parley@localhost")
EMAIL_HOST = os.environ.get("PARLEY_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("PARLEY_EMAIL_PORT", "25"))

TASKS = {"default": {"BACKEND": os.environ.get("PARLEY_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

# Inbox tuning.
PARLEY_INBOX_PAGE_SIZE = 30
PARLEY_POLL_SECONDS = 3
PARLEY_AWAITING_REPLY_HOURS = 24

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PARLEY_LOG_LEVEL", "INFO")},
}

# Periodic jobs run by `parley worker`: dotted path → seconds between runs.
PARLEY_PERIODIC = {
    "parley.outbox.services.outbox_dispatch_due": 2,
    "parley.core.jobs.prune_task_results": 3600,
}
PARLEY_BULK_LIMIT = 5000

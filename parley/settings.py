"""Django settings for Parley. Everything a deployment changes comes from the environment."""

import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PARLEY_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Debug is off unless asked for (PARLEY_DEBUG=1): tracebacks and settings never reach a
# browser by accident. `parley run` and the tests need nothing more.
DEBUG = os.environ.get("PARLEY_DEBUG", "0") == "1"


def _secret_key() -> str:
    """PARLEY_SECRET_KEY, or a random key made once and kept in VAR_DIR/secret_key (mode
    0600), so no installation runs on a key anybody else knows. Several servers that share
    no VAR_DIR must be given the same PARLEY_SECRET_KEY."""
    if os.environ.get("PARLEY_SECRET_KEY"):
        return os.environ["PARLEY_SECRET_KEY"]
    path = VAR_DIR / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _wait in range(50):  # another process is writing it this very moment
            if key := path.read_text().strip():
                return key
            time.sleep(0.1)
        raise ImproperlyConfigured(f"{path} is empty: delete it or set PARLEY_SECRET_KEY") from None
    key = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = os.environ.get("PARLEY_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    # Django Ninja as an app: /api/v1/docs then loads Swagger UI from our own static files
    # (ninja/static/ninja/), not from a CDN, so the docs work without internet.
    "ninja",
    "parley.core",
    "parley.accounts",
    "parley.creators",
    "parley.inbox",
    "parley.channels",
    "parley.outbox",
    "parley.campaigns",
    "parley.broadcasts",
    "parley.reports",
    "parley.replies",
    "parley.api",
    "parley.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "parley.core.middleware.HtmxErrorMiddleware",
    "django.middleware.common.CommonMiddleware",
    "parley.core.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "parley.accounts.middleware.CurrentMemberMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "parley.urls"
# Every form renders through templates/forms/ (parley.core.forms).
FORM_RENDERER = "parley.core.forms.FormRenderer"
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
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or _default_db)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE let the worker and the web server share one file without
    # "database is locked" (shared/recipes/stack-checked.md).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not memory) so the live server, the worker and shell subprocesses of the
    # tests see the same data; one per test process, so parallel runs never share one.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An inbox page reads ~30 rows; starting a parallel worker costs more than the query
    # (bench/inbox.py: a Gather Merge turned a 20 ms tag filter into 60-75 ms). JIT
    # compiles a plan whose estimated cost is high, even in a branch that never runs: 15 to
    # 30 ms on a message search that takes 5 (bench/search.py, a common word).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        "-c max_parallel_workers_per_gather=0 -c jit=off"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox:list"
LOGOUT_REDIRECT_URL = "login"

# django-axes first: it refuses a locked-out account or address before the password is
# checked (see "Security" below).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German")), ("fi", _("Finnish"))]
LOCALE_PATHS = [BASE_DIR / "parley" / "locale"]
# Dates follow the active language: pages use format names, defined per language here
# over Django's (parley/formats/).
FORMAT_MODULE_PATH = ["parley.formats"]
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

# Background tasks (Django's Tasks API). PARLEY_TASKS_BACKEND: `db` (the default) queues
# them in a table, `rq` in Redis through RQ (django-tasks-rq, at PARLEY_REDIS_URL); a
# dotted path names any other backend. `parley worker` runs the consumer for either.
PARLEY_TASKS_BACKEND_ALIASES = {
    "db": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
}
_tasks_backend = os.environ.get("PARLEY_TASKS_BACKEND", "").strip() or "db"
_tasks_backend = PARLEY_TASKS_BACKEND_ALIASES.get(_tasks_backend.lower(), _tasks_backend)
if "." not in _tasks_backend:  # a mistyped alias fails at start-up, not at the first enqueue
    raise ImproperlyConfigured(
        f"PARLEY_TASKS_BACKEND={_tasks_backend!r}: use one of "
        f"{', '.join(PARLEY_TASKS_BACKEND_ALIASES)} or a backend's dotted path"
    )
TASKS = {"default": {"BACKEND": _tasks_backend}}
if _tasks_backend == PARLEY_TASKS_BACKEND_ALIASES["rq"]:
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": os.environ.get("PARLEY_REDIS_URL", "redis://127.0.0.1:6379/0")}}

# Inbox tuning.
PARLEY_INBOX_PAGE_SIZE = 30
# How often an open page asks whether anything changed (the header's pulse: one small
# query); a message another process records shows within about this long.
PARLEY_POLL_SECONDS = float(os.environ.get("PARLEY_POLL_SECONDS", "1.5"))
PARLEY_AWAITING_REPLY_HOURS = 24

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PARLEY_LOG_LEVEL", "INFO")},
}

# Periodic jobs run by `parley worker`: dotted path → seconds between runs.
PARLEY_PERIODIC = {
    "parley.outbox.dispatch.outbox_dispatch_due": 2,
    "parley.broadcasts.services.broadcasts_finish": 10,
    "parley.core.jobs.prune_task_results": 3600,
    "parley.inbox.search.search_index_tidy": 30,
}
PARLEY_BULK_LIMIT = 5000
# The largest CSV file of creators one import takes (bytes): 50 MB is about 300,000 rows.
PARLEY_IMPORT_MAX_BYTES = int(os.environ.get("PARLEY_IMPORT_MAX_BYTES", 50_000_000))
# The most recipients of one mass message.
PARLEY_BROADCAST_LIMIT = int(os.environ.get("PARLEY_BROADCAST_LIMIT", 20_000))

# Campaign actions (issue 14). Files sent to a creator: each at most this many bytes, of
# these types (extensions); product images of the gift catalogue: PNG, JPEG, GIF or WebP
# up to this size. Tracking links in messages begin with PARLEY_PUBLIC_URL (the address
# creators reach Parley at); a pool takes at most PARLEY_COUPON_BATCH_LIMIT codes at a time.
PARLEY_ATTACHMENT_MAX_BYTES = int(os.environ.get("PARLEY_ATTACHMENT_MAX_BYTES", 10_000_000))
PARLEY_ATTACHMENT_EXTENSIONS = [
    e.strip().lower()
    for e in os.environ.get(
        "PARLEY_ATTACHMENT_EXTENSIONS",
        "pdf,png,jpg,jpeg,gif,webp,heic,txt,csv,rtf,doc,docx,xls,xlsx,ppt,pptx,odt,ods,odp,"
        "key,pages,numbers,zip,mp4,mov,m4v,webm,mp3,m4a,wav,ai,psd,eps",
    ).split(",")
    if e.strip()
]
PARLEY_PRODUCT_IMAGE_MAX_BYTES = int(os.environ.get("PARLEY_PRODUCT_IMAGE_MAX_BYTES", 5_000_000))
PARLEY_PUBLIC_URL = os.environ.get("PARLEY_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
PARLEY_COUPON_BATCH_LIMIT = 10_000

# Email channel (issue 3): mailboxes, OAuth, IMAP sync.
INSTALLED_APPS += ["parley.channels.email"]
PARLEY_PERIODIC["parley.channels.email.watch.watchers_ensure"] = 10
# Keys that encrypt secrets at rest, newest first, comma-separated; empty: derived from
# SECRET_KEY. Rotate by putting a new key first (Fernet.generate_key()).
PARLEY_SECRET_KEYS = [k for k in os.environ.get("PARLEY_SECRET_KEYS", "").split(",") if k.strip()]
PARLEY_EMAIL_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("PARLEY_EMAIL_ATTACHMENT_MAX_BYTES", 10_000_000)
)
# An email larger than this is not downloaded: it is stored flagged, with its headers.
PARLEY_EMAIL_MAX_MESSAGE_BYTES = int(os.environ.get("PARLEY_EMAIL_MAX_MESSAGE_BYTES", 50_000_000))
PARLEY_EMAIL_POLL_SECONDS = min(60, int(os.environ.get("PARLEY_EMAIL_POLL_SECONDS", "60")))
PARLEY_EMAIL_IDLE_SECONDS = int(os.environ.get("PARLEY_EMAIL_IDLE_SECONDS", "300"))
PARLEY_EMAIL_OAUTH = {
    "gmail": {
        "client_id": os.environ.get("PARLEY_GOOGLE_CLIENT_ID", ""),
        "client_secret": os.environ.get("PARLEY_GOOGLE_CLIENT_SECRET", ""),
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_url": "https://oauth2.googleapis.com/token",
        "userinfo_url": "https://openidconnect.googleapis.com/v1/userinfo",
        "scope": "openid email https://mail.google.com/",
        "imap_host": "imap.gmail.com",
        "imap_port": 993,
        "imap_tls": "ssl",
        "smtp_host": "smtp.gmail.com",
        "smtp_port": 587,
        "smtp_tls": "starttls",
    },
    "microsoft": {
        "client_id": os.environ.get("PARLEY_MICROSOFT_CLIENT_ID", ""),
        "client_secret": os.environ.get("PARLEY_MICROSOFT_CLIENT_SECRET", ""),
        "authorize_url": "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        "token_url": "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        "userinfo_url": "https://graph.microsoft.com/v1.0/me",
        # The address comes from the ID token (openid email): the access token is for
        # outlook.office.com (IMAP/SMTP), not for Graph.
        "scope": "offline_access openid email "
        "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send",
        "imap_host": "outlook.office365.com",
        "imap_port": 993,
        "imap_tls": "ssl",
        "smtp_host": "smtp.office365.com",
        "smtp_port": 587,
        "smtp_tls": "starttls",
    },
}

# Security (issue 11). Libraries: django-axes (login throttling), django-csp (the
# Content-Security-Policy), WhiteNoise (static files, with or without debug).
INSTALLED_APPS += ["axes"]
# WhiteNoise serves STATIC_ROOT (filled by collectstatic; `parley run` runs it).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Behind this many trusted reverse proxies, the client's address is taken from
# X-Forwarded-For (parley.core.net.client_ip); 0: REMOTE_ADDR.
PARLEY_PROXY_COUNT = int(os.environ.get("PARLEY_PROXY_COUNT", "0"))
# Logins: after this many failures within the cool-off, an account (from any address), or
# an address (for any account), is locked until the cool-off has passed since its last try.
PARLEY_LOGIN_FAILURES_PER_ACCOUNT = 5
PARLEY_LOGIN_FAILURES_PER_IP = 20
PARLEY_LOGIN_COOLOFF_MINUTES = 15
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = "parley.accounts.throttle.login_failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=PARLEY_LOGIN_COOLOFF_MINUTES)
AXES_USERNAME_CALLABLE = "parley.accounts.throttle.login_username"
AXES_CLIENT_IP_CALLABLE = "parley.core.net.client_ip"
AXES_LOCKOUT_CALLABLE = "parley.accounts.views.login_locked_out"
# A success must not wipe the address's count: an attacker with an account of their own
# would reset it between guesses at another.
AXES_RESET_ON_SUCCESS = False
# Tries while locked are refused without counting, so "try again in N minutes" holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ADMIN = False
# Password-reset emails, per address and per client address, per hour (parley.core.ratelimit).
PARLEY_PASSWORD_RESETS_PER_ADDRESS = 3
PARLEY_PASSWORD_RESETS_PER_IP = 10
PARLEY_PERIODIC["parley.core.ratelimit.rate_limits_prune"] = 3600

# Content-Security-Policy (django-csp): only Parley's own scripts, styles, frames and forms;
# no inline script or style. The email HTML frame and attachment downloads send their own,
# stricter policy. A form may also lead to the OAuth providers' sign-in pages.
_oauth_origins = sorted(
    {"/".join(str(p["authorize_url"]).split("/")[:3]) for p in PARLEY_EMAIL_OAUTH.values()}
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'", *_oauth_origins],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# PARLEY_HTTPS=1: served over HTTPS (directly, or behind a proxy that sets
# X-Forwarded-Proto): cookies only over HTTPS, HSTS for a year, plain HTTP redirected.
PARLEY_HTTPS = os.environ.get("PARLEY_HTTPS", "0") == "1"
if PARLEY_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Enrichment (issue 13): Fetch Email and TikTok audience figures from Influencers Club's
# API (parley.creators.enrichment). Without an API key the menu items say the provider is
# not configured and nothing is queued. The base URL is a setting so tests point it at a
# local server.
PARLEY_ENRICHMENT = {
    "provider": "influencers_club",
    "api_key": os.environ.get("PARLEY_INFLUENCERS_CLUB_API_KEY", ""),
    "base_url": os.environ.get(
        "PARLEY_INFLUENCERS_CLUB_URL", "https://api-dashboard.influencers.club"
    ),
    "timeout": 30,
}
# Audience figures younger than this are shown from the cache; "Refresh" asks again.
PARLEY_AUDIENCE_MAX_AGE_DAYS = int(os.environ.get("PARLEY_AUDIENCE_MAX_AGE_DAYS", "7"))
# Requests whose task was lost (a worker died, a queue was emptied) are queued again.
PARLEY_PERIODIC["parley.creators.enrichment.services.enrichment_requeue_overdue"] = 60

# SMS channel (issue 16): Twilio numbers, inbound and status webhooks, opt-outs.
INSTALLED_APPS += ["parley.channels.sms"]
# Empty: Twilio's own hosts. A base URL sends every Twilio API request there instead (the
# tests and benchmarks point it at a local server that answers as Twilio does).
PARLEY_TWILIO_API_URL = os.environ.get("PARLEY_TWILIO_API_URL", "")
PARLEY_TWILIO_TIMEOUT = float(os.environ.get("PARLEY_TWILIO_TIMEOUT", "15"))
# The most segments one SMS may take (Twilio advises at most 10), and the rate a new
# number sends at, messages a second (Twilio's throughput for a long code; settable per
# number).
PARLEY_SMS_MAX_SEGMENTS = int(os.environ.get("PARLEY_SMS_MAX_SEGMENTS", "10"))
PARLEY_SMS_DEFAULT_RATE = float(os.environ.get("PARLEY_SMS_DEFAULT_RATE", "1"))
# The largest media file of an inbound MMS that is kept (Twilio's own limit is 5 MB), and
# the largest webhook body taken (Twilio's are a few kilobytes).
PARLEY_SMS_MEDIA_MAX_BYTES = int(os.environ.get("PARLEY_SMS_MEDIA_MAX_BYTES", "5000000"))
PARLEY_SMS_WEBHOOK_MAX_BYTES = int(os.environ.get("PARLEY_SMS_WEBHOOK_MAX_BYTES", "64000"))
# MMS media whose fetch task was lost are fetched again.
PARLEY_PERIODIC["parley.channels.sms.inbound.sms_media_fetch_pending"] = 60

# Creator portal (issue 15): sign-in links last PARLEY_PORTAL_LINK_MINUTES (an invitation's
# link PARLEY_PORTAL_INVITATION_DAYS), at most PARLEY_PORTAL_LINKS_PER_ADDRESS an hour for
# one address and PARLEY_PORTAL_LINKS_PER_IP for one client address; a signed-in browser
# stays so for PARLEY_PORTAL_SESSION_DAYS; submitted files are at most
# PARLEY_PORTAL_CONTENT_MAX_BYTES.
INSTALLED_APPS += ["parley.portal"]
PARLEY_PORTAL_LINK_MINUTES = int(os.environ.get("PARLEY_PORTAL_LINK_MINUTES", "15"))
PARLEY_PORTAL_INVITATION_DAYS = int(os.environ.get("PARLEY_PORTAL_INVITATION_DAYS", "7"))
PARLEY_PORTAL_LINKS_PER_ADDRESS = int(os.environ.get("PARLEY_PORTAL_LINKS_PER_ADDRESS", "5"))
PARLEY_PORTAL_LINKS_PER_IP = int(os.environ.get("PARLEY_PORTAL_LINKS_PER_IP", "20"))
PARLEY_PORTAL_SESSION_DAYS = int(os.environ.get("PARLEY_PORTAL_SESSION_DAYS", "30"))
PARLEY_PORTAL_CONTENT_MAX_BYTES = int(
    os.environ.get("PARLEY_PORTAL_CONTENT_MAX_BYTES", "100000000")
)
# Expired sign-in links and portal sessions are deleted.
PARLEY_PERIODIC["parley.portal.services.portal_prune"] = 3600

"""Settings for hipflex_api, read from the environment.

DJANGO_ENV picks the profile: "development" (the default for manage.py and pytest) gets safe
local defaults; "production" (the default for wsgi.py and asgi.py, so for gunicorn) refuses to
start without DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS and turns on every deploy setting.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from hipflex_api.accounts.scopes import HEALTH_SCOPES, SCOPES, Scope

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file fills in what the environment leaves out, unless DJANGO_READ_DOT_ENV=false: the
# test suite's settings (tests/settings.py) say so, so that a developer's .env cannot change
# what the suite checks.
if env.bool("DJANGO_READ_DOT_ENV", default=True):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}."
    )
PRODUCTION = DJANGO_ENV == "production"


def _required_in_production(name: str, development_default: str) -> str:
    value = env.str(name, default="")
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production.")
    return development_default


SECRET_KEY = _required_in_production(
    "DJANGO_SECRET_KEY", "development-only-insecure-key-never-use-in-production"
)
DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = [
    host.strip()
    for host in _required_in_production(
        "DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver"
    ).split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "hipflex_api.errors.csrf_failure"

# Browsers may call the API from these origins only; none by default. Phones need no CORS.
CORS_ALLOWED_ORIGINS = env.list("DJANGO_CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "if-match",
    "if-none-match",
    "x-request-id",
]
CORS_EXPOSE_HEADERS = ["ETag", "Location", "Retry-After", "Idempotent-Replayed", "X-Request-ID"]

INSTALLED_APPS = [
    # The admin, on the project's site (hipflex_api.accounts.admin_site): its sign-in counts
    # wrong passwords and asks for a one-time password where staff have one.
    "hipflex_api.accounts.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "adminsortable2",
    "reversion",
    "reversion_compare",
    "import_export",
    "django_otp",
    "hipflex_api.accounts.apps.AuthenticatorsConfig",  # django_otp.plugins.otp_totp
    "django_otp.plugins.otp_static",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "hipflex_api.accounts",
    # Third-party apps' authorization server; after accounts, whose consent page and
    # application model (accounts.App) it uses.
    "oauth2_provider",
    "hipflex_api.changes",
    "hipflex_api.idempotency",
    "hipflex_api.jobs",
    "hipflex_api.ops",
    "hipflex_api.webhooks",
    "exercises",
    "sessions.apps.TrainingSessionsConfig",
]

MIDDLEWARE = [
    # First: every answer, an error page or a cached catalog page included, carries its
    # X-Request-ID and gets its log line; then django-prometheus' first half, which times it.
    "hipflex_api.ops.middleware.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Before anything reads the Host header or the query string: a bad one is the one JSON 400.
    "hipflex_api.errors.MalformedRequestMiddleware",
    # Each request starts showing health data; an app's token not granted it hides it.
    "hipflex_api.fields.HealthDataMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    # django-prometheus' second half (counts by view and status), before the catalog's cache
    # rather than last, so that an answer from the cache counts under its view too.
    "hipflex_api.ops.metrics.PrometheusAfterMiddleware",
    # Before CSRF and auth (after CORS, whose headers it needs): a cached public catalog
    # answer needs neither.
    "exercises.catalog_cache.CatalogCacheMiddleware",
    # Refuses a query parameter the operation does not read, before the view (and its cache).
    "hipflex_api.query_params.KnownQueryParametersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Whether the admin's user gave a one-time password this session (request.user.is_verified).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hipflex_api.urls"
WSGI_APPLICATION = "hipflex_api.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The core package's pages (it is not an app): ReDoc's, without Google's fonts.
        "DIRS": [BASE_DIR / "hipflex_api" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int(
    "DATABASE_CONN_MAX_AGE", default=60 if PRODUCTION else 0
)
# A kept connection is checked before a request reuses it, so that one the database dropped
# (a restart, a failover, a terminated backend) is replaced, not failed on: the first request
# after the database returns succeeds.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# On PostgreSQL, the sign-in's query (the user row with its change numbers) runs as a statement
# prepared once per connection. Off behind a pooler in transaction mode (PgBouncer's), where
# the next transaction may run on a server connection that never saw the statement.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
# The same backend wrapped by django-prometheus, which counts queries, errors and connections
# for /metrics.
if (_backend := DATABASES["default"]["ENGINE"].removeprefix("django.db.backends.")) in {
    "mysql",
    "postgresql",
    "sqlite3",
}:
    DATABASES["default"]["ENGINE"] = f"django_prometheus.db.backends.{_backend}"
# SQLite (`make run`'s database) lets one writer in at a time: the others wait up to
# SQLITE_BUSY_TIMEOUT_SECONDS for their turn, then get a 503 to retry (hipflex_api.errors).
# IMMEDIATE takes the write lock at BEGIN, for a transaction that reads before it writes
# would otherwise fail at once instead of waiting; WAL lets reads go on during a write, and
# NORMAL is WAL's safe sync (a power cut may lose the last commits, never the file).
SQLITE_BUSY_TIMEOUT_SECONDS = env.float("SQLITE_BUSY_TIMEOUT_SECONDS", default=5.0)
if _backend == "sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        **DATABASES["default"].get("OPTIONS", {}),
    }
# A PostgreSQL that takes connections but never answers (a host gone from the network, a
# failover under way) costs a request this long, not the minutes TCP would wait: then a 503.
DATABASE_CONNECT_TIMEOUT_SECONDS = env.int("DATABASE_CONNECT_TIMEOUT_SECONDS", default=5)
# A connection whose database host stops acknowledging (gone from the network without closing
# it) is dropped after about this long (twice it while an answer is awaited), rather than
# after TCP's minutes or hours.
DATABASE_TCP_USER_TIMEOUT_SECONDS = env.int("DATABASE_TCP_USER_TIMEOUT_SECONDS", default=10)
# PostgreSQL cancels a statement of a request answered by the web server (wsgi.py and asgi.py
# say which process that is) after this long, and the request gets a 503 database_busy: a slow
# query or a lock held too long costs one answer, not a worker held until gunicorn kills it.
# Migrations, commands and Celery's jobs run without it. 0 turns it off.
DATABASE_STATEMENT_TIMEOUT_SECONDS = env.float("DATABASE_STATEMENT_TIMEOUT_SECONDS", default=20)
_SERVES_REQUESTS = env.bool("HIPFLEX_SERVES_REQUESTS", default=False)
if _backend == "postgresql":
    _options = DATABASES["default"].get("OPTIONS", {})
    if _SERVES_REQUESTS and DATABASE_STATEMENT_TIMEOUT_SECONDS:
        # First, so that a statement_timeout in DATABASE_URL's own options wins.
        _timeout = f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_SECONDS * 1000:.0f}"
        _options["options"] = f"{_timeout} {_options.get('options', '')}".strip()
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": DATABASE_CONNECT_TIMEOUT_SECONDS,
        # Sent data unacknowledged that long, or (the keepalives) an answer awaited from a
        # host that no longer acknowledges probes: the connection is dropped, a 503 follows.
        "tcp_user_timeout": DATABASE_TCP_USER_TIMEOUT_SECONDS * 1000,
        "keepalives": 1,
        "keepalives_idle": DATABASE_TCP_USER_TIMEOUT_SECONDS,
        "keepalives_interval": max(1, DATABASE_TCP_USER_TIMEOUT_SECONDS // 3),
        "keepalives_count": 3,
        **_options,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Deployments collect static files into STATIC_ROOT; development serves them from the apps.
STATIC_ROOT = BASE_DIR / "staticfiles" if PRODUCTION else None
WHITENOISE_USE_FINDERS = not PRODUCTION
# Uploaded exercise images and their renditions: files under MEDIA_ROOT, served at MEDIA_URL
# (by `make run` itself; in production by the web server in front, or a CDN), or any
# S3-compatible store when MEDIA_S3_BUCKET is set, through django-storages.
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Each call to the S3-compatible store gives up after this many seconds and is tried twice at
# most, so that a store that hangs costs an upload seconds (then a 503), not a worker.
STORAGE_TIMEOUT_SECONDS = env.float("STORAGE_TIMEOUT_SECONDS", default=5.0)
MEDIA_S3_BUCKET = env.str("MEDIA_S3_BUCKET", default="")
_MEDIA_STORAGE: dict[str, Any] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if MEDIA_S3_BUCKET:
    from botocore.config import Config

    _MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            # Unset: AWS itself, and boto3's own lookup of the credentials.
            "endpoint_url": env.str("MEDIA_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("MEDIA_S3_REGION", default=None),
            "access_key": env.str("MEDIA_S3_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("MEDIA_S3_SECRET_ACCESS_KEY", default=None),
            # A CDN's host in front of the bucket, for the URLs the API gives.
            "custom_domain": env.str("MEDIA_S3_CUSTOM_DOMAIN", default=None),
            # The catalog's images are public: plain URLs, which a cached answer can keep. A
            # bucket policy makes the objects readable, or else this ACL on each.
            "querystring_auth": False,
            "default_acl": env.str("MEDIA_S3_DEFAULT_ACL", default=None),
            "file_overwrite": False,
            "client_config": Config(
                connect_timeout=STORAGE_TIMEOUT_SECONDS,
                read_timeout=STORAGE_TIMEOUT_SECONDS,
                retries={"max_attempts": 2, "mode": "standard"},
            ),
        },
    }
STORAGES = {
    "default": _MEDIA_STORAGE,
    "staticfiles": {
        # Hashed, compressed files need collectstatic first, which only deployments run.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

# A request body larger than this is refused with a 413 before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

COUNTERS_CACHE = "counters"
# The largest answer body kept in the cache (hipflex_api.conditional); larger ones are made
# afresh each time, their ETags and 304s unchanged.
CACHE_MAX_BODY_BYTES = env.int("CACHE_MAX_BODY_BYTES", default=256 * 1024)

# Each call to a Redis cache gives up after CACHE_TIMEOUT_SECONDS, so that a Redis that hangs
# cannot hold a worker. Cached answers do without a Redis that fails: the request is answered
# from the database, and Redis tried again CACHE_RETRY_SECONDS later (ops.cache.AnswerCache).
CACHE_TIMEOUT_SECONDS = env.float("CACHE_TIMEOUT_SECONDS", default=0.25)
CACHE_RETRY_SECONDS = env.float("CACHE_RETRY_SECONDS", default=5.0)
_REDIS_OPTIONS = {
    "socket_connect_timeout": CACHE_TIMEOUT_SECONDS,
    "socket_timeout": CACHE_TIMEOUT_SECONDS,
}

# Redis when REDIS_URL is set, so that every worker shares throttle counts and cached answers
# (catalog pages, session lists, sync pages, stats); else each process keeps its own. The key
# prefix keeps two deployments that share a Redis (staging and production) apart. The backends
# are Django's own, counting hits and misses for /metrics (hipflex_api.ops.cache).
CACHES = {
    "default": {
        **(
            {
                "BACKEND": "hipflex_api.ops.cache.AnswerCache",
                "LOCATION": REDIS_URL,
                "OPTIONS": _REDIS_OPTIONS,
            }
            if (REDIS_URL := env.str("REDIS_URL", default=""))
            else {"BACKEND": "hipflex_api.ops.cache.LocMemCache"}
        ),
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="hipflex"),
    },
    # Throttle counts and mail claims, apart from cached answers so that no flood of those can
    # push a count out: a Redis of their own (COUNTERS_REDIS_URL, with maxmemory-policy
    # noeviction; it defaults to REDIS_URL, which check --deploy warns of), or local memory
    # that drops only expired entries.
    COUNTERS_CACHE: {
        **(
            {
                "BACKEND": "hipflex_api.ops.cache.RedisCache",
                "LOCATION": COUNTERS_REDIS_URL,
                "OPTIONS": _REDIS_OPTIONS,
            }
            if (COUNTERS_REDIS_URL := env.str("COUNTERS_REDIS_URL", default=REDIS_URL))
            else {
                "BACKEND": "hipflex_api.ops.cache.CounterCache",
                "LOCATION": "counters",
                # Past this many entries each write first drops the expired ones.
                "OPTIONS": {"MAX_ENTRIES": 10_000},
            }
        ),
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="hipflex") + ":counters",
    },
}

# Background jobs run on Celery. Redis is the broker when CELERY_BROKER_URL or REDIS_URL is set
# (start `celery -A hipflex_api.worker worker` and `... beat`); without one, each job runs in the
# web process right after the transaction that enqueued it commits, so `make run` needs nothing.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # A broker nothing is ever sent to, so that Celery does not go looking for one on localhost.
    CELERY_BROKER_URL = "memory://localhost/"
# A job that fails in the web process is logged, never raised into the request that caused it.
CELERY_TASK_EAGER_PROPAGATES = False
# A job is taken off the queue only once it has run, so a worker that dies mid-job loses none.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# The queue jobs go to and workers take them from; two deployments that share a broker keep
# apart by it (or by the broker's database number).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
# Workers log through LOGGING below, as the web processes do, not through Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Task modules outside the apps' tasks.py, which autodiscovery finds by itself.
CELERY_IMPORTS = ["hipflex_api.mail"]
# Redis hands a job to another worker when it has not been acknowledged within this time: a
# worker killed mid-job (SIGKILL, the machine lost) has its job run again this long after it
# took it, by a worker that starts then or, on one already running, within 100 s more (how
# often kombu looks). So no job may run this long, nor wait this long for a retry (a worker
# holds a job until its countdown ends): mail backs off at most half of it.
CELERY_VISIBILITY_TIMEOUT_SECONDS = env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=600)
# And so a job that runs past half of it is stopped (its worker process replaced), rather
# than run a second time beside itself.
CELERY_TASK_TIME_LIMIT = CELERY_VISIBILITY_TIMEOUT_SECONDS // 2
# Each call to the broker gives up after BROKER_TIMEOUT_SECONDS, so that a broker that hangs
# holds a request for seconds, not minutes; the job then waits in the database (hipflex_api.jobs).
BROKER_TIMEOUT_SECONDS = env.float("BROKER_TIMEOUT_SECONDS", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS,
    "socket_timeout": BROKER_TIMEOUT_SECONDS,
    "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
}
# One more try, at once, when a publish fails (a kept connection the broker dropped); past
# that the job is the relay's, not the request's, to hand over.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0}
# How often beat has the relay hand the broker the jobs it did not take when they were
# enqueued; a job is the relay's once it is this old.
JOBS_RELAY_SECONDS = env.float("JOBS_RELAY_SECONDS", default=10)
# Housekeeping, run by the one beat process of a deployment. The management commands
# (purge_idempotency_records, flushexpiredtokens, clearsessions, purge_account_tokens) do the
# same for operators who prefer cron, as does django-oauth-toolkit's cleartokens.
CELERY_BEAT_SCHEDULE = {
    **{
        name: {
            "task": task,
            "schedule": timedelta(seconds=env.int("HOUSEKEEPING_SECONDS", default=3600)),
        }
        for name, task in {
            "purge-idempotency-records": "hipflex_api.idempotency.purge",
            "flush-expired-jwts": "hipflex_api.accounts.flush_expired_jwts",
            "clear-oauth-tokens": "hipflex_api.accounts.clear_oauth_tokens",
            "clear-sessions": "hipflex_api.accounts.clear_sessions",
            "purge-account-tokens": "hipflex_api.accounts.purge_account_tokens",
            "purge-webhook-log": "hipflex_api.webhooks.purge_log",
            # Hourly by default, as each time zone's week ends at its own hour.
            "tell-weekly-adherence": "sessions.tell_weekly_adherence",
        }.items()
    },
    "send-due-webhooks": {
        "task": "hipflex_api.webhooks.send_due",
        "schedule": timedelta(seconds=env.float("WEBHOOK_SEND_DUE_SECONDS", default=15)),
        "options": {"expires": env.float("WEBHOOK_SEND_DUE_SECONDS", default=15)},
    },
    "relay-jobs": {
        "task": "hipflex_api.jobs.relay",
        "schedule": timedelta(seconds=JOBS_RELAY_SECONDS),
        # A relay that waited for a worker past the next one is not needed any more.
        "options": {"expires": JOBS_RELAY_SECONDS},
    },
}
# Mail jobs retry on SMTP errors with exponential backoff from this many seconds (at most
# half of CELERY_VISIBILITY_TIMEOUT_SECONDS), up to MAIL_MAX_RETRIES times (20 to 40 minutes
# in all by default), then give up and log the mail as lost.
MAIL_RETRY_BACKOFF_SECONDS = env.int("MAIL_RETRY_BACKOFF_SECONDS", default=10)
MAIL_MAX_RETRIES = env.int("MAIL_MAX_RETRIES", default=12)

# Mail goes through Django's mail API, configured by one URL: smtp://user:password@host:25,
# smtp+tls://... (STARTTLS), smtps://... (TLS), or consolemail:// (the default), which prints
# each mail to the console, so a developer copies a reset token from `make run`'s output.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="hipflex <no-reply@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# How long a mail job holds a mail's id while it sends it (each step of an SMTP exchange may
# take EMAIL_TIMEOUT): a second run of the job, meanwhile, waits this long for the first (or
# for a worker that died mid-send) before it sends the mail itself.
MAIL_CLAIM_SECONDS = env.int("MAIL_CLAIM_SECONDS", default=10 * EMAIL_TIMEOUT)
# The name mails sign with.
MAIL_PRODUCT_NAME = env.str("MAIL_PRODUCT_NAME", default="hipflex")

REST_FRAMEWORK = {
    # Bearer tokens only: the admin's cookie session is no way into the API, and a request
    # without credentials gets a 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hipflex_api.accounts.auth.JWTAuthentication",
        # Third-party apps' access tokens, held to each operation's scope (accounts.scopes).
        "hipflex_api.accounts.auth.AppTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
    ],
    # JSON only: an API error is never an HTML page, not even for a browser.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["hipflex_api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "hipflex_api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "hipflex_api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "hipflex_api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Behind this many proxies the client's address is read from X-Forwarded-For; with 0 the
    # header is ignored, so a script cannot dodge the login throttle by inventing addresses.
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
    "DEFAULT_THROTTLE_RATES": {
        "login_ip": env.str("THROTTLE_LOGIN_IP", default="30/min"),
        # Failed logins per account from one client address (tight), and from all (loose, so
        # its owner still gets in while a stranger guesses elsewhere); wrong passwords sent by a
        # signed-in user (to change the password or address, or delete the account) likewise.
        "login_account_client": env.str("THROTTLE_LOGIN_ACCOUNT_CLIENT", default="10/hour"),
        "login_account": env.str("THROTTLE_LOGIN_ACCOUNT", default="100/hour"),
        "password_check_client": env.str("THROTTLE_PASSWORD_CHECK_CLIENT", default="10/hour"),
        "password_check": env.str("THROTTLE_PASSWORD_CHECK", default="50/hour"),
        "register": env.str("THROTTLE_REGISTER", default="20/hour"),
        # Requests that mail someone (a reset, a new confirmation link), per client address
        # (429 past it), and changes of address per account (each mails two addresses).
        "mail_ip": env.str("THROTTLE_MAIL_IP", default="30/hour"),
        "email_change": env.str("THROTTLE_EMAIL_CHANGE", default="5/hour"),
        # Webhook pings and redeliveries a person asks for: each is a request to their URL.
        "webhook_send": env.str("THROTTLE_WEBHOOK_SEND", default="60/hour"),
        # How many mails of each kind one address gets, per client address asking (_client)
        # and in all: past either the answer is the same 202 and no mail goes, and a stranger
        # asking from elsewhere uses up only their own share (accounts.throttles.MailQuota).
        **{
            f"{kind}_address{share}": env.str(
                f"MAIL_QUOTA_{kind.upper()}{share.upper()}", default=rate
            )
            for kind in ("register", "reset", "confirmation", "change")
            for share, rate in (("_client", "3/hour"), ("", "20/hour"))
        },
        # Mailed tokens presented back that were not valid, per client address.
        "token_ip": env.str("THROTTLE_TOKEN_IP", default="30/hour"),
        # Wrong passwords at the admin's sign-in, per account from one client address (tight:
        # a trainer who mistypes five times waits) and from all.
        "admin_login_account_client": env.str(
            "THROTTLE_ADMIN_LOGIN_ACCOUNT_CLIENT", default="5/hour"
        ),
        "admin_login_account": env.str("THROTTLE_ADMIN_LOGIN_ACCOUNT", default="50/hour"),
        # Invitation codes redeemed that were not valid, per account and per client address:
        # a person mistyping one gets several tries; a script guessing gets nowhere.
        "invitation_code": env.str("THROTTLE_INVITATION_CODE", default="10/hour"),
        "invitation_code_ip": env.str("THROTTLE_INVITATION_CODE_IP", default="30/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=30)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Tokens carry a hash of the password, so changing it ends every session at once.
    "CHECK_REVOKE_TOKEN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "TOKEN_OBTAIN_SERIALIZER": "hipflex_api.accounts.serializers.TokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "hipflex_api.accounts.serializers.TokenRefreshSerializer",
}


# Third-party apps (django-oauth-toolkit): staff register them in the admin (accounts.App);
# a person connects one on the server's own consent page (/o/authorize/), and its tokens
# reach only what the scopes granted (accounts.scopes).
OAUTH2_PROVIDER_APPLICATION_MODEL = "accounts.App"
# The toolkit's own, named so that accounts.PersonalToken can point at it.
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105 - a model
OAUTH2_PROVIDER = {
    "SCOPES": SCOPES,
    "DEFAULT_SCOPES": [scope.value for scope in Scope if scope not in HEALTH_SCOPES],
    "SCOPES_BACKEND_CLASS": "hipflex_api.accounts.oauth.AppScopes",
    # Every app proves it sent the person (PKCE), confidential ones too, as the OAuth 2.0
    # security best practice (RFC 9700) asks: a stolen code is worthless without it.
    "PKCE_REQUIRED": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_ACCESS_SECONDS", default=3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_REFRESH_DAYS", default=30) * 24 * 3600,
    # A refresh token works once; one used twice (stolen, or replayed) ends the whole chain.
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # Asked again only for scopes the person has not granted this app yet.
    "REQUEST_APPROVAL_PROMPT": "auto",
    # Redirect URIs: https, and in development http too, for a receiver on loopback.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"] if PRODUCTION else ["https", "http"],
    "ALLOWED_SCHEMES": ["https"] if PRODUCTION else ["https", "http"],
    "ALLOW_LOCALHOST_LOOPBACK": True,
    "ERROR_RESPONSE_WITH_SCOPES": True,
    # The OAuth 2.0 security best practice (RFC 9700), each of its recommendations enforced:
    # tokens kept as digests only, S256 PKCE, no token in a query string, the issuer named in
    # the redirect, redirect URIs matched exactly, and no implicit or password grant.
    **{
        f"COMPLIANT_BCP_RFC9700_{gate}": True
        for gate in (
            "IMPLICIT_GRANT",
            "PASSWORD_GRANT",
            "PKCE_METHOD",
            "ACCESS_TOKEN_TRANSPORT",
            "AUTHZ_RESPONSE_ISS",
            "TOKEN_STORAGE",
            "REFRESH_TOKEN",
            "REDIRECT_URI_SCHEME",
            "REDIRECT_URI_MATCHING",
            "PKCE_REQUIRED",
        )
    },
}
# The consent page's sign-in: the person's email and password, on this server's own page.
LOGIN_URL = "oauth2_provider:sign-in"


# What mailed links look like: an app's deep link or a web page, with {token} where the token
# goes. Mails carry the token on its own too, for an app that lets its user paste it.
def _link_template(name: str, default: str) -> str:
    template = env.str(name, default=default)
    try:
        filled = template.format_map({"token": "\x00"})
    except (KeyError, IndexError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"{name} may hold {{token}} and nothing else in braces."
        ) from exc
    if "\x00" not in filled:
        raise ImproperlyConfigured(f"{name} must contain {{token}}, as in {default!r}.")
    return template


PASSWORD_RESET_URL = _link_template("PASSWORD_RESET_URL", "hipflex://password-reset?token={token}")
EMAIL_VERIFY_URL = _link_template("EMAIL_VERIFY_URL", "hipflex://verify-email?token={token}")
# How long a mailed token works: Django's own setting for resets, in seconds (an hour here).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
EMAIL_VERIFY_TIMEOUT = env.int("EMAIL_VERIFY_TIMEOUT", default=3 * 24 * 3600)
# Whether logging in needs a confirmed address. Off by default, so that `make run` needs no mail
# server; a production deployment that wants it sets ACCOUNTS_REQUIRE_VERIFIED_EMAIL=true.
ACCOUNTS_REQUIRE_VERIFIED_EMAIL = env.bool("ACCOUNTS_REQUIRE_VERIFIED_EMAIL", default=False)

# Limits on what one upload may hold, on top of the byte limit above.
MAX_SETS_PER_SESSION = env.int("MAX_SETS_PER_SESSION", default=200)
# How many sessions one account may store in any 24 hours (uploads, creating PUTs and routine
# starts alike), and how many of them routine starts may make in any hour: with the sets per
# session they bound what one account writes (40,000 sets a day by default). A phone back
# online after weeks sends its backlog within this; an import of years of history is spread
# over days, or run with the limit raised.
MAX_SESSIONS_PER_DAY = env.int("MAX_SESSIONS_PER_DAY", default=200)
MAX_ROUTINE_STARTS_PER_HOUR = env.int("MAX_ROUTINE_STARTS_PER_HOUR", default=20)
# How long an Idempotency-Key's first response is kept for replay.
IDEMPOTENCY_KEY_TTL = timedelta(hours=env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24))

# Coaching advice, cautious by default: any pain at all suggests the milder option, as the
# article says ("if you feel pain, choose a milder option"), and the harder one waits for
# several easy, pain-free sessions in a row and is only ever proposed, never imposed.
COACHING = {
    # Pain (0-10) at or above this, in a recent set of an exercise, suggests its milder option.
    "PAIN_THRESHOLD": env.int("COACHING_PAIN_THRESHOLD", default=1),
    # The latest sessions with the exercise that count as "recent" for pain...
    "RECENT_SESSIONS": env.int("COACHING_RECENT_SESSIONS", default=2),
    # ...as long as they are no older than this many days.
    "RECENT_DAYS": env.int("COACHING_RECENT_DAYS", default=28),
    # This many sessions in a row, pain-free and no harder than EASY_EFFORT, suggest the harder.
    "EASY_SESSIONS": env.int("COACHING_EASY_SESSIONS", default=3),
    "EASY_EFFORT": env.int("COACHING_EASY_EFFORT", default=4),
}
# A trainer's review queue and the changes it proposes to programs, cautious by default.
REVIEW = {
    # Pain at or above this in a set of the last PAIN_DAYS days flags the client, by side.
    "PAIN_THRESHOLD": env.int("REVIEW_PAIN_THRESHOLD", default=3),
    "PAIN_DAYS": env.int("REVIEW_PAIN_DAYS", default=7),
    # This many planned times missed in a row flag the client.
    "MISSED_IN_A_ROW": env.int("REVIEW_MISSED_IN_A_ROW", default=3),
    # Adherence below this (0 to 1) over ADHERENCE_DAYS days, with at least 3 times due.
    "LOW_ADHERENCE": env.float("REVIEW_LOW_ADHERENCE", default=0.5),
    "ADHERENCE_DAYS": env.int("REVIEW_ADHERENCE_DAYS", default=14),
    # No session for this many days while a program stands.
    "INACTIVE_DAYS": env.int("REVIEW_INACTIVE_DAYS", default=7),
    # A harder option is proposed after adherence of at least this over PROGRESS_DAYS days,
    # with no pain above PROGRESS_PAIN on either side then, and none at all in the last
    # PAIN_DAYS; pain at or above COACHING["PAIN_THRESHOLD"] proposes the milder at once.
    "PROGRESS_ADHERENCE": env.float("REVIEW_PROGRESS_ADHERENCE", default=0.8),
    "PROGRESS_DAYS": env.int("REVIEW_PROGRESS_DAYS", default=14),
    "PROGRESS_PAIN": env.int("REVIEW_PROGRESS_PAIN", default=2),
}
# Coaching links: how long a trainer's invitation code works, and how many links and open
# invitations there may be (a trainer's clients, a client's trainers): past one, a 422 names it.
COACHING_INVITATION_HOURS = env.int("COACHING_INVITATION_HOURS", default=7 * 24)
MAX_OPEN_INVITATIONS = env.int("MAX_OPEN_INVITATIONS", default=50)
MAX_CLIENTS_PER_TRAINER = env.int("MAX_CLIENTS_PER_TRAINER", default=500)
MAX_TRAINERS_PER_CLIENT = env.int("MAX_TRAINERS_PER_CLIENT", default=10)
# Personal access tokens: how many unexpired ones a person may hold, and the longest a new
# one may work, in days.
MAX_PERSONAL_TOKENS = env.int("MAX_PERSONAL_TOKENS", default=20)
PERSONAL_TOKEN_MAX_DAYS = env.int("PERSONAL_TOKEN_MAX_DAYS", default=365)
# Webhooks: how many endpoints a person may register; how long a receiver has to answer one
# try; the waits between tries after a failed one (jittered by a fifth either way; about a day
# in all), after which the delivery fails; how long an endpoint fails before a delivery that
# fails every try disables it (its owner told by mail); how long a rotated secret keeps
# signing beside the new one. Outside production, http to loopback is allowed for a receiver
# on the developer's own machine; production sends to public https addresses only.
MAX_WEBHOOK_ENDPOINTS = env.int("MAX_WEBHOOK_ENDPOINTS", default=10)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10)
WEBHOOK_RETRY_SECONDS = env.list(
    "WEBHOOK_RETRY_SECONDS", cast=float, default=[5, 60, 300, 1800, 7200, 18000, 30000, 30000]
)
WEBHOOK_DISABLE_AFTER_SECONDS = env.int("WEBHOOK_DISABLE_AFTER_SECONDS", default=24 * 3600)
WEBHOOK_SECRET_OVERLAP_SECONDS = env.int("WEBHOOK_SECRET_OVERLAP_SECONDS", default=24 * 3600)
WEBHOOK_ALLOW_LOOPBACK = env.bool("WEBHOOK_ALLOW_LOOPBACK", default=not PRODUCTION)
# How many days of events and their delivery log are kept (housekeeping deletes older ones).
WEBHOOK_LOG_DAYS = env.int("WEBHOOK_LOG_DAYS", default=30)
# Programs one client may have assigned at once, from all their trainers.
MAX_ASSIGNMENTS_PER_CLIENT = env.int("MAX_ASSIGNMENTS_PER_CLIENT", default=20)
# How long a server process trusts the catalog version it last read before reading it again.
# Trainers' edits reach other processes' cached catalog answers and ETags within this time.
CATALOG_VERSION_SECONDS = env.float("CATALOG_VERSION_SECONDS", default=1.0)

# How long one repetition takes, for a routine's estimated duration.
ROUTINE_SECONDS_PER_REP = 3

# The admin's sign-in. Staff who add an authenticator (Django OTP, TOTP devices) give its
# code after their password; with this on, every staff account must, and one without an
# authenticator is refused until an administrator gives it a one-time code (addstatictoken).
ADMIN_REQUIRE_OTP = env.bool("DJANGO_ADMIN_REQUIRE_OTP", default=False)
OTP_TOTP_ISSUER = env.str("DJANGO_OTP_ISSUER", default="hipflex_api")
# Nobody reads an authenticator's secret in the admin; its owner scans it once, to set it up.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# The spreadsheet round trip: importing changes exercises, exporting reads them.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

SPECTACULAR_SETTINGS = {
    "TITLE": "hipflex_api",
    "DESCRIPTION": (
        "REST API for fitness apps: an exercise catalog that grew from a trainer's hip-flexor "
        "routine, readable without an account, and private workout logs that survive a "
        "phone's bad connection.\n\n"
        "**Authentication.** Register or log in under `/api/v1/auth/` to get a JWT pair; send "
        "`Authorization: Bearer <access>`. Access tokens live minutes; trade the refresh "
        "token at `/api/v1/auth/token/refresh/` for a new pair (the old refresh token stops "
        "working).\n\n"
        "**Third-party apps.** An app that is not the person's own connects with OAuth2 "
        "(`appOAuth`): the authorization code grant with PKCE at `/o/authorize/` and "
        "`/o/token/`, on this server's own sign-in and consent pages. Each operation names "
        "the scope an app's token needs; one that names none answers an app's token 403 "
        "`first_party_only`.\n\n"
        "**Safe retries.** Give each workout session a UUID of your own and upload it with "
        "`POST` (a stored id comes back unchanged) or `PUT` (creates it if missing), or send an "
        "`Idempotency-Key` header. Change a session with the `ETag` you last saw in `If-Match`; "
        "a stale one gets 412. `GET /api/v1/sync/` hands each device what changed since its "
        "last cursor, deletions included.\n\n"
        "**Errors.** Every error is JSON with one shape (`Error`): the HTTP `status`, a "
        "machine-readable `code`, a human-readable `detail`, and `errors`, a list naming each "
        "offending field (`field` is a dotted path such as `sets.2.reps`, or null for the "
        "request as a whole). A 500 also carries `request_id`.\n\n"
        "**Request ids.** Every answer carries `X-Request-ID`: the one the request sent, if it "
        "was 1 to 200 printable ASCII characters, else a new one. Quote it when reporting a "
        "problem: the server's log lines for the request carry it.\n\n"
        "**Health data.** Fields that say something of a person's body (pain scores, painful "
        "sides, perceived effort) carry `x-health-data: true`. A client shares them with a "
        "trainer only by redeeming the trainer's invitation, and stops at once by ending the "
        "link; with an app only by granting it `pain:read`, which the consent page asks "
        "apart: answers to an app without it leave those fields out."
    ),
    # A change that breaks generated clients needs a new major version and its CHANGELOG.md
    # section; .ci/api_changes.py checks it.
    "VERSION": "3.2.0",
    "LICENSE": {"name": "MIT", "url": "https://opensource.org/licenses/MIT"},
    "CONTACT": {"name": "hipflex_api maintainers"},
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # A nullable choice is the enum, nullable: not a oneOf with a NullEnum, which trips generators.
    "ENUM_ADD_EXPLICIT_BLANK_NULL_CHOICE": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "hipflex_api.schema.name_every_enum",
        "hipflex_api.schema.nullable_references",
        "hipflex_api.schema.require_response_fields",
        "hipflex_api.schema.request_defaults_in_words",
        "hipflex_api.schema.state_nul_refusal",
        "hipflex_api.schema.state_one_of_required",
        "hipflex_api.schema.document_request_id",
        "hipflex_api.schema.describe_responses",
        "hipflex_api.schema.list_error_codes",
        "hipflex_api.schema.name_the_server",
        "hipflex_api.schema_examples.add_recorded_examples",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # ReDoc's script comes from hipflex_api/docs.py (f"{REDOC_DIST}/bundles/…"): the sidecar's
    # copy without the logo it fetches from a CDN. Its fonts are the reader's own.
    "REDOC_DIST": "/api/redoc",
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, sans-serif",
                "headings": {"fontFamily": "system-ui, sans-serif"},
            }
        }
    },
    "ENUM_NAME_OVERRIDES": {
        "ExerciseKindEnum": "exercises.models.Exercise.Kind",
        "DifficultyEnum": "exercises.models.Exercise.Difficulty",
        "MuscleRoleEnum": "exercises.models.ExerciseMuscle.Role",
        "MediaKindEnum": "exercises.models.ExerciseMedia.Kind",
        "ErrorCodeEnum": "hipflex_api.serializers.ERROR_CODE_CHOICES",
        "SideEnum": "sessions.models.SetLog.Side",
        "StatusEnum": "sessions.serializers.OCCURRENCE_STATUSES",
        "WebhookEventTypeEnum": "hipflex_api.webhooks.events.EventType",
        "WebhookDeliveryStatusEnum": "hipflex_api.webhooks.models.Delivery.Status",
        "SubscribableEventTypeEnum": "hipflex_api.webhooks.events.SUBSCRIBABLE_NAMES",
        "ConnectionEndReasonEnum": "hipflex_api.accounts.signals.CONNECTION_END_REASONS",
        "ReasonEnum": "sessions.models.Flag",
    },
    "TAGS": [
        {
            "name": "exercises",
            "description": "The exercise catalog: what to do, how, and how much.",
        },
        {"name": "muscles", "description": "Muscles that exercises target."},
        {"name": "equipment", "description": "What an exercise needs at hand."},
        {"name": "auth", "description": "Accounts and JWT tokens."},
        {"name": "me", "description": "The caller's own account: profile, password, export."},
        {"name": "routines", "description": "Curated routines and the caller's own."},
        {"name": "sessions", "description": "The caller's workout sessions and their sets."},
        {"name": "sync", "description": "One change feed per user, for offline devices."},
        {
            "name": "webhooks",
            "description": "Signed events about the caller's own data, sent to their URLs.",
        },
        {"name": "ops", "description": "Probes for load balancers and orchestrators."},
        {"name": "root", "description": "The index: a link to every collection and the docs."},
    ],
}

# Logs go to the console: one JSON object a line in production, for a log collector, and
# human-readable text in development. Every line logged while a request is answered carries its
# request id; each request gets a line of its own (hipflex_api.requests, at DEBUG for the probes
# and metrics), and so does each task run (hipflex_api.tasks).
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="json" if PRODUCTION else "text")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT must be 'json' or 'text', not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "hipflex_api.ops.logs.RequestIdFilter"},
        "no_runserver_request_lines": {"()": "hipflex_api.ops.logs.RunserverRequestLineFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["levelname", "name", "message", "request_id"],
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
        "text": {
            "()": "logging.Formatter",
            "fmt": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
            "defaults": {"request_id": "-"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # Django's own handlers would print every request line and warning a second time, and so
    # would runserver's access line and Celery's "succeeded" line: the request and task lines
    # say it all.
    "loggers": {
        "django": {"handlers": ["console"], "propagate": False},
        "django.server": {
            "handlers": ["console"],
            "propagate": False,
            "filters": ["no_runserver_request_lines"],
        },
        "celery.app.trace": {"level": "WARNING"},
    },
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    # Probes and scrapes come from inside the network, over plain HTTP, to each instance.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# /readyz gives each dependency this long to answer.
READINESS_TIMEOUT_SECONDS = env.float("READINESS_TIMEOUT_SECONDS", default=2.0)
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, it is a 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Errors (and, at this sample rate, traces) go to Sentry when SENTRY_DSN is set.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    from hipflex_api.ops.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN, environment=DJANGO_ENV, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE
    )

# Only bench/ turns this on: it routes the bare views that endpoints are measured against.
BENCHMARK = env.bool("DJANGO_BENCHMARK", default=False)

"""Settings for the 一网通 portal, read from the environment (see docs/CONTRACT.md "Configuration").

With no environment at all the portal runs embedded: SQLite and a filesystem Celery broker under ``var/``, so
``make run`` needs no server software. ``DJANGO_ENV=production`` switches to settings that pass
``manage.py check --deploy`` and refuses to start without a real secret and host list.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    """Parse a yes/no variable; a typo must fail loudly rather than silently mean False."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false)")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development").strip().lower()
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV={DJANGO_ENV!r}: use 'development' or 'production'")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)

_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production"  # noqa: S105 — refused in production
SECRET_KEY = os.environ.get("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET):
    raise ImproperlyConfigured("DJANGO_ENV=production needs SECRET_KEY set to a long random value")
# Rotation (docs/security.md): the previous keys, still accepted for what they signed, for one session lifetime.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ENV=production needs ALLOWED_HOSTS (comma-separated host names)")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "portal",
    "forms_engine",
    "departments",
    "registration",
    "reporting",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "mozilla_django_oidc",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Early, so that answers a later middleware gives by itself (a refused request, the staff second-factor
    # redirect) carry the response headers too (ASVS V14.4).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "portal.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signed-in answers: Cache-Control no-store (ASVS V8.2.1).
    "portal.middleware.SensitivePageCacheMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff: a second factor before any page, and a sign-out after a spell of inactivity (docs/security.md).
    "portal.middleware.StaffSessionMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it sees the answer of a sign-in a locked-out client attempted and replaces it.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.sign_in",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
# Behind a pooler in transaction mode (PgBouncer) a server-side cursor, which `.iterator()` opens, would outlive the
# transaction it is bound to: such a deployment turns them off (Django then reads those results in chunks).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DB_DISABLE_SERVER_SIDE_CURSORS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded mode has a web server and a Celery worker writing to one file: WAL lets readers go on while a
    # writer commits, IMMEDIATE takes the write lock at BEGIN so two writers queue instead of failing mid-way.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not :memory:) so a Celery worker started by the integration tests sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker, cache ---------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "portalfs://"
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith(("portalfs://", "filesystem://")):
    # kombu's filesystem transport (made atomic in portal.embedded_broker): producer and consumer share one folder,
    # so no Redis is needed to run a real worker on a bare machine.
    import portal.embedded_broker  # noqa: F401 — registers the portalfs:// transport

    for sub in ("queue", "processed"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or (REDIS_URL or f"file://{VAR_DIR / 'celery-results'}")
if CELERY_RESULT_BACKEND.startswith("file://"):
    (VAR_DIR / "celery-results").mkdir(parents=True, exist_ok=True)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
# Celery's Django fixup would close the database connection before and after every task (a new PostgreSQL backend
# each time); it closes them every this many tasks instead, and portal.celery checks them around each task as Django
# does around a request (unusable or older than DB_CONN_MAX_AGE: closed).
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TASK_DEFAULT_QUEUE = "default"
# One queue per department (codes are public API, docs/DOMAIN.md). A plain `celery -A portal worker` consumes them all;
# production may give a slow department its own workers with `-Q dept.<code>`.
DEPARTMENT_CODES = [
    "AIC", "NTAX", "LTAX", "PSB", "HRSS", "SI", "HPF", "STATS",
    "PBOC", "COMMERCE", "CUSTOMS", "CIQ", "SAFE", "EPB", "HEALTH", "FIRE",
]  # fmt: skip
# The department sandbox's decisions have a queue of their own: they stand for a department's system, which a
# deployment (or bench/cost) can run apart from the platform's workers (`-Q sandbox` there, `-X sandbox` here).
CELERY_TASK_QUEUES = (
    [Queue("default")] + [Queue(f"dept.{code.lower()}") for code in DEPARTMENT_CODES] + [Queue("sandbox")]
)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Shanghai"

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth ------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out (account, address) before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "portal.oidc.RealNameBackend",
]
# Anyone may sign up with a password (and act for an enterprise by typing an ID number) where this is on; with it
# off, applicants come only through real-name sign-in and act only for the ID number it vouched for.
PASSWORD_SIGNUP = env_bool("PASSWORD_SIGNUP", not PRODUCTION)
TYPED_ID_ACCEPTED = env_bool("TYPED_ID_ACCEPTED", PASSWORD_SIGNUP)

# Brute force (django-axes): the Nth wrong password for one account from one address locks that pair out for the
# cool-off; the next try is refused before the password is checked. Keyed on the pair, so a stranger elsewhere
# cannot lock a clerk out, and never for longer than the cool-off.
AXES_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = env_int("SIGNIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.lockout.lockout_response"
AXES_VERBOSE = False
# Behind the production proxy the client's address is the last one it added to X-Forwarded-For.
AXES_IPWARE_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if PRODUCTION else 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if PRODUCTION else ["REMOTE_ADDR"]

# Staff (clerks, administrators, auditors) sign in with a password and a TOTP code (django-otp), and are signed
# out after this long without a request.
OTP_TOTP_ISSUER = "一网通 Dongguan"
STAFF_IDLE_SECONDS = env_int("STAFF_IDLE_SECONDS", 15 * 60)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)

# Real-name sign-in (统一身份认证) through an OpenID Connect provider (mozilla-django-oidc). Without
# OIDC_PROVIDER_URL the portal's own sandbox provider under /sandbox/idp stands in (not in production).
OIDC_PROVIDER_URL = os.environ.get("OIDC_PROVIDER_URL", "").rstrip("/")
OIDC_SANDBOX = not OIDC_PROVIDER_URL and not PRODUCTION
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- i18n ------------------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# Without collectstatic (development, tests) WhiteNoise serves straight from the app and project folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG and not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Mail ------------------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "一网通 <noreply@yiwangtong.dg.gov.cn>")

# --- API -------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only (docs/CONTRACT.md), read with the portal's limits on size, depth, encoding and NUL characters.
    "DEFAULT_PARSER_CLASSES": ["portal.parsers.StrictJSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # docs/CONTRACT.md "Lists": an array body, `Link` rel="next" and `X-Total-Count`, cursor on the primary key.
    "DEFAULT_PAGINATION_CLASS": "portal.pagination.ListPagination",
    "PAGE_SIZE": 100,
}
VERIFY_RATE = os.environ.get("VERIFY_RATE", "120/min")
# Ed25519 private key (PEM) that signs verification answers; without it a key is kept under var/ (development).
VERIFY_SIGNING_KEY = os.environ.get("VERIFY_SIGNING_KEY", "")
SPECTACULAR_SETTINGS = {
    "TITLE": "一网通 one-stop business registration API",
    "DESCRIPTION": (
        "Public API of the Dongguan one-stop business registration portal (docs/CONTRACT.md).\n\n"
        "**Errors**: 400 `{detail, errors: {item path: [messages]}}` for any input the portal cannot take (including "
        "bodies that are not UTF-8 JSON, nested over 32 levels, or hold NUL characters); 401, 403, 404 (unknown or "
        "not yours), 409 `{detail, state}`, 429. Never a 500.\n\n"
        "**Lists** answer a JSON array of at most `page_size` items (default 100, at most 500); the next page is in "
        "`Link: <url>; rel=next`, the number of matching items in `X-Total-Count`; lists of changing objects take "
        "`updated_since`.\n\n"
        "**Identifiers** (USCC, ID numbers, phones, postcodes, bank and HS codes) are accepted in any common "
        "spelling (full-width, lower-case check characters, separators) and stored and delivered in one canonical "
        "form.\n\n"
        "**Department systems**: deliveries and the signed decision callback, with its `round` and `sent_at`, are "
        "described in docs/department-protocol.md; stale and replayed callbacks answer 200 with `changed: false`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "portal.api.schema_error_responses"],
}

# --- Logging ---------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}},
}

# --- Response headers: CSP and the rest (ASVS V14.4) ---------------------------------------------------------
# In every mode, so that development and the tests meet the headers production sends. Pages load scripts, styles,
# images and fonts only from the portal itself; the one exception is an inline <script> carrying the request's
# nonce (`{{ request.csp_nonce }}`), and there is none today. No 'unsafe-inline' or 'unsafe-eval' anywhere: htmx
# is told not to inject its indicator <style> and not to evaluate code (templates/base.html, "htmx-config").
from csp.constants import NONCE, NONE, SELF  # noqa: E402 — kept with the block that uses it

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Powerful browser features the portal never uses, refused to its pages and to anything they might embed.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "browsing-topics", "camera", "display-capture", "encrypted-media",
        "geolocation", "gyroscope", "hid", "idle-detection", "magnetometer", "microphone", "midi", "payment",
        "publickey-credentials-get", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    )
}  # fmt: skip
# Django's defaults already, spelled out so that a change of default cannot quietly drop them.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # for browsers older than CSP's frame-ancestors

# --- Production hardening (manage.py check --deploy passes with no warnings) -----------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers and container health checks talk plain HTTP to the container.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # `__Host-` cookies are refused by browsers unless Secure, for the whole site and without a Domain, so another
    # host under gov.cn cannot plant a session or CSRF cookie for the portal. Nothing reads them by name: htmx gets
    # the CSRF token from the page (templates/base.html, hx-headers).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_SECURE = True

# Header and page name of the service hall.
PORTAL_NAME = _("Dongguan One-Stop Business Registration")

# --- Departments: delivery and the sandbox ----------------------------------------------------------------------
# The portal's own address, for callbacks department systems make (`/api/v1/departments/<code>/callback`).
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000")
# Where "sandbox" endpoints point: the simulated department systems, mounted in the portal under /sandbox/.
DEPARTMENT_SANDBOX_URL = os.environ.get("DEPARTMENT_SANDBOX_URL", f"{PORTAL_BASE_URL}/sandbox")
# The platform seal (registration/seal.py): a PEM bundle of key, seal certificate and its chain from a real CA; empty:
# a demo seal made under var/ on first use.
SEAL_BUNDLE_FILE = os.environ.get("SEAL_BUNDLE_FILE", "")
# Who timestamps the seal: an RFC 3161 service's address, "sandbox" (the demo TSA, outside production), or empty.
SEAL_TSA_URL = os.environ.get("SEAL_TSA_URL", "" if DJANGO_ENV == "production" else "sandbox")
# The CA sandbox (demo CAs, their CRLs, the signing app that signs with keys held here): never in production.
CA_SANDBOX = env_bool("CA_SANDBOX", DJANGO_ENV != "production")
# Signatures at submit (issue 17): the people the signing rules name sign what is submitted, verified by the
# platform. Off only where something submits without anyone to sign (the delivery benchmarks, the pipeline tests).
SIGNATURES_REQUIRED = env_bool("SIGNATURES_REQUIRED", True)
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 6)
DELIVERY_BACKOFF_SECONDS = float(os.environ.get("DELIVERY_BACKOFF_SECONDS", "5"))  # doubles after each failure
DELIVERY_LEASE_SECONDS = env_int("DELIVERY_LEASE_SECONDS", 60)  # > the HTTP timeouts: a live worker never loses it
SWEEP_INTERVAL_SECONDS = float(os.environ.get("SWEEP_INTERVAL_SECONDS", "30"))
# Department callbacks carry their sending time inside the signed body (docs/department-protocol.md): one sent
# longer ago than this is not taken, one dated further ahead than the skew is refused.
CALLBACK_MAX_AGE_SECONDS = env_int("CALLBACK_MAX_AGE_SECONDS", 3 * 24 * 3600)
CALLBACK_CLOCK_SKEW_SECONDS = env_int("CALLBACK_CLOCK_SKEW_SECONDS", 300)
CELERY_BEAT_SCHEDULE = {
    "filings-sweep": {"task": "departments.sweep_filings", "schedule": SWEEP_INTERVAL_SECONDS},
}

# --- Real-name sign-in, continued -------------------------------------------------------------------------
# The provider's endpoints follow its base URL unless given one by one.
_oidc_base = OIDC_PROVIDER_URL or f"{PORTAL_BASE_URL}/sandbox/idp"
REAL_NAME_SIGNIN = bool(OIDC_PROVIDER_URL) or OIDC_SANDBOX
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "yiwangtong-portal")
_SANDBOX_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 — the sandbox provider's, refused in production
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", _SANDBOX_CLIENT_SECRET if OIDC_SANDBOX else "")
if PRODUCTION and OIDC_PROVIDER_URL and OIDC_RP_CLIENT_SECRET in {"", _SANDBOX_CLIENT_SECRET}:
    raise ImproperlyConfigured("OIDC_PROVIDER_URL needs OIDC_RP_CLIENT_SECRET, the secret the provider issued")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid profile id_number")
# The sandbox's sign-in page is on whatever host the browser reached the portal by.
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get(
    "OIDC_OP_AUTHORIZATION_ENDPOINT", "/sandbox/idp/authorize" if OIDC_SANDBOX else f"{_oidc_base}/authorize"
)
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", f"{_oidc_base}/token")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", f"{_oidc_base}/userinfo")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", f"{_oidc_base}/jwks")
# The claim that carries the verified resident ID number (provincial platforms name it differently).
OIDC_ID_NUMBER_CLAIM = os.environ.get("OIDC_ID_NUMBER_CLAIM", "id_number")
OIDC_USE_PKCE = True
OIDC_CREATE_USER = True
OIDC_STORE_ID_TOKEN = False
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?real_name=failed"
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "")

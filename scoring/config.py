"""Default configuration; ``instance/config.py`` and environment variables override it."""

import os

# Bahasa Indonesia first, English second.
LANGUAGES = ("id", "en")
BABEL_DEFAULT_LOCALE = "id"
BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"

SQLALCHEMY_ENGINE_OPTIONS: dict = {}
# PostgreSQL: seconds a request waits for a restarting database server (new connections, and
# the tablets' retried saves) before it fails.
DATABASE_RECONNECT_SECONDS = 15
# SQLite: seconds a writer waits for the lock before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000

WTF_CSRF_TIME_LIMIT = None  # a long interview day must not expire the form token
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_DURATION = 12 * 3600
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
# "auto": cookies are Secure when the request came over HTTPS (as the trusted proxy says);
# True: always (also over plain HTTP, where the browser then drops them); False: never.
COOKIE_SECURE = "auto"
# A login unused this long ends on the server; the tablet keeps unsent scores meanwhile.
LOGIN_IDLE_MINUTES = 30
# Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed (0: none).
PROXY_HOPS = 0
# Hosts the app answers to (Flask; others get 400); None answers any Host, but then documents
# can be sealed only with PUBLIC_BASE_URL set.
TRUSTED_HOSTS = None

# Where `scoring init` puts the institution's signing material (relative to instance/).
SIGNING_DIR = "signing"
# Production: a PKCS#12 file from a licensed CA (PSrE, e.g. BSrE) and its passphrase.
SIGNING_PKCS12 = None
SIGNING_PKCS12_PASSPHRASE = None

# Shown on documents and pages; the QR codes of documents made outside a request (CLI,
# background exports) point at PUBLIC_BASE_URL, e.g. "https://seleksi.pariamankota.go.id".
INSTITUTION_NAME = "BKPSDM Kota Pariaman"
PUBLIC_BASE_URL = None

# Files kept outside the database (bulk exports' ZIPs, imports awaiting confirmation): None
# keeps them in instance/; with several app servers, a folder all of them share (NFS).
STORAGE_DIR = None

# Worker processes that render and seal the sheets of a bulk export (ZIP): None takes up to two
# cores; 1 renders in the exporting process itself. Each worker holds ~100-150 MB.
EXPORT_WORKERS = None

# How much the processes that render and seal a bulk export's sheets yield the CPU to the web
# servers on the same machine: "idle" (Linux's SCHED_IDLE: they run only on CPU time nothing
# else wants, and a tablet's request takes the core from them at once), or a nice value (0-19,
# as nice(1); 0 leaves them as they are). Tablets' saves are interactive; an export can wait.
# Only those processes are lowered: the worker's own thread, which writes to the database,
# keeps its priority (a starved lock holder would make every writer wait).
RENDER_NICE = "idle"

# The task queue (huey): a SQLite file (HUEY_SQLITE_PATH, default instance/huey.sqlite), which
# several app servers on ONE machine may share; HUEY_REDIS_URL names a Redis server shared by
# several machines; HUEY_IMMEDIATE runs tasks at once in the enqueuing process (tests).
HUEY_SQLITE_PATH = None
HUEY_REDIS_URL = None
HUEY_IMMEDIATE = False
# A running export whose heartbeat is older than this lost its worker: it is queued again, and
# failed with the reason once it has been tried EXPORT_MAX_ATTEMPTS times.
EXPORT_LEASE_SECONDS = 120
EXPORT_MAX_ATTEMPTS = 2
# A job whose database connection is lost (a database server restart) is queued again and run
# again after EXPORT_RETRY_DELAY_SECONDS, resuming; after EXPORT_DB_RETRIES such losses it fails.
EXPORT_DB_RETRIES = 6
EXPORT_RETRY_DELAY_SECONDS = 5

# Examiner sheets needed before the chair's board shows a provisional deviation.
LIVE_FEEDBACK_MIN_SHEETS = 8

# Request bodies: 2 MB for every route (a sheet with its signature is ~300 KB); routes marked
# with ``views.util.upload_route`` (imports, rubric and PDF uploads) allow UPLOAD_MAX_BYTES.
MAX_CONTENT_LENGTH = 2 * 1024 * 1024
UPLOAD_MAX_BYTES = 16 * 1024 * 1024
# Imports read at most this many rows (the header included) and columns, whatever the file
# claims; a larger file is refused with a message naming the limit.
IMPORT_MAX_ROWS = 20_000
# A candidate's objection attachment (PDF, PNG or JPEG) may be this large (issue 16).
OBJECTION_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
# An objection should be answered within this many days of filing (the queue shows the date).
OBJECTION_RESPONSE_DAYS = 7
IMPORT_MAX_COLUMNS = 50

# Failed logins of one username from one address before it must wait (brute-force guard).
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_MINUTES = 15
# ... of one username from any address; from one address over any username; and the number
# of usernames one address failed on (one password sprayed over many accounts).
LOGIN_ACCOUNT_MAX_FAILURES = 20
LOGIN_ADDRESS_MAX_FAILURES = 50
LOGIN_SPRAY_ACCOUNTS = 10

ENV_OVERRIDES = (
    "SECRET_KEY",
    "SQLALCHEMY_DATABASE_URI",
    "SERVER_NAME",
    "PREFERRED_URL_SCHEME",
    "SIGNING_PKCS12",
    "SIGNING_PKCS12_PASSPHRASE",
    "INSTITUTION_NAME",
    "PUBLIC_BASE_URL",
    "HUEY_REDIS_URL",
    "HUEY_SQLITE_PATH",
    "STORAGE_DIR",
)


def database_url_from_env() -> str | None:
    """Return the database URL from SCORING_DATABASE_URL or DATABASE_URL, normalised."""
    url = os.environ.get("SCORING_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        return None
    # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants an explicit driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url

"""A real django-tastypie 0.15.1 server copying the MailRoute admin API, for tests only.

Django is configured in-process (no DJANGO_SETTINGS_MODULE), on a sqlite file in a temporary
directory, so the in-process WSGI app and a threaded live server share the same data. With
``TASTYPIE_SITE_POSTGRESQL`` set (``postgresql://user@host:port/name``) the process's site
runs on that PostgreSQL database instead (``serve.py`` runs one such process).
"""

import atexit
import contextlib
import os
import shutil
import socketserver
import tempfile
import threading
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from zoneinfo import ZoneInfo

DEMO_LOGIN = "demo"
DEMO_API_KEY = "demo-key-not-secret"
HOST = "tastypie.test"
#: Per-field schema keys that tastypie >= 0.13 adds and MailRoute's 2012 server did not send.
NEW_SCHEMA_KEYS = ("primary_key", "verbose_name", "related_schema")

_APP = f"{__package__}.mailroute"
_ANYAPI = f"{__package__}.anyapi"  # other APIs' shapes (see anyapi/api.py)
_state = {}
#: The environment variable naming a PostgreSQL database for the site (see the docstring).
POSTGRESQL_ENV = "TASTYPIE_SITE_POSTGRESQL"


def _database_settings():
    """Django's default database: the PostgreSQL one named in the environment, or a fresh
    SQLite file in a temporary directory removed at exit."""
    url = os.environ.get(POSTGRESQL_ENV)
    if url:
        parts = urlsplit(url)
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parts.path.lstrip("/"),
            "USER": parts.username or "",
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
        }
    tmp = tempfile.mkdtemp(prefix="tastypie_site_")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    # IMMEDIATE transactions make concurrent writers (the client's concurrent bulk
    # requests, the threaded live server) wait for the lock instead of failing at once
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(Path(tmp, "db.sqlite3")),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
    }


def setup_django():
    """Configure Django for the test site and create its tables (idempotent)."""
    if _state.get("ready"):
        return
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="tastypie-site-test-only-not-a-secret",
        ALLOWED_HOSTS=[HOST, "127.0.0.1", "localhost"],
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "tastypie",
            _APP,
            "django.contrib.sessions",  # SessionAuthentication (auth_api.py)
            _ANYAPI,
        ],
        MIDDLEWARE=[
            "django.middleware.common.CommonMiddleware",
            # SessionAuthentication (auth_api.py): the session cookie logs the user in
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        # BasicAuthentication checks the password on every request (auth_api.py): a fast
        # hash keeps those tests quick (test-only site)
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ROOT_URLCONF=f"{_APP}.urls",
        DATABASES={"default": _database_settings()},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        USE_TZ=True,
        TIME_ZONE="America/Los_Angeles",
        TASTYPIE_DATETIME_FORMATTING="rfc-2822",
        TASTYPIE_DEFAULT_FORMATS=["json"],  # xml would need lxml + defusedxml
        API_LIMIT_PER_PAGE=20,
    )
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", run_syncdb=True, verbosity=0)
    from .mailroute.models import DomainWithAlias

    with connection.cursor() as cursor:
        cursor.execute(DomainWithAlias.view_sql(connection.vendor))
    _state["ready"] = True


def wsgi_app():
    """The site's WSGI application (sets Django up on first use)."""
    if "app" not in _state:
        setup_django()
        from django.core.wsgi import get_wsgi_application

        _state["app"] = get_wsgi_application()
    return _state["app"]


def auth_header(login=DEMO_LOGIN, api_key=DEMO_API_KEY):
    """The ``Authorization: ApiKey login:key`` header as a dict."""
    return {"Authorization": f"ApiKey {login}:{api_key}"}


def create_user(login=DEMO_LOGIN, api_key=DEMO_API_KEY):
    """Create (or reset) an active Django user with a tastypie ApiKey; returns the user."""
    setup_django()
    from django.contrib.auth.models import User
    from tastypie.models import ApiKey

    user, _ = User.objects.get_or_create(username=login)
    user.is_active = True
    user.save()
    ApiKey.objects.update_or_create(user=user, defaults={"key": api_key})
    return user


def _models():
    from .mailroute import models as m

    # children first, so plain DELETEs never break a foreign key
    return [
        m.WBList,
        m.ContactEmailAccount,
        m.ContactDomain,
        m.ContactCustomer,
        m.ContactReseller,
        m.NotificationAccountTask,
        m.NotificationDomainTask,
        m.PolicyUser,
        m.PolicyDomain,
        m.LocalpartAlias,
        m.MailServer,
        m.OutboundServer,
        m.DomainAlias,
        m.EmailAccount,
        m.Domain,
        m.BrandingInfo,
        m.Admin,
        m.Customer,
        m.Reseller,
    ]


def reset_data():
    """Empty every table of the site except users and API keys; ids restart at 1."""
    setup_django()
    from django.db import connection, transaction

    from .anyapi import models as other

    tables = [model._meta.db_table for model in _models()]
    tables += [
        model._meta.db_table
        for model in (
            other.GroupProfile.users.through,
            other.GroupProfile.categories.through,
            other.Comment,
            other.Note,
            other.Product,
            other.SlugBasedNote,
            other.ThesaurusKeyword,
            other.Thesaurus,
            other.Tag,
            other.GroupProfile,
            other.GroupCategory,
            other.Profile,
        )
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ", ".join(f'"{table}"' for table in tables)
            cursor.execute(f"TRUNCATE {names} RESTART IDENTITY")
            return
        for table in tables:
            cursor.execute(f'DELETE FROM "{table}"')
        marks = ", ".join("%s" for _ in tables)
        cursor.execute(f"DELETE FROM sqlite_sequence WHERE name IN ({marks})", tables)


def _reset_sequences(models):
    """After rows were stored with explicit ids, PostgreSQL's id sequences still start at 1:
    move them past the highest id, as SQLite does by itself (Django's own statements,
    as `loaddata` runs them; none on SQLite)."""
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


# ---------------------------------------------------------------------------------------------
# Deterministic data

LA = ZoneInfo("America/Los_Angeles")
EPOCH = datetime(2012, 6, 7, 15, 24, 27, tzinfo=LA)
RESELLERS = ["North Reseller", "South Reseller", "East Reseller"]
LOCALPARTS = [
    "info",
    "sales",
    "support",
    "john.smith",
    "jane.doe",
    "postmaster",
    "billing",
    "office",
]
ALIASES = {
    "info": "contact",
    "sales": "orders",
    "support": "help",
    "john.smith": "jsmith",
    "jane.doe": "jdoe",
    "postmaster": "abuse",
    "billing": "accounts",
    "office": "frontdesk",
    "admin": "hostmaster",
}
KILL_LEVELS = [7, 5.5, 9, 6.25, 12]
#: The seed document's three domains (ids fixed so that ``id`` matches ``resource_uri``).
EXAMPLE_DOMAINS = [
    # id, name, customer id, bounce_unlisted, outbound_enabled, created_at, updated_at
    (912345, "testdomain.com", 912345, True, True, "2012-06-07 17:01:47", "2012-11-09 20:57:05"),
    (912346, "testdomain2.com", 912346, True, True, "2012-10-26 11:19:48", "2012-11-12 12:04:27"),
    (912347, "testdomain3.com", 912345, True, True, "2012-09-13 10:35:35", "2012-10-29 09:56:38"),
]
EXAMPLE_CUSTOMERS = [(912345, "Test Customer", 1), (912346, "Test Customer 2", 2)]


def _at(n, days=0):
    """The n-th step of a deterministic clock from 2012-06-07 (crosses both DST offsets)."""
    return EPOCH + timedelta(days=n + days, minutes=(n * 37) % 60, seconds=(n * 13) % 60)


def _local(text):
    return datetime.fromisoformat(text).replace(tzinfo=LA)


def seed_data(domains=250, accounts_per_domain=5, examples=True):
    """Fill the site with a realistic, deterministic data set and return a summary.

    ``domains`` domains named ``acme-001.com``…, spread over ``max(3, domains // 10)`` customers
    of three resellers, with ``accounts_per_domain`` email accounts each (at most 8), their
    policies, aliases, contacts, mail servers, notification tasks, wblist entries and admins.
    With ``examples`` the seed document's own objects are added too: customers 912345/912346,
    domains testdomain.com/testdomain2.com/testdomain3.com (912345-912347) and
    policy_domain 912345 exactly as the doc's detail. Ids and timestamps are fixed, so the
    same call always gives the same answers. Expects empty tables: call ``reset_data()`` first.
    The summary maps each resource name to its row count and adds a few ids under ``"ids"``.
    """
    setup_django()
    from django.db import transaction

    from .mailroute import models as m

    created = {model: [] for model in _models()}

    def add(model, **kw):
        kw.setdefault("id", len(created[model]) + 1)
        obj = model(**kw)
        created[model].append(obj)
        return obj

    def stamps(n, age_days=30):
        return {"created_at": _at(n), "updated_at": _at(n, days=age_days)}

    resellers = [
        add(m.Reseller, id=i, name=name, allow_branding=i == 1, **stamps(-300 + i))
        for i, name in enumerate(RESELLERS, 1)
    ]
    plain_customers = [
        add(
            m.Customer,
            id=i,
            name=f"Acme Customer {i:02d}",
            reseller=resellers[(i - 1) % 3],
            is_full_user_list=i % 4 == 0,
            reported_user_count=None if i % 3 else i * 10,
            **stamps(-200 + i),
        )
        for i in range(1, max(3, domains // 10) + 1)
    ]
    customers = plain_customers + [
        add(m.Customer, id=pk, name=name, reseller=resellers[r - 1], **stamps(-100 + r))
        for pk, name, r in (EXAMPLE_CUSTOMERS if examples else [])
    ]
    for owner in resellers + customers:
        kind = "reseller" if isinstance(owner, m.Reseller) else "customer"
        add(
            m.BrandingInfo,
            **{kind: owner},
            enabled=owner.allow_branding,
            service_name="North Mail Filter" if owner.allow_branding else None,
            created_at=owner.created_at,
            updated_at=owner.created_at,
        )
    for i, r in enumerate(resellers, 1):
        slug = r.name.split()[0].lower()
        for j, role in enumerate(["billing", "technical"]):
            add(
                m.ContactReseller,
                reseller=r,
                email=f"{role}@{slug}.example",
                first_name=role.title(),
                last_name=r.name.split()[0],
                city="Portland",
                state="OR",
                country="US",
                zipcode="97201" if j else None,
                is_billing=role == "billing",
                is_technical=role == "technical",
                is_emergency=j == 1,
                **stamps(-290 + i),
            )
        add(
            m.Admin,
            username=f"admin@{slug}.example",
            email=f"admin@{slug}.example",
            reseller=r,
            date_joined=_at(-280 + i),
            last_login=_at(200 + i),
        )
    for i, c in enumerate(customers, 1):
        add(
            m.ContactCustomer,
            customer=c,
            email=f"it@customer-{c.id}.example",
            first_name="Pat",
            last_name=f"Owner{i}",
            phone=f"+1 503 555 01{i % 100:02d}",
            is_technical=True,
            **stamps(-190 + i),
        )
        add(
            m.Admin,
            username=f"admin{c.id}@acme.example",
            email=f"admin{c.id}@acme.example",
            customer=c,
            is_active=i % 7 != 0,
            date_joined=_at(-180 + i),
            last_login=_at(150 + i),
        )

    all_domains = [
        add(
            m.Domain,
            id=i,
            name=f"acme-{i:03d}.com",
            customer=plain_customers[(i - 1) % len(plain_customers)],
            active=i % 10 != 0,
            bounce_unlisted=i % 3 == 0,
            deliveryport=2525 if i % 25 == 0 else 25,
            hold_email=i % 50 == 0,
            outbound_enabled=i % 4 == 0,
            **stamps(i),
        )
        for i in range(1, domains + 1)
    ]
    by_id = {c.id: c for c in customers}
    all_domains += [
        add(
            m.Domain,
            id=pk,
            name=name,
            customer=by_id[cust],
            bounce_unlisted=bounce,
            outbound_enabled=outbound,
            created_at=_local(c_at),
            updated_at=_local(u_at),
        )
        for pk, name, cust, bounce, outbound, c_at, u_at in (EXAMPLE_DOMAINS if examples else [])
    ]

    accounts = []
    for n, d in enumerate(all_domains, 1):
        example = d.id >= 912345
        add(
            m.PolicyDomain,
            id=d.id,
            domain=d,
            message_size_limit=0 if example else None,
            spam_kill_level=7 if example else KILL_LEVELS[n % len(KILL_LEVELS)],
            spam_tag2_level=None if example or n % 2 else 4.5,
        )
        add(
            m.MailServer,
            domain=d,
            server=f"mail.{d.name}",
            created_at=d.created_at,
            updated_at=d.created_at,
        )
        if n % 3 == 0:
            add(
                m.MailServer,
                domain=d,
                server=f"backup.{d.name}",
                priority=20,
                created_at=d.updated_at,
                updated_at=d.updated_at,
            )
        if d.outbound_enabled:
            add(
                m.OutboundServer,
                domain=d,
                server=f"203.0.113.{n % 250 + 1}",
                created_at=d.created_at,
                updated_at=d.created_at,
            )
        if n % 5 == 0 or d.id == 912345:
            stem = d.name.rsplit(".", 1)[0]
            add(
                m.DomainAlias,
                domain=d,
                name=f"{stem}.net",
                active=n % 10 != 0,
                created_at=d.updated_at,
                updated_at=d.updated_at,
            )
            add(
                m.NotificationDomainTask,
                domain=d,
                enabled=True,
                hour=6 + n % 4,
                domain_bounce_unlisted=d.bounce_unlisted,
            )
        if n % 4 == 0 or d.id == 912345:
            add(
                m.ContactDomain,
                domain=d,
                email=f"postmaster@{d.name}",
                first_name="Sam",
                last_name=f"Admin{n}",
                is_emergency=True,
                created_at=d.created_at,
                updated_at=d.updated_at,
            )
        if n % 2 == 0:
            add(
                m.WBList,
                domain=d,
                email=f"newsletter@bulk-{n % 7}.example",
                wb="b" if n % 4 else "w",
                rid=str(d.id),
            )
        localparts = ["postmaster", "admin"] if example else LOCALPARTS[:accounts_per_domain]
        for j, localpart in enumerate(localparts):
            a = add(
                m.EmailAccount,
                domain=d,
                localpart=localpart,
                priority=8 if localpart == "postmaster" else 7,
                created_at=d.created_at + timedelta(hours=j + 1),
                updated_at=d.updated_at + timedelta(hours=j + 1),
            )
            accounts.append(a)
    for k, a in enumerate(accounts, 1):
        add(
            m.PolicyUser,
            id=a.id,
            email_account=a,
            spam_kill_level=KILL_LEVELS[k % len(KILL_LEVELS)],
        )
        if k % 3 == 0:
            add(
                m.NotificationAccountTask,
                email_account=a,
                enabled=k % 2 == 0,
                hour=7 + k % 3,
                timezone="Europe/London" if k % 9 == 0 else None,
            )
        if k % 4 == 1:
            add(
                m.LocalpartAlias,
                email_account=a,
                domain=a.domain,
                localpart=ALIASES[a.localpart],
                created_at=a.created_at,
                updated_at=a.updated_at,
            )
        if k % 10 == 1:
            add(
                m.ContactEmailAccount,
                email_account=a,
                email=f"{a.localpart}.owner@{a.domain.name}",
                first_name="Alex",
                created_at=a.created_at,
                updated_at=a.updated_at,
            )
        if k % 5 == 2:
            add(
                m.WBList,
                email_account=a,
                email=f"partner{k}@trusted.example",
                wb="w",
                rid=str(a.id),
            )

    with transaction.atomic():
        for model in reversed(_models()):
            model.objects.bulk_create(created[model], batch_size=500)
    _reset_sequences(_models())

    from .mailroute.api import api, hidden_api

    counts = {}
    for reg in (api, hidden_api):
        for name, resource in reg._registry.items():
            counts[name] = resource._meta.queryset.model.objects.count()
    counts["ids"] = {
        "reseller": [r.id for r in resellers],
        "customer": [c.id for c in customers[:3]],
        "domain": [d.id for d in all_domains[:3]],
        "email_account": [a.id for a in accounts[:3]],
        "example_domains": [d[0] for d in EXAMPLE_DOMAINS] if examples else [],
    }
    return counts


#: The `/wild/api/` members of ``seed_groups``: usernames, and each group's members (1-based).
GROUP_MEMBERS = {"alpha": [1, 2], "beta": [2, 3, 4], "gamma": [], "delta": [5, 1]}
PROFILES = ["alice", "bob", "Carol", "dave", "10-eve"]


def seed_groups():
    """A few `/wild/api/` profiles and groups with members (a many-to-many relation), ids
    from 1 in the order of ``PROFILES`` and ``GROUP_MEMBERS``. Expects empty tables."""
    setup_django()
    from django.db import transaction

    from .anyapi import models as other

    with transaction.atomic():
        profiles = [
            other.Profile.objects.create(id=n, username=name) for n, name in enumerate(PROFILES, 1)
        ]
        for n, (title, members) in enumerate(GROUP_MEMBERS.items(), 1):
            group = other.GroupProfile.objects.create(id=n, title=title)
            group.users.set([profiles[i - 1] for i in members])
    _reset_sequences([other.Profile, other.GroupProfile])


def strip_new_schema_keys(schema):
    """A copy of a 0.15.1 ``/schema/`` answer without the per-field keys MailRoute lacks."""
    out = dict(schema)
    out["fields"] = {
        name: {k: v for k, v in field.items() if k not in NEW_SCHEMA_KEYS}
        for name, field in schema["fields"].items()
    }
    return out


def resource_names(listed=True):
    """Resource names of the site: the /api/v1/ listing, or (``listed=False``) the unlisted."""
    setup_django()
    from .mailroute.api import api, hidden_api

    return sorted((api if listed else hidden_api)._registry)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - wsgiref's signature
        pass


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


@contextlib.contextmanager
def live_server(app=None):
    """Serve ``app`` (default: ``wsgi_app()``) on 127.0.0.1 on a free port in a background
    thread; yields the base URL (``http://127.0.0.1:<port>``) and stops the server on exit."""
    app = app or wsgi_app()
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="tastypie-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

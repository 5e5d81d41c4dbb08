"""Test-only django-tastypie 0.15.1 server copying the MailRoute admin API.

Helpers: ``setup_django()``, ``wsgi_app()``, ``create_user()``, ``reset_data()``,
``seed_data()``, ``seed_groups()``, ``live_server()`` (see ``server.py``). Typical use::

    from tests.tastypie_site import create_user, reset_data, seed_data, wsgi_app, auth_header
    create_user(); reset_data(); seed_data()
    client = httpx.Client(transport=httpx.WSGITransport(app=wsgi_app()),
                          base_url="http://tastypie.test", headers=auth_header())
"""

from .server import (
    DEMO_API_KEY,
    DEMO_LOGIN,
    HOST,
    NEW_SCHEMA_KEYS,
    auth_header,
    create_user,
    live_server,
    reset_data,
    resource_names,
    seed_data,
    seed_groups,
    setup_django,
    strip_new_schema_keys,
    wsgi_app,
)

__all__ = [
    "DEMO_API_KEY",
    "DEMO_LOGIN",
    "HOST",
    "NEW_SCHEMA_KEYS",
    "auth_header",
    "create_user",
    "live_server",
    "reset_data",
    "resource_names",
    "seed_data",
    "seed_groups",
    "setup_django",
    "strip_new_schema_keys",
    "wsgi_app",
]

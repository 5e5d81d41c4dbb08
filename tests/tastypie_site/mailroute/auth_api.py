"""Resources behind Tastypie's other authentications, for the client's auth tests.

Each kind is its own ``Api`` (its own name, so ``resource_uri`` reverses to it), reached
with ``api_path``: ``/auth/basic/`` (``BasicAuthentication``) and ``/auth/session/``
(``SessionAuthentication``: the Django session cookie, plus the CSRF cookie and
``X-CSRFToken`` header on writes). Each serves one resource, ``reseller``, on the same
table as ``/api/v1/reseller/``. (``DigestAuthentication`` needs the ``python-digest``
package, which the test environment does not have.)
"""

import secrets

from tastypie.api import Api
from tastypie.authentication import BasicAuthentication, SessionAuthentication
from tastypie.authorization import Authorization
from tastypie.resources import ModelResource

from . import models as m

#: The demo user's password for Basic and Digest (test only).
DEMO_PASSWORD = "demo-password-not-secret"


def _reseller(authentication):
    meta = type(
        "Meta",
        (),
        {
            "queryset": m.Reseller.objects.all(),
            "resource_name": "reseller",
            "fields": ["id", "name", "allow_branding", "allow_customer_branding"],
            "authentication": authentication,
            "authorization": Authorization(),
            "list_allowed_methods": ["get", "post", "put", "patch", "delete"],
            "detail_allowed_methods": ["get", "post", "put", "patch", "delete"],
            "filtering": {"name": ["exact"]},
            "always_return_data": True,
        },
    )
    return type("Reseller", (ModelResource,), {"Meta": meta, "__module__": __name__})()


basic_api = Api(api_name="basic")
basic_api.register(_reseller(BasicAuthentication()))
session_api = Api(api_name="session")
session_api.register(_reseller(SessionAuthentication()))


def set_password(login, password=DEMO_PASSWORD):
    """Give the user ``login`` a password (for Basic)."""
    from django.contrib.auth.models import User

    user = User.objects.get(username=login)
    user.set_password(password)
    user.save()
    return user


def session_login(login):
    """A logged-in Django session for ``login``: (sessionid, csrftoken), as a browser holds
    them after logging in."""
    from django.contrib.auth.models import User
    from django.test import Client

    browser = Client()
    browser.force_login(User.objects.get(username=login))
    return browser.cookies["sessionid"].value, secrets.token_hex(16)

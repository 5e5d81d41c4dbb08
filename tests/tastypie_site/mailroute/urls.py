"""URLs of the test-only Tastypie site: ``/api/v1/...``.

``hidden_api`` comes second, so its own ``/api/v1/`` listing is shadowed by ``api``'s and its
resources stay reachable but unlisted.
"""

from django.urls import include, path

from .api import api, hidden_api
from .auth_api import basic_api, session_api

urlpatterns = [
    path("api/", include(api.urls)),
    path("api/", include(hidden_api.urls)),
    # other authentications (auth_api.py)
    path("auth/", include(basic_api.urls)),
    path("auth/", include(session_api.urls)),
    path("", include("tests.tastypie_site.anyapi.urls")),  # other APIs' shapes
]

"""URLs of the ``anyapi`` resources, included from the site's root URLconf.

``TASTYPIE_ALLOW_MISSING_SLASH`` is read once, when tastypie is imported, into the
``trailing_slash`` pattern that every resource and ``Api`` puts in its URLs. One Django
process has one settings object, so the slashless API builds its URLs with that pattern set
as the setting would set it: the same URLs, reversed URIs and redirects as a site with the
setting on.
"""

from unittest import mock

import tastypie.api
import tastypie.resources
from django.urls import include, path

from .api import flat, v1, v2
from .wild import wild


def _slashless(api):
    with (
        mock.patch.object(tastypie.resources, "trailing_slash", "/?"),
        mock.patch.object(tastypie.api, "trailing_slash", "/?"),
    ):
        return api.urls


urlpatterns = [
    path("anyapi/api/", include(v1.urls)),
    path("anyapi/api/", include(v2.urls)),
    path("wild/", include(wild.urls)),  # shapes from large projects (wild.py)
    path("slashless/api/", include((_slashless(flat), "slashless"), namespace="slashless")),
]

"""Resources declared the way large open-source projects declare theirs (a documentation
host, a community directory, a geospatial portal, an asset inventory), on ``/wild/api/``
(TASTYPIE.md §13). Each is a shape Tastypie serves although it is not the textbook one:

- ``profiles``: ``filtering = {"username": "exact"}``, a rule given as a string;
- ``group_profile``: ``users`` (to ``profiles``, ALL_WITH_RELATIONS) and ``categories``
  nested with ``full=True`` from ``group_categories``, which has
  ``include_resource_uri = False``;
- ``tags``: ``filtering = {"name"}``, a set, which the schema shows as ``"{'name'}"``;
- ``thesaurus`` and ``thesaurus/keywords``: a resource name with a slash beside a resource
  named like its first part (``thesaurus.keywords`` points at the other); the keywords'
  ``filtering`` names ``thesaurus``, which is no field but a parameter its own
  ``build_filters`` reads;
- ``people``: open to anonymous users, whose authorization returns a plain list, so any
  ``order_by`` answers 500 while the plain listing answers 200.
"""

from django.urls import re_path
from tastypie import fields
from tastypie.api import Api
from tastypie.authentication import ApiKeyAuthentication, Authentication
from tastypie.authorization import Authorization
from tastypie.constants import ALL, ALL_WITH_RELATIONS
from tastypie.resources import ModelResource

from . import models as m

_HERE = __name__


def _meta(model, name, **extra):
    attrs = {
        "queryset": model.objects.all(),
        "resource_name": name,
        "authentication": ApiKeyAuthentication(),
        "authorization": Authorization(),
        "list_allowed_methods": ["get", "post", "put", "patch", "delete"],
        "detail_allowed_methods": ["get", "post", "put", "patch", "delete"],
        **extra,
    }
    return type("Meta", (), attrs)


class ProfileResource(ModelResource):
    Meta = _meta(m.Profile, "profiles", filtering={"username": "exact"}, ordering=["username"])


class GroupCategoryResource(ModelResource):
    Meta = _meta(m.GroupCategory, "group_categories", include_resource_uri=False)


class GroupProfileResource(ModelResource):
    users = fields.ToManyField(f"{_HERE}.ProfileResource", "users", blank=True, null=True)
    categories = fields.ToManyField(
        f"{_HERE}.GroupCategoryResource", "categories", full=True, blank=True, null=True
    )

    Meta = _meta(
        m.GroupProfile, "group_profile", filtering={"users": ALL_WITH_RELATIONS, "title": ALL}
    )


class TagResource(ModelResource):
    Meta = _meta(m.Tag, "tags", filtering={"name"})


class ThesaurusResource(ModelResource):
    keywords = fields.ToManyField(
        f"{_HERE}.ThesaurusKeywordResource", "keywords", readonly=True, blank=True, null=True
    )

    Meta = _meta(
        m.Thesaurus, "thesaurus", filtering={"identifier": ALL, "keywords": ALL_WITH_RELATIONS}
    )

    def base_urls(self):
        # numeric details only, so /thesaurus/keywords/ reaches the other resource
        # (Api orders a resource's URLs by name: "thesaurus" comes first)
        urls = super().base_urls()
        name = self._meta.resource_name
        detail = re_path(
            rf"^(?P<resource_name>{name})/(?P<pk>\d+)/$",
            self.wrap_view("dispatch_detail"),
            name="api_dispatch_detail",
        )
        return urls[:-1] + [detail]


class ThesaurusKeywordResource(ModelResource):
    thesaurus_identifier = fields.CharField("thesaurus__identifier", readonly=True)

    Meta = _meta(
        m.ThesaurusKeyword,
        "thesaurus/keywords",
        excludes=["thesaurus"],
        filtering={"thesaurus": ALL, "alt_label": ALL},
        ordering=["alt_label"],
    )

    def build_filters(self, filters=None, ignore_bad_filters=False):
        """``thesaurus=<identifier>``: a filter of its own, named in ``filtering``."""
        orm_filters = super().build_filters(filters, ignore_bad_filters)
        if filters and "thesaurus" in filters:
            orm_filters["thesaurus__identifier"] = filters["thesaurus"]
        return orm_filters


class PublicToAnonymous(Authorization):
    """Anonymous users see public profiles: a plain list, not a QuerySet."""

    def read_list(self, object_list, bundle):
        if bundle.request.user.is_authenticated:
            return object_list
        return [p for p in object_list if p.public]


class PersonResource(ModelResource):
    Meta = _meta(
        m.Profile,
        "people",
        authentication=Authentication(),
        authorization=PublicToAnonymous(),
        filtering={"username": ALL},
        ordering=["username"],
    )


wild = Api(api_name="api")
for _resource in (
    ProfileResource,
    GroupCategoryResource,
    GroupProfileResource,
    TagResource,
    ThesaurusResource,
    ThesaurusKeywordResource,
    PersonResource,
):
    wild.register(_resource())

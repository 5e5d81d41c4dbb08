"""Tastypie resources in the shapes of APIs other than MailRoute's, on three ``Api``s:

- ``/anyapi/api/v1/``: ``products`` (string key), ``slugnotes`` (slug key, bodies on
  writes), ``notes`` (``use_in``), ``my-notes`` (``detail_uri_name = "slug"``, a name that is
  no Python identifier), ``bare_notes`` (``include_resource_uri = False``,
  ``collection_name = "items"``, ``limit = 0``, ``max_limit = None``) and ``comments`` (no
  primary-key field in the schema);
- ``/anyapi/api/v2/``: ``notes`` again, with another schema;
- ``/slashless/api/v1/``: ``notes`` and ``products`` as ``TASTYPIE_ALLOW_MISSING_SLASH``
  makes them (see ``slashless.py``).

All take the same ApiKey as the MailRoute copy.
"""

from tastypie import fields
from tastypie.api import Api, NamespacedApi
from tastypie.authentication import ApiKeyAuthentication
from tastypie.authorization import Authorization
from tastypie.resources import ModelResource, NamespacedModelResource

from . import models as m

_HERE = __name__
ALL_METHODS = ["get", "post", "put", "patch", "delete"]


def _meta(model, name, **extra):
    attrs = {
        "queryset": model.objects.all(),
        "resource_name": name,
        "authentication": ApiKeyAuthentication(),
        "authorization": Authorization(),
        "list_allowed_methods": ALL_METHODS,
        "detail_allowed_methods": ALL_METHODS,
        "ordering": ["title", "name", "slug", "artnr", "text"],
        **extra,
    }
    return type("Meta", (), attrs)


class ProductResource(ModelResource):
    Meta = _meta(m.Product, "products", filtering={"artnr": ["exact", "startswith"]})


class SlugBasedNoteResource(ModelResource):
    Meta = _meta(m.SlugBasedNote, "slugnotes", always_return_data=True)


class NoteResource(ModelResource):
    """``body`` only in detail representations, ``excerpt`` only in lists."""

    body = fields.CharField("body", blank=True, default="", use_in="detail")
    excerpt = fields.CharField(readonly=True, use_in="list", null=True)

    Meta = _meta(m.Note, "notes", filtering={"slug": ["exact"], "title": ["exact"]})

    def dehydrate_excerpt(self, bundle):
        return bundle.obj.title[:10]


class SlugNoteResource(ModelResource):
    """Detail URIs by slug, not by the primary key."""

    Meta = _meta(
        m.Note, "my-notes", detail_uri_name="slug", excludes=["uuid"], filtering={"slug": ["exact"]}
    )


class BareNoteResource(ModelResource):
    Meta = _meta(
        m.Note,
        "bare_notes",
        include_resource_uri=False,
        collection_name="items",
        limit=0,
        max_limit=None,
        excludes=["uuid"],
    )


class CommentResource(ModelResource):
    note = fields.ToOneField(f"{_HERE}.NoteResource", "note")

    Meta = _meta(m.Comment, "comments", fields=["note", "text"])


class NoteV2Resource(ModelResource):
    """Version 2 of ``notes``: another shape under the same name."""

    headline = fields.CharField("title")

    Meta = _meta(m.Note, "notes", fields=["slug", "uuid"], detail_uri_name="uuid")


v1 = Api(api_name="v1")
for _resource in (
    ProductResource,
    SlugBasedNoteResource,
    NoteResource,
    SlugNoteResource,
    BareNoteResource,
    CommentResource,
):
    v1.register(_resource())

v2 = Api(api_name="v2")
v2.register(NoteV2Resource())


# slashless: namespaced, so reversing their URIs never picks /anyapi/'s patterns


class FlatNoteResource(NamespacedModelResource):
    Meta = _meta(m.Note, "notes", excludes=["uuid"], urlconf_namespace="slashless")


class FlatProductResource(NamespacedModelResource):
    Meta = _meta(m.Product, "products", urlconf_namespace="slashless")


flat = NamespacedApi(api_name="v1", urlconf_namespace="slashless")
flat.register(FlatNoteResource())
flat.register(FlatProductResource())

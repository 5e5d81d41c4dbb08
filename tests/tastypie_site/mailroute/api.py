"""Tastypie resources of the test-only MailRoute copy, registered on ``api`` (the 19 listed
resources) and ``hidden_api`` (``brandinginfo``: reachable, but left out of ``/api/v1/``
exactly like on MailRoute, whose extra ``Api('v1')`` instances shadow each other's listing).

Methods, filtering, ordering and field flags follow MailRoute's published schemas
(MailRoute's published resource table section 3); where MailRoute never published one, the choice is
noted on the resource.
"""

import re

from django.forms import modelform_factory
from django.urls import reverse
from tastypie import fields
from tastypie.api import Api
from tastypie.authentication import ApiKeyAuthentication
from tastypie.authorization import Authorization
from tastypie.constants import ALL, ALL_WITH_RELATIONS
from tastypie.exceptions import BadRequest
from tastypie.resources import ModelResource
from tastypie.validation import FormValidation

from . import models as m

ALL_METHODS = ["get", "post", "put", "patch", "delete"]
NO_PATCH = ["get", "post", "put", "delete"]
DATETIME_TERMS = ["exact", "gt", "gte", "lt", "lte", "range", "year", "month", "day", "date"]
FLOAT_TERMS = ["exact", "gt", "gte", "lt", "lte", "range", "isnull"]
CONTACT_ORDERING = [
    "first_name",
    "last_name",
    "email",
    "is_technical",
    "is_billing",
    "is_emergency",
]

_HERE = __name__  # lazy related-resource paths must use the name this module was imported as


def _meta(
    model,
    name,
    *,
    methods=ALL_METHODS,
    detail=None,
    filtering=None,
    ordering=None,
    form=None,
    **extra,
):
    """Build a resource ``Meta`` with MailRoute's common settings."""
    attrs = {
        "queryset": model.objects.all(),
        "resource_name": name,
        "authentication": ApiKeyAuthentication(),
        "authorization": Authorization(),
        "limit": 20,
        "max_limit": 1000,
        "list_allowed_methods": methods,
        "detail_allowed_methods": detail or methods,
        "filtering": filtering or {},
        "ordering": ordering or [],
        **extra,
    }
    if form:
        attrs["validation"] = FormValidation(form_class=modelform_factory(model, fields=form))
    return type("Meta", (), attrs)


def _to_one(resource, attribute, **kwargs):
    return fields.ToOneField(f"{_HERE}.{resource}", attribute, **kwargs)


def uri(resource_name, pk):
    """The ``/api/v1/<resource_name>/<pk>/`` URI of an object."""
    kwargs = {"api_name": "v1", "resource_name": resource_name, "pk": pk}
    return reverse("api_dispatch_detail", kwargs=kwargs)


def _uri_to_object(bundle, name, model):
    """Replace a URI (or pk) sent for a string-typed relation by the model instance."""
    value = bundle.data.get(name)
    if value in (None, ""):
        bundle.data[name] = None
        return bundle
    match = re.search(r"(\d+)/?$", str(value))
    obj = model.objects.filter(pk=int(match.group(1))).first() if match else None
    if obj is None:
        raise BadRequest(f"Could not find the provided {name} object via resource URI '{value}'.")
    bundle.data[name] = obj
    return bundle


class Stamped(ModelResource):
    created_at = fields.DateTimeField("created_at", readonly=True)
    updated_at = fields.DateTimeField("updated_at", readonly=True)

    class Meta:
        abstract = True


# --- resellers and customers ------------------------------------------------------------------


class BrandingInfoResource(Stamped):
    """Not in the listing (see module docstring); read-only here."""

    reseller = _to_one("ResellerResource", "reseller", null=True, readonly=True)
    customer = _to_one("CustomerResource", "customer", null=True, readonly=True)

    Meta = _meta(
        m.BrandingInfo,
        "brandinginfo",
        methods=["get"],
        filtering={"reseller": ["exact"], "customer": ["exact"]},
    )


class ResellerResource(Stamped):
    branding_info = _to_one("BrandingInfoResource", "branding_info", readonly=True)

    Meta = _meta(
        m.Reseller,
        "reseller",
        filtering={"name": ALL},
        ordering=["name", "created_at"],
        form=["name", "allow_branding", "allow_customer_branding"],
        always_return_data=True,
    )


class CustomerResource(Stamped):
    reseller = _to_one("ResellerResource", "reseller")
    branding_info = _to_one("BrandingInfoResource", "branding_info", readonly=True)

    Meta = _meta(
        m.Customer,
        "customer",
        filtering={"name": ALL, "reseller": ["exact"]},
        ordering=["name", "created_at"],
        form=["name", "reseller", "allow_branding", "is_full_user_list", "reported_user_count"],
    )


class ContactResellerResource(Stamped):
    reseller = _to_one("ResellerResource", "reseller")

    Meta = _meta(
        m.ContactReseller,
        "contact_reseller",
        filtering={"email": ALL, "reseller": ["exact"]},
        ordering=CONTACT_ORDERING,
    )


class ContactCustomerResource(Stamped):
    customer = _to_one("CustomerResource", "customer")

    Meta = _meta(
        m.ContactCustomer,
        "contact_customer",
        filtering={"email": ALL, "customer": ["exact"]},
        ordering=CONTACT_ORDERING,
    )


class AdminsResource(ModelResource):
    """MailRoute's flat admins schema: ``customer``/``reseller`` are strings, always null in
    data (filters take a pk); ``send_welcome`` is a write-only flag, always null in data."""

    customer = fields.CharField("customer", null=True)
    reseller = fields.CharField("reseller", null=True)
    send_welcome = fields.BooleanField(null=True, blank=True)

    Meta = _meta(
        m.Admin,
        "admins",
        methods=["get", "post", "delete"],
        filtering={"customer": ["exact"], "reseller": ["exact"]},
        ordering=["username", "date_joined", "last_login"],
    )

    def dehydrate_customer(self, bundle):
        return None

    def dehydrate_reseller(self, bundle):
        return None

    def hydrate_customer(self, bundle):
        return _uri_to_object(bundle, "customer", m.Customer)

    def hydrate_reseller(self, bundle):
        return _uri_to_object(bundle, "reseller", m.Reseller)


# --- domains ----------------------------------------------------------------------------------


class DomainResource(Stamped):
    customer = _to_one("CustomerResource", "customer")
    policy = _to_one("PolicyDomainResource", "policy", null=True, readonly=True)

    Meta = _meta(
        m.Domain,
        "domain",
        methods=NO_PATCH,
        filtering={"customer": ALL_WITH_RELATIONS, "name": ALL},
        ordering=["name", "created_at", "active", "hold_email"],
        form=[
            "name",
            "customer",
            "active",
            "bounce_unlisted",
            "deliveryport",
            "hold_email",
            "outbound_enabled",
        ],
        include_absolute_url=True,
    )


class DomainAliasResource(Stamped):
    domain = _to_one("DomainResource", "domain")

    Meta = _meta(
        m.DomainAlias,
        "domain_alias",
        filtering={"domain": ["exact"]},
        ordering=["name", "created_at"],
    )


class DomainWithAliasResource(ModelResource):
    """MailRoute never published this schema; the python client reads domain, name, type.
    Here: a read-only view listing each domain (type "domain") and alias (type "alias")."""

    domain = _to_one("DomainResource", "domain")

    Meta = _meta(
        m.DomainWithAlias,
        "domain_with_alias",
        methods=["get"],
        filtering={"name": ALL, "type": ["exact"], "domain": ["exact"]},
        ordering=["name", "type"],
    )


class ContactDomainResource(Stamped):
    """Schema not published by MailRoute: the other contacts' shape, plus datetime filters."""

    domain = _to_one("DomainResource", "domain")

    Meta = _meta(
        m.ContactDomain,
        "contact_domain",
        filtering={
            "email": ALL,
            "domain": ["exact"],
            "created_at": DATETIME_TERMS,
            "updated_at": DATETIME_TERMS,
        },
        ordering=CONTACT_ORDERING + ["created_at", "updated_at"],
    )


class MailServerResource(Stamped):
    domain = _to_one("DomainResource", "domain")

    Meta = _meta(
        m.MailServer,
        "mail_server",
        filtering={"domain": ["exact"]},
        ordering=["server", "priority"],
    )


class OutboundServerResource(Stamped):
    domain = _to_one("DomainResource", "domain")

    Meta = _meta(
        m.OutboundServer, "outbound_server", filtering={"domain": ["exact"]}, ordering=["server"]
    )


class PolicyDomainResource(ModelResource):
    """Fields as the seed's policy_domain detail. Methods as the 0.15.1 harness in TASTYPIE.md
    (list get; detail get, put, patch); float filters on spam_kill_level."""

    domain = _to_one("DomainResource", "domain", readonly=True)

    Meta = _meta(
        m.PolicyDomain,
        "policy_domain",
        methods=["get"],
        detail=["get", "put", "patch"],
        filtering={
            "domain": ["exact"],
            "is_default": ["exact"],
            "priority": ALL,
            "spam_kill_level": FLOAT_TERMS,
        },
        ordering=["priority", "spam_kill_level"],
    )


class NotificationDomainTaskResource(ModelResource):
    """Schema not published by MailRoute; fields from its March 2013 answers."""

    domain = _to_one("DomainResource", "domain")

    Meta = _meta(
        m.NotificationDomainTask,
        "notification_domain_task",
        filtering={"domain": ["exact"], "enabled": ["exact"]},
        ordering=["hour", "minute", "priority"],
    )


# --- email accounts ---------------------------------------------------------------------------


class EmailAccountResource(Stamped):
    """Schema identical to the seed's (get/post/put/delete, no patch); data also carries the
    schema-less ``domain_name`` key MailRoute sent."""

    domain = _to_one("DomainResource", "domain")
    contact = _to_one("ContactEmailAccountResource", "contact", null=True, readonly=True)
    notification_task = _to_one(
        "NotificationAccountTaskResource", "notification_task", null=True, readonly=True
    )
    policy = _to_one("PolicyUserResource", "policy", null=True, readonly=True)
    create_opt = fields.CharField("create_opt", null=True, blank=True)
    change_pwd = fields.CharField("change_pwd", null=True, blank=True)

    Meta = _meta(
        m.EmailAccount,
        "email_account",
        methods=NO_PATCH,
        filtering={"domain": ALL_WITH_RELATIONS, "id": ["in"], "localpart": ALL},
        ordering=["localpart", "priority", "domain", "created_at"],
        form=["domain", "localpart", "priority", "create_opt", "change_pwd"],
    )

    def dehydrate(self, bundle):
        bundle.data["domain_name"] = bundle.obj.domain.name
        return bundle


class LocalpartAliasResource(Stamped):
    email_account = _to_one("EmailAccountResource", "email_account")
    domain = _to_one("DomainResource", "domain", null=True, blank=True, readonly=True)

    Meta = _meta(
        m.LocalpartAlias,
        "localpart_alias",
        filtering={"email_account": ["exact"]},
        ordering=["localpart", "created_at", "updated_at"],
    )


class ContactEmailAccountResource(Stamped):
    """Schema not published by MailRoute: the other contacts' shape, plus datetime filters."""

    email_account = _to_one("EmailAccountResource", "email_account")

    Meta = _meta(
        m.ContactEmailAccount,
        "contact_email_account",
        filtering={
            "email": ALL,
            "email_account": ["exact"],
            "created_at": DATETIME_TERMS,
            "updated_at": DATETIME_TERMS,
        },
        ordering=CONTACT_ORDERING + ["created_at", "updated_at"],
    )


class PolicyUserResource(ModelResource):
    """As MailRoute's schema, including its filter on a ``domain`` field that does not exist
    (tastypie ignores such a parameter)."""

    email_account = _to_one("EmailAccountResource", "email_account", readonly=True)

    Meta = _meta(
        m.PolicyUser, "policy_user", methods=["get", "post", "put"], filtering={"domain": ["exact"]}
    )


class NotificationAccountTaskResource(ModelResource):
    """Schema not published by MailRoute; fields from its March 2013 answers."""

    email_account = _to_one("EmailAccountResource", "email_account")

    Meta = _meta(
        m.NotificationAccountTask,
        "notification_account_task",
        filtering={"email_account": ["exact"], "enabled": ["exact"]},
        ordering=["hour", "minute", "priority"],
    )


class WBListResource(ModelResource):
    """MailRoute's schema types ``domain``/``email_account`` as strings; their values are URIs
    (or null). ``email`` (the listed sender) is in MailRoute's data, here also in the schema.
    No PUT, and writes answer with the object (always_return_data)."""

    domain = fields.CharField("domain", null=True)
    email_account = fields.CharField("email_account", null=True)

    Meta = _meta(
        m.WBList,
        "wblist",
        methods=["get", "post", "delete"],
        filtering={"domain": ["exact"], "email_account": ["exact"], "wb": ["exact"]},
        always_return_data=True,
    )

    def dehydrate_domain(self, bundle):
        return uri("domain", bundle.obj.domain_id) if bundle.obj.domain_id else None

    def dehydrate_email_account(self, bundle):
        pk = bundle.obj.email_account_id
        return uri("email_account", pk) if pk else None

    def hydrate_domain(self, bundle):
        return _uri_to_object(bundle, "domain", m.Domain)

    def hydrate_email_account(self, bundle):
        return _uri_to_object(bundle, "email_account", m.EmailAccount)


api = Api(api_name="v1")
for _resource in (
    AdminsResource,
    ContactCustomerResource,
    ContactDomainResource,
    ContactEmailAccountResource,
    ContactResellerResource,
    CustomerResource,
    DomainResource,
    DomainAliasResource,
    DomainWithAliasResource,
    EmailAccountResource,
    LocalpartAliasResource,
    MailServerResource,
    NotificationAccountTaskResource,
    NotificationDomainTaskResource,
    OutboundServerResource,
    PolicyDomainResource,
    PolicyUserResource,
    ResellerResource,
    WBListResource,
):
    api.register(_resource())

hidden_api = Api(api_name="v1")
hidden_api.register(BrandingInfoResource())

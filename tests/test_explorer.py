"""Exploring from a REPL or notebook (issue 22 items 3, 4, 5): a mistake is refused at the
moment it is made, as one short exception; `help()` and `dir()` show the API a person
uses; related values by name; reverse relations."""

from __future__ import annotations

import pydoc
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mailroute_dyn import Client, FilterError, MailRouteError, ValidationError
from mailroute_dyn.fake import FakeMailRoute
from mailroute_dyn.model.resources import INSTANCE_NAMES
from mailroute_dyn.model.shortcuts import ResourceMeta


def _sent(fake: FakeMailRoute) -> list[str]:
    return [f"{r.method} {r.path}" for r in fake.requests if r.method != "GET"]


# ---------------------------------------------------------------- item 5: read-only fields


@pytest.mark.parametrize("name", ["created_at", "policy", "absolute_url"])
def test_a_read_only_field_of_an_object_read_from_the_server_is_refused_at_once(
    demo_client, demo_fake, name
):
    dom = demo_client.domain.first()
    before = dom.to_dict()
    with pytest.raises(ValidationError, match=rf"domain\.{name} is read-only") as caught:
        setattr(dom, name, "2020-01-01T00:00:00")
    assert caught.value.errors == {"domain": {name: ["This field is read-only."]}}
    with pytest.raises(ValidationError, match="read-only"):
        dom[name] = "x"
    assert dom.to_dict() == before and _sent(demo_fake) == []


def test_a_new_object_still_takes_read_only_fields_and_create_sends_them(demo_client, demo_fake):
    customer = demo_client.customer.first()
    dom = demo_client.domain(name="ro-field.example", customer=customer)
    dom.created_at = "2020-01-01T00:00:00"  # not created yet: taken, as documented
    dom.save()
    posted = [r for r in demo_fake.requests if r.method == "POST"]
    assert posted and posted[0].json["created_at"] == "2020-01-01T00:00:00"
    with pytest.raises(ValidationError, match="read-only"):
        dom.created_at = "2021-01-01T00:00:00"  # now it is the server's


# ---------------------------------------------------------------- item 5: one exception


@pytest.fixture()
def cached_client(tmp_path: Path, demo_fake: FakeMailRoute) -> Client:
    """A client whose schemas come from the disk cache: a name they lack makes the client
    read the schema again before it refuses."""
    Client.demo(cache_dir=tmp_path).preload()
    return Client.demo(cache_dir=tmp_path, transport=demo_fake)


MISTAKES: dict[str, Callable[[Client], Any]] = {
    "filter name": lambda c: c.domain.filter(nmae="x"),
    "filter term": lambda c: c.domain.filter(name__sounds_like="x"),
    "order_by": lambda c: c.domain.order_by("-nmae"),
    "get by filter": lambda c: c.domain.get(nmae="x"),
    "values": lambda c: c.domain.values("nmae"),
    "unknown field": lambda c: setattr(c.domain(), "nmae", "x"),
    "unknown resource": lambda c: c.domian,
}


@pytest.mark.slow
@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_mistake_after_a_schema_reread_is_one_exception_without_a_chain(
    cached_client, demo_fake, mistake
):
    with pytest.raises((MailRouteError, AttributeError)) as caught:
        MISTAKES[mistake](cached_client)
    exc = caught.value
    assert exc.__context__ is None and exc.__cause__ is None
    shown = "".join(traceback.format_exception(exc))
    assert "During handling" not in shown and "direct cause" not in shown
    if mistake != "values":  # values() checks against the schema it has
        assert demo_fake.count("GET") >= 1  # the schema (or listing) was read again


# ---------------------------------------------------------------- item 5: help() and dir()


def _class_api() -> set[str]:
    metas = [meta for meta in ResourceMeta.__mro__ if meta not in (type, object)]
    return {n for meta in metas for n in vars(meta) if not n.startswith("_")} - {"exclude"}


def test_help_of_a_class_lists_its_fields_with_types_and_the_whole_api(demo_client):
    Domain = demo_client.domain
    text = pydoc.render_doc(Domain, renderer=pydoc.plaintext)
    summary = text.split("Method resolution order")[0]
    for field in Domain.fields.values():
        assert f"    {field.name} (" in summary
    assert "created_at (datetime, read-only)" in summary
    for name in _class_api() | set(INSTANCE_NAMES):
        assert name in summary, name
    assert "name: all terms" in summary and "Ordering: name" in summary
    assert "Unicode string data" not in text  # Tastypie's generic help says nothing
    assert " |  __" not in text  # no dunders
    assert "functools.partial" not in text
    assert len(text.splitlines()) < 262  # the MRO-and-dunders help it replaced


def test_dir_of_a_class_offers_its_api_and_nothing_that_always_raises(demo_client):
    names = dir(demo_client.domain)
    assert set(names) == _class_api() | set(INSTANCE_NAMES)
    assert "exclude" not in names and not any(n.startswith("_") for n in names)
    with pytest.raises(FilterError, match="no Tastypie equivalent|negated"):
        demo_client.domain.exclude(name="x")  # still there, its error the documentation


# ---------------------------------------------------------------- item 3: related by name


def _posted(fake: FakeMailRoute) -> list[Any]:
    return [r.json for r in fake.requests if r.method == "POST"]


def test_a_related_object_given_by_its_unique_name_is_looked_up_before_the_create(
    demo_client, demo_fake
):
    acct = demo_client.email_account.create(localpart="by-name", domain="acme-001.com")
    dom = demo_client.domain.get(name="acme-001.com")
    assert _posted(demo_fake)[-1]["domain"] == dom.resource_uri
    assert acct.domain == dom and acct["domain"] == dom.resource_uri


def test_a_string_of_digits_is_the_related_key_and_costs_no_lookup(demo_client, demo_fake):
    demo_client.email_account.first()  # schemas loaded
    demo_fake.requests.clear()
    demo_client.email_account.create(localpart="by-key", domain="2")
    assert _posted(demo_fake)[-1]["domain"] == "/api/v1/domain/2/"
    assert [r.method for r in demo_fake.requests][:1] == ["POST"]


def test_a_name_that_finds_nothing_is_refused_before_sending_saying_how_to_give_it(
    demo_client, demo_fake
):
    with pytest.raises(ValidationError) as caught:
        demo_client.email_account.create(localpart="x", domain="no-such.example")
    said = str(caught.value)
    assert "no domain has name or key 'no-such.example'" in said
    assert "its URI (/api/v1/domain/<key>/)" in said
    assert caught.value.errors["email_account"]["domain"]
    assert _posted(demo_fake) == []


def test_a_name_set_on_a_read_object_is_looked_up_before_the_save(demo_client, demo_fake):
    acct = demo_client.email_account.create(localpart="moving", domain="acme-001.com")
    acct.domain = "acme-002.com"
    acct.save()
    written = [r.json for r in demo_fake.requests if r.method in ("PUT", "PATCH")]
    assert written[-1]["domain"] == demo_client.domain.get(name="acme-002.com").resource_uri


def test_a_name_set_on_an_object_reads_as_the_object_it_names(demo_client, demo_fake):
    acct = demo_client.email_account.first()
    acct.domain = "acme-002.com"
    assert acct.domain == demo_client.domain.get(name="acme-002.com")
    acct.domain = "no-such.example"
    with pytest.raises(ValidationError, match="no domain has name or key"):
        acct.domain
    assert _sent(demo_fake) == []


def test_bulk_create_takes_related_objects_by_name(demo_client, demo_fake):
    demo_client.domain.first()
    demo_fake.requests.clear()
    rows = [{"localpart": f"bulk{i}", "domain": "acme-003.com"} for i in range(3)]
    result = demo_client.email_account.bulk_create(rows)
    assert result.ok, result.failed
    uri = demo_client.domain.get(name="acme-003.com").resource_uri
    bodies = [r.json for r in demo_fake.requests if r.method in ("POST", "PATCH")]
    sent = [o["domain"] for b in bodies for o in (b.get("objects", [b]))]
    assert sent == [uri] * 3


def test_a_name_reaches_the_real_tastypie_server_as_the_objects_uri(tastypie_client):
    dom = tastypie_client.domain.first()
    acct = tastypie_client.email_account.create(localpart="by-name-real", domain=dom.name)
    try:
        assert acct.refresh()["domain"] == dom.resource_uri
    finally:
        acct.delete()


# ---------------------------------------------------------------- item 4: reverse relations


def test_related_gives_the_objects_that_point_at_this_one_as_a_lazy_queryset(
    demo_client, demo_fake
):
    dom = demo_client.domain.get(name="acme-001.com")
    demo_fake.requests.clear()
    accounts = dom.related("email_account")
    assert demo_fake.requests == []  # lazy
    expected = {a.pk for a in demo_client.email_account.filter(domain=dom)}
    assert expected and {a.pk for a in accounts} == expected
    assert all(a["domain"] == dom.resource_uri for a in accounts)
    assert accounts.filter(localpart="info").count() == 1  # a QuerySet like any other


def test_related_finds_the_relation_where_the_schema_names_no_target(demo_client):
    """The demo's 2012-style schemas name no targets (the graph learns them from data)."""
    assert demo_client.email_account.fields["domain"].related_resource in (None, "")
    acct = demo_client.email_account.first()
    notes = acct.related("notification_account_task")
    assert all(n["email_account"] == acct.resource_uri for n in notes)


def test_related_refuses_a_resource_that_does_not_point_here_naming_its_fields(demo_client):
    dom = demo_client.domain.first()
    with pytest.raises(FilterError, match="no field of customer points at domain"):
        dom.related("customer")
    with pytest.raises(FilterError, match=r"email_account\.localpart does not point at domain"):
        dom.related("email_account", via="localpart")
    assert dom.related("email_account", via="domain").count() >= 1


def test_a_django_style_reverse_name_points_to_related(demo_client):
    dom = demo_client.domain.first()
    with pytest.raises(AttributeError, match=r"obj\.related\('email_account'\)"):
        dom.email_account_set
    with pytest.raises(AttributeError, match=r"obj\.related\('email_account'\)"):
        dom.email_account


def test_related_is_an_object_name_of_its_own_and_in_help(demo_client):
    assert "related" in INSTANCE_NAMES and "related" in dir(demo_client.domain.first())
    with pytest.raises(AttributeError, match=r"obj\['related'\] = value"):
        demo_client.domain.first().related = "x"

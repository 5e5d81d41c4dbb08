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
from mailroute_dyn.fake import DEMO_KEY, DEMO_LOGIN, FakeMailRoute
from mailroute_dyn.metaclass import ResourceMeta
from mailroute_dyn.resources import INSTANCE_NAMES


@pytest.fixture()
def fake() -> FakeMailRoute:
    return FakeMailRoute(login=DEMO_LOGIN, api_key=DEMO_KEY)


@pytest.fixture()
def client(fake: FakeMailRoute) -> Client:
    return Client.demo(transport=fake)


def _sent(fake: FakeMailRoute) -> list[str]:
    return [f"{r.method} {r.path}" for r in fake.requests if r.method != "GET"]


# ---------------------------------------------------------------- item 5: read-only fields

@pytest.mark.parametrize("name", ["created_at", "policy", "absolute_url"])
def test_a_read_only_field_of_an_object_read_from_the_server_is_refused_at_once(
        client, fake, name):
    dom = client.domain.first()
    before = dom.to_dict()
    with pytest.raises(ValidationError, match=rf"domain\.{name} is read-only") as caught:
        setattr(dom, name, "2020-01-01T00:00:00")
    assert caught.value.errors == {"domain": {name: ["This field is read-only."]}}
    with pytest.raises(ValidationError, match="read-only"):
        dom[name] = "x"
    assert dom.to_dict() == before and _sent(fake) == []


def test_a_new_object_still_takes_read_only_fields_and_create_sends_them(client, fake):
    customer = client.customer.first()
    dom = client.domain(name="ro-field.example", customer=customer)
    dom.created_at = "2020-01-01T00:00:00"       # not created yet: taken, as documented
    dom.save()
    posted = [r for r in fake.requests if r.method == "POST"]
    assert posted and posted[0].json["created_at"] == "2020-01-01T00:00:00"
    with pytest.raises(ValidationError, match="read-only"):
        dom.created_at = "2021-01-01T00:00:00"   # now it is the server's


# ---------------------------------------------------------------- item 5: one exception

@pytest.fixture()
def cached_client(tmp_path: Path, fake: FakeMailRoute) -> Client:
    """A client whose schemas come from the disk cache: a name they lack makes the client
    read the schema again before it refuses."""
    Client.demo(cache_dir=tmp_path).preload()
    return Client.demo(cache_dir=tmp_path, transport=fake)


MISTAKES: dict[str, Callable[[Client], Any]] = {
    "filter name": lambda c: c.domain.filter(nmae="x"),
    "filter term": lambda c: c.domain.filter(name__sounds_like="x"),
    "order_by": lambda c: c.domain.order_by("-nmae"),
    "get by filter": lambda c: c.domain.get(nmae="x"),
    "values": lambda c: c.domain.values("nmae"),
    "unknown field": lambda c: setattr(c.domain(), "nmae", "x"),
    "unknown resource": lambda c: c.domian,
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_mistake_after_a_schema_reread_is_one_exception_without_a_chain(
        cached_client, fake, mistake):
    with pytest.raises((MailRouteError, AttributeError)) as caught:
        MISTAKES[mistake](cached_client)
    exc = caught.value
    assert exc.__context__ is None and exc.__cause__ is None
    shown = "".join(traceback.format_exception(exc))
    assert "During handling" not in shown and "direct cause" not in shown
    if mistake != "values":                 # values() checks against the schema it has
        assert fake.count("GET") >= 1       # the schema (or listing) was read again


# ---------------------------------------------------------------- item 5: help() and dir()

def _class_api() -> set[str]:
    return {n for n in vars(ResourceMeta) if not n.startswith("_")} - {"exclude"}


def test_help_of_a_class_lists_its_fields_with_types_and_the_whole_api(client):
    Domain = client.domain
    text = pydoc.render_doc(Domain, renderer=pydoc.plaintext)
    summary = text.split("Method resolution order")[0]
    for field in Domain.fields.values():
        assert f"    {field.name} (" in summary
    assert "created_at (datetime, read-only)" in summary
    for name in _class_api() | set(INSTANCE_NAMES):
        assert name in summary, name
    assert "name: all terms" in summary and "Ordering: name" in summary
    assert "Unicode string data" not in text       # Tastypie's generic help says nothing
    assert " |  __" not in text                      # no dunders
    assert "functools.partial" not in text
    assert len(text.splitlines()) < 240


def test_dir_of_a_class_offers_its_api_and_nothing_that_always_raises(client):
    names = dir(client.domain)
    assert set(names) == _class_api() | set(INSTANCE_NAMES)
    assert "exclude" not in names and not any(n.startswith("_") for n in names)
    with pytest.raises(FilterError, match="no Tastypie equivalent|negated"):
        client.domain.exclude(name="x")     # still there, its error the documentation

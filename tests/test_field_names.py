"""Field names belong to the server: a schema whose fields are named like the client's own
API (`count`, `filter`, `fields`, `get`, `all`, `order_by`, `save`) reads and writes every
one of them, while `Widget.count()` and friends stay the class-level API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailroute_dyn import Client, QuerySet, Resource
from mailroute_dyn.model.resources import INSTANCE_NAMES
from mailroute_dyn.model.shortcuts import ResourceMeta
from mailroute_dyn.testing import FakeMailRoute, write_fixture

CLASH = ("count", "filter", "fields", "get", "all", "order_by", "save")


def _spec(kind: str, **flags: object) -> dict[str, object]:
    return {
        "type": kind,
        "nullable": False,
        "blank": False,
        "readonly": False,
        "unique": False,
        "help_text": "",
        "default": "No default provided.",
        **flags,
    }


@pytest.fixture
def widget(tmp_path: Path) -> Iterator[Any]:
    fields = {
        "id": _spec("integer", unique=True, readonly=True, primary_key=True),
        "resource_uri": _spec("string", readonly=True),
        "count": _spec("integer"),
        "all": _spec("boolean", default=False),
    }
    for name in ("filter", "fields", "get", "order_by", "save", "related"):
        fields[name] = _spec("string", blank=True, default="")
    schema = {
        "fields": fields,
        "filtering": {"count": 1, "filter": 1},
        "ordering": ["count"],
        "default_limit": 20,
        "allowed_list_http_methods": ["get", "post"],
        "allowed_detail_http_methods": ["get", "patch", "put", "delete"],
    }
    write_fixture(tmp_path, {"widget": schema}, {"widget": []})
    fake = FakeMailRoute(tmp_path, login="a", api_key="fake-key")
    with Client(
        "https://fake.test", "a", "fake-key", transport=fake, cache_dir=None, retries=0
    ) as client:
        yield client.widget


def test_fields_named_like_the_client_api_read_and_write_as_fields(widget):
    made = widget.create(count=1, filter="f", fields="x", get="g", all=True, order_by="o", save="s")
    obj = widget.get(made.pk)
    assert (obj.count, obj.filter, obj.fields, obj.get, obj.all, obj.order_by) == (
        1,
        "f",
        "x",
        "g",
        True,
        "o",
    )
    assert obj["save"] == "s" and callable(obj.save)  # the object's own name: by item
    obj.count, obj.filter, obj.fields, obj.get = 6, "F", "X", "G"
    obj.all, obj.order_by = False, "O"
    obj["save"] = "S"
    assert obj.count == 6 and obj["save"] == "S"
    obj.save()
    again = widget.get(made.pk)
    assert (
        again.count,
        again.filter,
        again.fields,
        again.get,
        again.all,
        again.order_by,
        again["save"],
    ) == (6, "F", "X", "G", False, "O", "S")


def test_the_class_api_stays_on_the_class_whatever_the_fields(widget):
    widget.create(count=3, filter="a", fields="b", get="c", all=False, order_by="d", save="e")
    assert widget.count() == 1 and widget.first().count == 3
    assert isinstance(widget.filter(count=3), QuerySet) and widget.filter(count=3).count() == 1
    assert [o.count for o in widget.all()] == [3]
    # (no order_by() here: Tastypie reads `?order_by=` as a filter on a field of that name)
    assert set(CLASH) <= set(widget.fields) and widget.get(filter="a").get == "c"


def test_a_field_named_related_is_read_and_written_by_item(widget):
    made = widget.create(count=1, related="mine")
    obj = widget.get(made.pk)
    assert obj["related"] == "mine" and callable(obj.related)
    obj["related"] = "changed"
    obj.save()
    assert widget.get(made.pk)["related"] == "changed"
    assert "related" in widget.__doc__.rsplit("Named like", 1)[1]


def test_setting_a_field_named_like_an_object_method_names_the_way_to_do_it(widget):
    obj = widget(count=1)
    with pytest.raises(AttributeError, match=r"obj\['save'\] = value"):
        obj.save = "no"
    made = widget.create(count=2, save="kept")  # keyword arguments reach the field
    assert made["save"] == "kept"


def test_objects_answer_to_a_small_documented_set_of_names():
    public = {
        name
        for name in dir(Resource)
        if not name.startswith("_") and not hasattr(ResourceMeta, name)
    }
    assert public == set(INSTANCE_NAMES)


def test_a_class_attribute_read_on_an_object_says_where_it_is(widget):
    obj = widget.create(count=1)
    with pytest.raises(AttributeError, match=r"type\(obj\)\.resource_name"):
        obj.resource_name
    assert CLASH[0] in dir(widget) and "resource_name" in dir(widget)


def test_help_names_the_way_to_reach_a_field_named_like_a_method(widget):
    assert "read such a field as obj['name'], set it with obj['name'] = value" in widget.__doc__
    assert "save" in widget.__doc__.rsplit("Named like", 1)[1]

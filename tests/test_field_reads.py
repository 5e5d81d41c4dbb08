"""Field reads cost what they do (issue 23): a plain field is a lookup in the raw dict, a
typed one is converted once per object and field, and no read builds the object's other
state. The costs are counted in Python calls and in the state an object carries, so the
tests do not depend on the machine's speed."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from mailroute_dyn.classes.fieldread import FieldProperty
from mailroute_dyn.schema.definition import parse_schema
from tests.conftest import BASE, list_body, objects, schema

DOMAINS = objects("domain")
PLAIN = ("name", "active", "deliveryport", "hold_email", "absolute_url")
LAZY_SLOTS = ("_related", "_snapshot", "_deleted", "_unread", "_typed_cache")


def _page(client: Any, api: Any, page: list[dict[str, Any]] | None = None) -> list[Any]:
    page = [dict(d) for d in (DOMAINS[:3] if page is None else page)]
    api.override("GET", url__regex=rf"^{BASE}/api/v1/domain/(\?.*)?$").mock(
        return_value=httpx.Response(200, json=list_body(page, limit=len(page)))
    )
    return list(client.domain.all())


def _python_calls(read: Callable[[], Any]) -> int:
    """How many Python functions one call of `read` runs (itself not counted)."""
    calls = 0

    def count(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(count)
    try:
        read()
    finally:
        sys.setprofile(None)
    return calls - 1


def _made(obj: Any) -> list[str]:
    """The lazily made per-object slots that exist on `obj` (read past __getattr__)."""
    made = []
    for slot in LAZY_SLOTS:
        try:
            object.__getattribute__(obj, slot)
        except AttributeError:
            continue
        made.append(slot)
    return made


def test_reading_plain_fields_of_a_listed_object_builds_nothing(client, api):
    obj = _page(client, api)[0]
    values = [getattr(obj, name) for name in PLAIN] + [obj.id, obj.pk, obj["name"]]
    assert values == [DOMAINS[0][name] for name in PLAIN] + [DOMAINS[0]["id"]] * 2 + [
        DOMAINS[0]["name"]
    ]
    assert _made(obj) == []  # no per-object state for reads


def test_a_plain_field_read_runs_one_python_function(client, api):
    obj = _page(client, api)[0]
    obj.name  # noqa: B018 - a first read, if it makes anything
    for name in PLAIN:
        assert _python_calls(lambda name=name: getattr(obj, name)) <= 1, name
    assert _python_calls(lambda: obj.id) <= 1
    assert _python_calls(lambda: obj["name"]) <= 1


def test_a_typed_field_is_converted_once_and_only_when_read(client, api):
    obj = _page(client, api)[0]
    assert _made(obj) == []
    created = obj.created_at
    assert _made(obj) == ["_typed_cache"] and created.year == 2012
    assert obj.created_at is created  # the second read converts nothing again
    assert _python_calls(lambda: obj.created_at) <= 1
    assert obj["created_at"] == DOMAINS[0]["created_at"]  # the raw value kept as sent
    assert obj.to_dict() == DOMAINS[0]


def test_a_typed_value_follows_changes_and_new_raw_values(client, api):
    obj = _page(client, api)[0]
    first = obj.updated_at
    # a change is read as the change (a read-only field: only a new object takes one)
    made = type(obj)(updated_at="2020-01-02T03:04:05")
    assert made.updated_at.year == 2020
    made.updated_at = "2021-01-02T03:04:05"
    assert made.updated_at.year == 2021
    api.override("GET", f"{BASE}{obj.resource_uri}").mock(
        return_value=httpx.Response(
            200, json={**DOMAINS[0], "updated_at": "Mon, 01 Jan 2024 00:00:00 -0000"}
        )
    )
    obj.refresh()  # a new raw value: converted again
    assert obj.updated_at.year == 2024 and obj.updated_at != first


def test_plain_reads_see_unsaved_changes_and_the_object_stays_the_servers(client, api):
    first, second, _ = _page(client, api)
    first.name = "changed.example"
    assert first.name == "changed.example" and first["name"] == "changed.example"
    assert second.name == DOMAINS[1]["name"]  # the page's other objects untouched
    assert DOMAINS[0]["name"] != "changed.example"
    assert _made(second) == []


def test_a_field_a_list_left_out_is_still_read_from_the_detail(client, api):
    listed = {k: v for k, v in DOMAINS[0].items() if k != "deliveryport"}
    obj = _page(client, api, [listed])[0]
    api.override("GET", f"{BASE}{obj.resource_uri}").mock(
        return_value=httpx.Response(200, json=DOMAINS[0])
    )
    assert obj.deliveryport == DOMAINS[0]["deliveryport"]


def test_objects_built_one_by_one_read_fields_the_same_way(client, api):
    api.override("GET", f"{BASE}/api/v1/domain/1/").mock(
        return_value=httpx.Response(200, json=DOMAINS[0])
    )
    obj = client.domain.get(1)
    assert _python_calls(lambda: obj.name) <= 1
    assert obj.created_at is obj.created_at


def test_a_new_schema_replaces_the_readers_and_fields_never_shadow_the_class(client, api):
    cls = client.domain
    assert isinstance(vars(cls)["name"], FieldProperty) and "count" not in vars(cls)
    fields = dict(schema("domain")["fields"])
    fields["nickname"] = fields.pop("name")
    client._registry.update(
        cls, parse_schema("domain", {**schema("domain"), "fields": fields}, "/api/v1/")
    )
    assert "name" not in vars(cls) and isinstance(vars(cls)["nickname"], FieldProperty)
    obj = cls._from_raw({**DOMAINS[0], "nickname": "n.example"})
    assert obj.nickname == "n.example" and obj.name == DOMAINS[0]["name"]  # a key as sent
    assert callable(cls.count) and callable(cls.filter)  # the class API untouched


def test_a_plain_field_of_a_listed_object_is_read_without_python(client, api):
    """The attribute view: an object as read has its raw dict as its `__dict__`, so
    Python's own lookup answers a plain field (no reader runs, not even on a first read)."""
    obj = _page(client, api)[1]
    for name in PLAIN:
        assert _python_calls(lambda name=name: getattr(obj, name)) == 0, name
    assert _python_calls(lambda: obj.id) == 0
    assert (obj.name, obj.id) == (DOMAINS[1]["name"], DOMAINS[1]["id"])
    assert _made(obj) == []


def _general(obj: Any, name: str) -> Any:
    """A field's value by the general path, past the attribute view and the readers."""
    return obj._typed(type(obj).fields[name])


def _reads_agree(obj: Any) -> bool:
    return all(getattr(obj, name) == _general(obj, name) for name in (*PLAIN, "created_at"))


def test_the_attribute_view_follows_every_change_of_an_objects_state(client, api):
    obj = _page(client, api)[0]
    assert _reads_agree(obj)
    obj.name = "changed.example"  # a change: the view steps aside
    assert obj.name == "changed.example" and obj["name"] == "changed.example"
    assert _reads_agree(obj) and DOMAINS[0]["name"] != "changed.example"
    fresh = {**DOMAINS[0], "name": "renamed.example", "deliveryport": 2525}
    api.override("GET", f"{BASE}{obj.resource_uri}").mock(
        return_value=httpx.Response(200, json=fresh)
    )
    obj.refresh()  # as read again: the new raw dict
    assert (obj.name, obj.deliveryport, obj["name"]) == ("renamed.example", 2525, "renamed.example")
    assert _reads_agree(obj)
    obj.deliveryport = 26  # saved with no answer body: read back
    api.override("PUT", f"{BASE}{obj.resource_uri}").mock(  # (no PATCH allowed)
        return_value=httpx.Response(204)
    )
    api.override("GET", f"{BASE}{obj.resource_uri}").mock(
        return_value=httpx.Response(200, json={**fresh, "deliveryport": 27})
    )
    obj.save()
    assert obj.deliveryport == 27 and _reads_agree(obj)  # what the server stored


def test_keys_that_would_hide_the_objects_own_names_are_read_as_before(client, api):
    """A raw dict holding `save`, `to_dict` or a `_private` key never becomes the view:
    the object's own names stay its own; the values are read as items."""
    page = [{**d, "save": "yes", "to_dict": 1, "_hidden": 2} for d in DOMAINS[:2]]
    first = _page(client, api, page)[0]
    assert callable(first.save) and callable(first.to_dict)
    assert (first["save"], first["to_dict"], first["_hidden"]) == ("yes", 1, 2)
    assert first.name == DOMAINS[0]["name"] and first.to_dict()["save"] == "yes"
    with pytest.raises(AttributeError):
        first._hidden  # noqa: B018 - private names never fields


def test_a_typed_field_named_like_the_class_api_is_still_converted(client, api):
    """`count` is the class's (no reader on the class): its raw value in the view would
    come before `__getattr__`, so such a key keeps the object off the view."""
    cls = client.domain
    fields = {**schema("domain")["fields"], "count": dict(schema("domain")["fields"]["created_at"])}
    client._registry.update(
        cls, parse_schema("domain", {**schema("domain"), "fields": fields}, "/api/v1/")
    )
    page = [{**d, "count": d["created_at"]} for d in DOMAINS[:2]]
    first = _page(client, api, page)[0]
    assert first.count == first.created_at and not isinstance(first.count, str)
    assert first.name == DOMAINS[0]["name"] and callable(cls.count)


def test_a_private_name_set_on_an_object_is_refused_and_its_raw_dict_untouched(client, api):
    obj = _page(client, api)[0]
    with pytest.raises(AttributeError):
        obj._nickname = "x"
    assert "_nickname" not in obj.to_dict() and obj.to_dict() == DOMAINS[0]

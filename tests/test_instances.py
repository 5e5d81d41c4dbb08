"""Instances: raw and typed views, related objects, create/save/delete/refresh, the no-wipe
rule for PUT, conflict detection, validation and the echoes of write answers."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from mailroute_dyn import BadRequest, Conflict, MethodNotAllowed, ValidationError
from tests.conftest import BASE, objects


def by_id(resource: str, key: int) -> dict:
    return next(o for o in objects(resource) if o["id"] == key)


def body_of(request: httpx.Request):
    return json.loads(request.content) if request.content else None


def test_raw_values_are_kept_and_typed_views_computed(client):
    d = client.domain.get(912345)
    raw = by_id("domain", 912345)
    assert d.to_dict() == raw
    assert d["created_at"] == raw["created_at"]
    assert isinstance(d.created_at, dt.datetime) and d.created_at.utcoffset() is not None
    assert d.created_at == dt.datetime(
        2012, 6, 7, 17, 1, 47, tzinfo=dt.timezone(dt.timedelta(hours=-7))
    )
    assert d.active is True and d.name == "testdomain.com"
    assert d.absolute_url == raw["absolute_url"]  # a key outside the schema, kept for reading
    assert {"name", "customer", "policy"} <= set(dir(d))
    with pytest.raises(AttributeError, match="Did you mean 'name'"):
        d.nmae


def test_both_datetime_forms_are_read():
    from mailroute_dyn.schema.conversions import parse_date, parse_datetime, parse_time

    padded = parse_datetime("Thu, 07 Jun 2012 15:24:27 -0700")
    assert parse_datetime("Thu, 7 Jun 2012 15:24:27 -0700") == padded
    assert parse_datetime("2012-06-07T15:24:27-07:00") == padded
    assert parse_datetime("2026-11-25T22:45:03.664016").tzinfo is None
    assert parse_date("2 May 2024") == parse_date("2024-05-02") == dt.date(2024, 5, 2)
    assert parse_time("05:17:23 -0800").utcoffset() == dt.timedelta(hours=-8)
    assert parse_time("20:05:23") == dt.time(20, 5, 23)


def test_related_objects_are_fetched_lazily_once(client, api):
    acct = client.email_account.get(1)
    client.domain  # schema loaded: only the object is fetched below
    before = len(api.router.calls)
    dom = acct.domain
    assert dom.resource_uri == acct["domain"] and dom.name
    assert acct.domain is dom
    assert [str(c.request.url) for c in api.router.calls[before:]] == [BASE + acct["domain"]]
    assert acct.contact is None or acct.contact.resource_uri


def test_nested_related_objects_need_no_request(client, api):
    raw = dict(objects("email_account")[0])
    raw["domain"] = by_id("domain", 912345)
    acct = client.email_account._from_raw(raw)
    client.domain  # the class exists: the nested data needs no request
    before = len(api.router.calls)
    assert acct.domain.name == "testdomain.com"
    assert len(api.router.calls) == before


def test_create_takes_id_and_uri_from_a_relative_or_absolute_location(client, api):
    dom = client.domain.get(912345)
    for location in ("/api/v1/email_account/24263/", f"{BASE}/api/v1/email_account/24264/"):
        route = api.override("POST", f"{BASE}/api/v1/email_account/").mock(
            return_value=httpx.Response(201, headers={"Location": location})
        )
        acct = client.email_account.create(
            localpart="testing", domain=dom, priority=8, create_opt="generate_pwd"
        )
        assert acct.resource_uri == location.replace(BASE, "")
        assert acct.id == int(location.rstrip("/").rsplit("/", 1)[1])
        assert body_of(route.calls[-1].request) == {
            "localpart": "testing",
            "domain": "/api/v1/domain/912345/",
            "priority": 8,
            "create_opt": "generate_pwd",
        }


def test_create_uses_the_body_and_drops_echoes(client, api):
    answer = dict(objects("reseller")[0], pk="1", password="hunter2-not-real", send_welcome=True)
    api.override("POST", f"{BASE}/api/v1/reseller/").mock(
        return_value=httpx.Response(201, json=answer, headers={"Location": "/api/v1/reseller/1/"})
    )
    r = client.reseller.create(
        name=answer["name"], extra={"password": "hunter2-not-real", "send_welcome": True}
    )
    data = r.to_dict()
    assert "pk" not in data and "password" not in data and "send_welcome" not in data
    assert r.name == answer["name"] and r.id == answer["id"]
    assert "hunter2" not in repr(r) + json.dumps(data)


def test_validation_before_sending(client, api):
    route = api.override("POST", f"{BASE}/api/v1/email_account/")
    EA = client.email_account
    with pytest.raises(ValidationError) as info:
        EA.create(priority=8)
    assert info.value.errors == {
        "email_account": {
            "domain": ["This field is required."],
            "localpart": ["This field is required."],
        }
    }
    with pytest.raises(ValidationError, match="priority"):
        EA.create(localpart="x", domain="/api/v1/domain/1/", priority="high")
    with pytest.raises(ValidationError, match="localpart"):
        EA.create(localpart=None, domain="/api/v1/domain/1/")
    with pytest.raises(AttributeError, match="Did you mean 'priority'"):
        EA(prority=3)
    assert not route.called


def test_a_server_400_is_parsed_into_the_same_shape(client, api):
    api.override("POST", f"{BASE}/api/v1/email_account/").mock(
        return_value=httpx.Response(
            400,
            json={
                "email_account": {
                    "__all__": ["Email account with this Domain and Localpart already exists."]
                }
            },
        )
    )
    with pytest.raises(BadRequest) as info:
        client.email_account.create(localpart="dup", domain="/api/v1/domain/1/")
    assert info.value.errors == {
        "email_account": {
            "__all__": ["Email account with this Domain and Localpart already exists."]
        }
    }
    assert "already exists" in str(info.value)


def test_put_sends_every_writable_field_as_it_came(client, api):
    # email_account allows no PATCH: save() must PUT the full representation
    stored = next(o for o in api.data["email_account"] if o["id"] == 1)
    route = api.override("PUT", f"{BASE}/api/v1/email_account/1/").mock(
        side_effect=lambda request: stored.update(body_of(request)) or httpx.Response(204)
    )
    acct = client.email_account.get(1)
    raw = objects("email_account")[0]
    acct.priority = 9
    acct.save()
    sent = body_of(route.calls[-1].request)
    assert sent == {
        "change_pwd": raw["change_pwd"],
        "create_opt": raw["create_opt"],
        "domain": raw["domain"],
        "localpart": raw["localpart"],
        "priority": 9,
    }
    assert acct.priority == 9 and acct["priority"] == 9


def test_put_reads_the_object_first_when_the_representation_is_incomplete(client, api):
    raw = objects("email_account")[0]
    api.override("POST", f"{BASE}/api/v1/email_account/").mock(
        return_value=httpx.Response(201, headers={"Location": "/api/v1/email_account/1/"})
    )
    put = api.override("PUT", f"{BASE}/api/v1/email_account/1/").mock(
        return_value=httpx.Response(204)
    )
    acct = client.email_account.create(localpart=raw["localpart"], domain=raw["domain"])
    acct.priority = 3
    acct.save()
    sent = body_of(put.calls[-1].request)
    # create_opt/change_pwd (blank + nullable) would be nulled by a partial PUT
    assert set(sent) == {"change_pwd", "create_opt", "domain", "localpart", "priority"}
    assert sent["priority"] == 3


def test_patch_sends_only_the_change(client, api):
    stored = next(o for o in api.data["reseller"] if o["id"] == 1)
    route = api.override("PATCH", f"{BASE}/api/v1/reseller/1/").mock(
        side_effect=lambda request: stored.update(body_of(request)) or httpx.Response(202)
    )
    r = client.reseller.get(1)
    r.name = "Renamed Reseller"
    r.save()
    assert body_of(route.calls[-1].request) == {"name": "Renamed Reseller"}
    assert r.name == "Renamed Reseller"
    r.save()  # nothing changed: nothing sent
    assert len(route.calls) == 1


def test_read_only_fields_cannot_be_changed_on_update(client, api):
    acct = client.email_account.get(1)
    with pytest.raises(ValidationError, match="read-only"):  # at once, not at save()
        acct.created_at = "2020-01-01T00:00:00"
    assert not acct._changes


def test_read_only_field_set_on_create_is_sent(client, api):
    route = api.override("POST", f"{BASE}/api/v1/email_account/").mock(
        return_value=httpx.Response(201, headers={"Location": "/api/v1/email_account/9/"})
    )
    client.email_account.create(
        localpart="x", domain="/api/v1/domain/1/", policy="/api/v1/policy_user/3/"
    )
    assert body_of(route.calls[-1].request)["policy"] == "/api/v1/policy_user/3/"


def test_save_if_unchanged_raises_conflict_and_sends_nothing(client, api):
    acct = client.email_account.get(1)
    changed = dict(objects("email_account")[0], priority=1)
    api.override("GET", f"{BASE}/api/v1/email_account/1/").mock(
        return_value=httpx.Response(200, json=changed)
    )
    put = api.override("PUT", f"{BASE}/api/v1/email_account/1/").mock(
        return_value=httpx.Response(204)
    )
    acct.localpart = "mine"
    with pytest.raises(Conflict, match="priority"):
        acct.save(if_unchanged=True)
    assert not put.called


def test_save_if_unchanged_goes_through_when_nothing_changed(client, api):
    put = api.override("PUT", f"{BASE}/api/v1/email_account/1/").mock(
        return_value=httpx.Response(204)
    )
    acct = client.email_account.get(1)
    acct.localpart = "mine"
    acct.save(if_unchanged=True)
    assert body_of(put.calls[-1].request)["localpart"] == "mine"


def test_write_answer_with_pk_echo_updates_the_instance(client, api):
    raw = objects("reseller")[0]
    answer = dict(raw, name="New Name", pk=str(raw["id"]))
    api.override("PATCH", f"{BASE}/api/v1/reseller/{raw['id']}/").mock(
        return_value=httpx.Response(202, json=answer)
    )
    r = client.reseller.get(raw["id"])
    r.name = "New Name"
    r.save()
    assert r.name == "New Name" and "pk" not in r.to_dict()


def test_delete_and_refresh(client, api):
    route = api.override("DELETE", f"{BASE}/api/v1/reseller/1/").mock(
        return_value=httpx.Response(204)
    )
    r = client.reseller.get(1)
    r.name = "unsaved"
    r.refresh()
    assert r.name == objects("reseller")[0]["name"]
    r.delete()
    assert route.called


def test_methods_the_schema_refuses_are_refused_first(client, api):
    with pytest.raises(MethodNotAllowed, match="does not allow PUT"):
        w = client.wblist.get(1)
        w.wb = "w"
        w.save()
    with pytest.raises(MethodNotAllowed, match="does not allow POST"):
        client.domain_with_alias.create(name="x")


def test_a_server_405_is_method_not_allowed_too(client, api):
    api.override("DELETE", f"{BASE}/api/v1/reseller/1/").mock(
        return_value=httpx.Response(405, text="GET,POST", headers={"Allow": "GET,POST"})
    )
    with pytest.raises(MethodNotAllowed) as info:
        client.reseller.get(1).delete()
    assert info.value.allowed == ["GET", "POST"] and info.value.status_code == 405


def test_custom_actions(client, api):
    route = api.override("POST", f"{BASE}/api/v1/email_account/1/regenerate_api_key/").mock(
        return_value=httpx.Response(202, json={"api_key": "REDACTED"})
    )
    acct = client.email_account.get(1)
    assert acct.action("regenerate_api_key") == {"api_key": "REDACTED"}
    assert route.calls[-1].request.content == b""
    assert "api_key" not in acct.to_dict()
    mass = api.override("POST", f"{BASE}/api/v1/email_account/mass_resend_welcome/").mock(
        return_value=httpx.Response(202)
    )
    assert (
        client.email_account.action(
            "mass_resend_welcome", json={"accounts": [acct], "reset_pwd": False}
        )
        is None
    )
    assert body_of(mass.calls[-1].request) == {
        "accounts": ["/api/v1/email_account/1/"],
        "reset_pwd": False,
    }


def test_escape_hatch_request(client, api):
    api.override("POST", f"{BASE}/api/v1/admins/customer/5/").mock(
        return_value=httpx.Response(201, json={"id": 3, "email": "a@example.com"})
    )
    assert (
        client.request("POST", "/api/v1/admins/customer/5/", json={"email": "a@example.com"})["id"]
        == 3
    )


def test_save_can_be_told_to_put(client, api):
    route = api.override("PUT", f"{BASE}/api/v1/reseller/1/").mock(return_value=httpx.Response(204))
    r = client.reseller.get(1)
    r.name = "Put Please"
    r.save(method="put")
    assert body_of(route.calls[-1].request)["name"] == "Put Please"
    assert set(body_of(route.calls[-1].request)) >= {"name", "allow_branding"}
    with pytest.raises(ValueError):
        r.save(method="post")


def test_create_with_an_unknown_field_is_a_validation_error(client, api):
    with pytest.raises(ValidationError, match="Did you mean 'localpart'") as info:
        client.email_account.create(localprt="x", domain="/api/v1/domain/1/")
    assert "localprt" in info.value.errors["email_account"]


def test_an_object_made_locally_is_created_by_save(client, api):
    route = api.override("POST", f"{BASE}/api/v1/reseller/").mock(
        return_value=httpx.Response(201, headers={"Location": "/api/v1/reseller/77/"})
    )
    r = client.reseller(name="Made Here")
    assert r.resource_uri is None and "unsaved" in repr(r)
    r.save()
    assert body_of(route.calls[-1].request) == {"name": "Made Here"}
    assert r.id == 77 and r.resource_uri == "/api/v1/reseller/77/"

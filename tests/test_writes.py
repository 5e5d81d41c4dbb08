"""Writes on instances against the real Tastypie server: a PUT save never puts back what
another client changed, no write brings a deleted object back, and after a write whose
answer had no body the instance shows what the server stored."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mailroute_dyn import AsyncClient, Conflict, DoesNotExist, GuardError, MailRouteError
from tests.conftest import BASE, schema
from tests.helpers import site_client

HOST = "http://tastypie.test"


@pytest.fixture
def raw(tastypie_app: Any) -> Iterator[httpx.Client]:
    """Another client of the same server, writing behind the instance's back."""
    from tests.tastypie_site import auth_header

    with httpx.Client(
        transport=httpx.WSGITransport(app=tastypie_app), base_url=HOST, headers=auth_header()
    ) as c:
        yield c


def _account(raw: httpx.Client, **values: Any) -> str:
    """A new email account made by the other client; its URI."""
    body = {
        "localpart": f"w-{uuid.uuid4().hex[:8]}",
        "domain": "/api/v1/domain/1/",
        "priority": 8,
        "create_opt": "generate_pwd",
        **values,
    }
    answer = raw.post("/api/v1/email_account/", json=body)
    assert answer.status_code == 201
    return str(answer.headers["location"])


class DeleteBeforePut(httpx.BaseTransport):
    """The real server, where another client deletes the object just before our PUT
    arrives (between the client's read and its write)."""

    def __init__(self, app: Any):
        self.inner = httpx.WSGITransport(app=app)
        self.puts: list[httpx.Request] = []
        self.deletes: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            self.puts.append(request)
            from tests.tastypie_site import auth_header

            gone = httpx.Request("DELETE", request.url, headers=auth_header())
            assert self.inner.handle_request(gone).status_code == 204
        if request.method == "DELETE":
            self.deletes.append(request.url.path)
        return self.inner.handle_request(request)


# ---------------------------------------------------------------- item 2: lost updates


def test_put_save_keeps_a_field_another_client_changed_since_the_read(tastypie_client, raw):
    uri = _account(raw)
    acct = tastypie_client.email_account.get(uri.rstrip("/").rsplit("/", 1)[1])
    theirs = raw.get(uri).json()
    theirs["priority"] = 2  # another admin lowers the priority
    assert (
        raw.put(
            uri,
            json={
                k: theirs[k]
                for k in ("localpart", "domain", "priority", "create_opt", "change_pwd")
            },
        ).status_code
        == 204
    )
    acct.localpart = f"mine-{uuid.uuid4().hex[:6]}"
    acct.save()  # email_account has no PATCH: a PUT
    stored = raw.get(uri).json()
    assert stored["priority"] == 2 and stored["localpart"] == acct.localpart
    assert stored["create_opt"] == "generate_pwd"
    assert acct.priority == 2  # the instance shows what is stored
    acct.delete()


def test_put_save_if_unchanged_refuses_after_another_change_and_sends_nothing(tastypie_client, raw):
    uri = _account(raw)
    acct = tastypie_client.email_account.get(int(uri.rstrip("/").rsplit("/", 1)[1]))
    assert (
        raw.put(
            uri,
            json={
                "localpart": acct.localpart,
                "domain": acct["domain"],
                "priority": 1,
                "create_opt": "generate_pwd",
            },
        ).status_code
        == 204
    )
    acct.localpart = "never-sent"
    with pytest.raises(Conflict, match="priority"):
        acct.save(if_unchanged=True)
    assert raw.get(uri).json()["localpart"] != "never-sent"
    assert raw.delete(uri).status_code == 204


def test_put_never_nulls_a_blank_nullable_field_the_instance_lacks(tastypie_client, raw):
    uri = _account(raw)
    full = raw.get(uri).json()
    # an object read from a representation without create_opt (a list that omits
    # detail-only fields): a PUT without it would have Tastypie null it
    acct = tastypie_client.email_account._from_raw(
        {k: v for k, v in full.items() if k != "create_opt"}
    )
    acct.priority = 4
    acct.save()
    stored = raw.get(uri).json()
    assert stored["priority"] == 4 and stored["create_opt"] == "generate_pwd"
    assert raw.delete(uri).status_code == 204


# ---------------------------------------------------------------- item 3: no resurrection


def test_put_save_of_an_object_another_client_deleted_raises_and_leaves_it_deleted(
    tastypie_client, raw
):
    uri = _account(raw)
    acct = tastypie_client.email_account.get(int(uri.rstrip("/").rsplit("/", 1)[1]))
    assert raw.delete(uri).status_code == 204
    acct.priority = 3
    with pytest.raises(DoesNotExist):
        acct.save()
    assert raw.get(uri).status_code == 404


def test_patch_save_of_an_object_another_client_deleted_raises_does_not_exist(tastypie_client, raw):
    reseller = tastypie_client.reseller.create(name=f"Gone {uuid.uuid4().hex[:6]}")
    assert raw.delete(reseller.resource_uri).status_code == 204
    reseller.allow_branding = True
    with pytest.raises(DoesNotExist):
        reseller.save()
    assert raw.get(reseller.resource_uri).status_code == 404


def test_save_after_delete_raises_and_sends_nothing(tastypie_client, raw):
    uri = _account(raw)
    acct = tastypie_client.email_account.get(int(uri.rstrip("/").rsplit("/", 1)[1]))
    acct.delete()
    acct.priority = 5
    with pytest.raises(DoesNotExist, match="deleted"):
        acct.save()
    assert raw.get(uri).status_code == 404


def test_refresh_of_a_deleted_object_raises_does_not_exist(tastypie_client, raw):
    uri = _account(raw)
    acct = tastypie_client.email_account.get(int(uri.rstrip("/").rsplit("/", 1)[1]))
    assert raw.delete(uri).status_code == 204
    with pytest.raises(DoesNotExist):
        acct.refresh()


def test_a_put_that_created_the_row_again_is_undone_and_raises(tastypie_app, raw):

    uri = _account(raw)
    transport = DeleteBeforePut(tastypie_app)
    with site_client(transport, HOST) as client:
        acct = client.email_account.get(int(uri.rstrip("/").rsplit("/", 1)[1]))
        acct.priority = 6
        with pytest.raises(DoesNotExist, match="deleted"):
            acct.save()
    assert len(transport.puts) == 1 and transport.deletes == [uri]
    assert raw.get(uri).status_code == 404


def test_bulk_update_reports_deleted_objects_failed_and_recreates_nothing(tastypie_client, raw):
    tag = uuid.uuid4().hex[:6]
    cases = (
        (tastypie_client.reseller, {"name": f"BU {tag} r"}, "allow_branding", True),
        (
            tastypie_client.domain,
            {"name": f"bu-{tag}.test", "customer": "/api/v1/customer/1/"},
            "hold_email",
            True,
        ),
    )
    for Res, values, field, value in cases:  # PATCH list, then one PUT save each
        made = [Res.create(**{**values, "name": f"{i}{values['name']}"}) for i in range(3)]
        assert raw.delete(made[1].resource_uri).status_code == 204
        before = Res.count()
        for obj in made:
            setattr(obj, field, value)
        result = Res.bulk_update(made)
        assert [o.resource_uri for o in result.succeeded] == [
            made[0].resource_uri,
            made[2].resource_uri,
        ]
        assert [o.resource_uri for o, _ in result.failed] == [made[1].resource_uri]
        assert isinstance(result.failed[0][1], DoesNotExist)
        assert Res.count() == before  # nothing was created
        assert raw.get(made[1].resource_uri).status_code == 404
        assert all(raw.get(o.resource_uri).json()[field] == value for o in result.succeeded)
        assert Res.bulk_delete([made[0], made[2]]).ok


# ---------------------------------------------------------------- item 5: empty answers


def test_fields_the_server_filled_or_normalised_on_create_read_as_stored(tastypie_client, raw):
    acct = tastypie_client.email_account.create(
        localpart=f"  spaced-{uuid.uuid4().hex[:6]}  ", domain="/api/v1/domain/1/"
    )
    stored = raw.get(acct.resource_uri).json()
    assert acct.created_at is not None and acct["created_at"] == stored["created_at"]
    assert acct.priority == 7 == stored["priority"]  # the server's default
    assert acct.policy is not None  # a row the server made
    assert acct.localpart == stored["localpart"] == acct.localpart.strip()
    assert acct.to_dict() == stored
    acct.delete()


def test_if_unchanged_after_an_empty_write_answer_gives_no_false_conflict(tastypie_client, raw):
    acct = tastypie_client.email_account.create(
        localpart=f" pad-{uuid.uuid4().hex[:6]} ", domain="/api/v1/domain/1/"
    )
    acct.priority = 3
    acct.save(if_unchanged=True)
    acct.localpart = f" again-{uuid.uuid4().hex[:6]} "
    acct.save(if_unchanged=True)
    assert raw.get(acct.resource_uri).json()["localpart"] == acct.localpart
    dom = tastypie_client.domain.create(
        name=f"e-{uuid.uuid4().hex[:6]}.test", customer="/api/v1/customer/1/"
    )
    dom.hold_email = True
    dom.save(if_unchanged=True)
    assert dom.updated_at is not None and dom.hold_email is True
    dom.delete()
    acct.delete()


def test_async_create_reads_the_object_back_too(tastypie_app, raw):

    async def main() -> None:
        async with site_client(
            httpx.ASGITransport(app=_asgi(tastypie_app)), HOST, AsyncClient
        ) as client:
            EA = await client.resource("email_account")
            acct = await EA.create(
                localpart=f" a-{uuid.uuid4().hex[:6]} ", domain="/api/v1/domain/1/"
            )
            assert acct.created_at is not None and acct.priority == 7
            assert acct.localpart == acct.localpart.strip()
            await acct.delete()

    asyncio.run(main())


def _asgi(wsgi_app: Any) -> Any:
    from asgiref.wsgi import WsgiToAsgi

    return WsgiToAsgi(wsgi_app)


def test_a_failed_read_back_never_fails_the_write_and_is_retried_on_access(client, api):
    api.override("POST", f"{BASE}/api/v1/reseller/").mock(
        return_value=httpx.Response(201, headers={"Location": "/api/v1/reseller/1/"})
    )
    detail = api.override("GET", f"{BASE}/api/v1/reseller/1/")
    detail.side_effect = [
        httpx.Response(503),
        httpx.Response(
            200,
            json={
                "id": 1,
                "name": "Stored",
                "resource_uri": "/api/v1/reseller/1/",
                "allow_branding": False,
                "allow_customer_branding": False,
                "created_at": "Thu, 07 Jun 2012 15:24:27 -0700",
                "updated_at": "Thu, 07 Jun 2012 15:24:27 -0700",
                "branding_info": None,
            },
        ),
    ]
    r = client.reseller.create(name=" Stored ")  # created: the failed read is no error
    assert r.resource_uri == "/api/v1/reseller/1/"
    assert r.name == "Stored" and r.created_at is not None
    assert detail.call_count == 2


def test_async_access_to_an_unread_object_names_refresh():
    import re

    from mailroute_dyn.testing import FakeMailRoute
    from tests.conftest import FIXTURES

    async def main() -> None:
        fake = FakeMailRoute(FIXTURES, login="demo", api_key="demo-key-not-secret")
        async with AsyncClient(
            "https://fake.mailroute.test",
            "demo",
            "demo-key-not-secret",
            transport=fake,
            cache_dir=None,
            retries=0,
        ) as client:
            EA = await client.resource("email_account")
            fake.fail_next(
                "503", methods=["GET"], paths=[re.compile(r"^/api/v1/email_account/\d+/$")]
            )
            acct = await EA.create(
                localpart=f"u-{uuid.uuid4().hex[:6]}", domain="/api/v1/domain/1/"
            )
            assert acct.resource_uri  # created, although the read failed
            with pytest.raises(MailRouteError, match=r"await obj\.refresh\(\)"):
                acct.created_at
            await acct.refresh()
            assert acct.created_at is not None and acct.priority == 7

    asyncio.run(main())


# ---------------------------------------------------------------- item 16


def test_get_of_the_schema_key_is_no_object(tastypie_client):
    with pytest.raises(DoesNotExist, match="schema"):
        tastypie_client.domain.get("schema")


def test_a_uri_with_dot_segments_is_refused_not_built_as_another_resource(tastypie_client):
    with pytest.raises(GuardError, match=r"\.\."):
        tastypie_client.get("/api/v1/domain/../email_account/1/")
    with pytest.raises(GuardError):
        tastypie_client.get("/api/v1/domain/%2e%2e/email_account/1/")


def test_an_object_answered_for_another_resource_is_not_built_as_this_one(client, api):
    api.override("GET", f"{BASE}/api/v1/domain/5/").mock(
        return_value=httpx.Response(
            200, json={"id": 1, "resource_uri": "/api/v1/email_account/1/", "localpart": "x"}
        )
    )
    with pytest.raises(MailRouteError, match="email_account"):
        client.domain.get(5)
    # by URI, the object is built as what it says it is
    client.email_account
    obj = client.get("/api/v1/domain/5/")
    assert type(obj).resource_name == "email_account" and obj.localpart == "x"


def test_a_field_named_extra_is_a_field_on_create(client, api):
    with_extra = schema("reseller")
    with_extra["fields"]["extra"] = dict(with_extra["fields"]["name"], unique=False)
    api.override("GET", f"{BASE}/api/v1/reseller/schema/").mock(
        return_value=httpx.Response(200, json=with_extra)
    )
    post = api.override("POST", f"{BASE}/api/v1/reseller/").mock(
        return_value=httpx.Response(
            201, json={"id": 9, "name": "N", "extra": "e", "resource_uri": "/api/v1/reseller/9/"}
        )
    )
    r = client.reseller.create(name="N", extra="e")
    assert json.loads(post.calls[-1].request.content) == {"name": "N", "extra": "e"}
    assert r.extra == "e"


def test_a_location_with_dot_segments_never_becomes_the_objects_uri(client, api):
    api.override("POST", f"{BASE}/api/v1/reseller/").mock(
        return_value=httpx.Response(201, headers={"Location": "/api/v1/reseller/../domain/912345/"})
    )
    r = client.reseller.create(name="Dotted")
    assert r.resource_uri is None and r.id is None

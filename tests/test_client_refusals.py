"""A refusal the client makes without a server answer keeps its class, so `except
NotFound` and `except Conflict` still catch it, but carries `status_code=None`: no error
quotes a status no server sent. Where a server did answer, its status is kept."""

from __future__ import annotations

import httpx
import pytest

from mailroute_dyn import Conflict, DoesNotExist, NotFound
from tests.conftest import BASE, list_body, objects

ACCOUNT = f"{BASE}/api/v1/email_account/1/"


def _refused_by_client(exc: NotFound | Conflict) -> None:
    assert exc.status_code is None
    assert exc.body is None
    assert "-> " not in str(exc)  # no status quoted in the text either


def test_a_lookup_that_matches_nothing_is_a_not_found_without_a_status(client, api):
    api.override("GET", url__startswith=f"{BASE}/api/v1/domain/?").mock(
        return_value=httpx.Response(200, json=list_body([]))
    )
    with pytest.raises(NotFound) as info:
        client.domain.get(name="nothing-here.example")
    assert isinstance(info.value, DoesNotExist)
    _refused_by_client(info.value)


def test_the_schema_key_is_refused_without_a_request(client, api):
    domain = client.domain  # its schema is read when the class is built
    sent = len(api.router.calls)
    with pytest.raises(NotFound) as info:
        domain.get("schema")
    assert isinstance(info.value, DoesNotExist) and len(api.router.calls) == sent
    _refused_by_client(info.value)


def test_an_if_unchanged_conflict_is_a_conflict_without_a_status(client, api):
    acct = client.email_account.get(1)
    changed = dict(objects("email_account")[0], priority=1)
    api.override("GET", ACCOUNT).mock(return_value=httpx.Response(200, json=changed))
    put = api.override("PUT", ACCOUNT).mock(return_value=httpx.Response(204))
    acct.localpart = "mine"
    with pytest.raises(Conflict) as info:
        acct.save(if_unchanged=True)
    assert not put.called
    _refused_by_client(info.value)
    assert info.value.method == "PUT"  # the write that was not sent


def test_a_servers_409_keeps_its_status(client, api):
    acct = client.email_account.get(1)
    api.override("PUT", ACCOUNT).mock(return_value=httpx.Response(409, text="busy"))
    acct.localpart = "mine"
    with pytest.raises(Conflict) as info:
        acct.save()
    assert info.value.status_code == 409 and "-> 409" in str(info.value)


def test_a_save_after_this_client_deleted_the_object_has_no_status(client, api):
    acct = client.email_account.get(1)
    api.override("DELETE", ACCOUNT).mock(return_value=httpx.Response(204))
    put = api.override("PUT", ACCOUNT).mock(return_value=httpx.Response(204))
    acct.delete()
    acct.priority = 5
    with pytest.raises(DoesNotExist) as info:
        acct.save()
    assert not put.called
    _refused_by_client(info.value)


def test_a_put_that_recreated_a_deleted_object_has_no_status(client, api):
    """Tastypie answers 201 to a PUT of a missing id (it creates the row): the client
    deletes that copy and raises DoesNotExist, though no server said 404."""
    acct = client.email_account.get(1)
    put = api.override("PUT", ACCOUNT).mock(return_value=httpx.Response(201))
    delete = api.override("DELETE", ACCOUNT).mock(return_value=httpx.Response(204))
    acct.priority = 6
    with pytest.raises(DoesNotExist) as info:
        acct.save()  # email_account has no PATCH: a PUT
    assert put.called and delete.called
    _refused_by_client(info.value)


def test_a_servers_404_on_a_save_or_a_read_keeps_its_status(client, api):
    with pytest.raises(DoesNotExist) as missing:
        client.email_account.get(99999)
    assert missing.value.status_code == 404
    acct = client.email_account.get(1)
    api.override("GET", ACCOUNT).mock(return_value=httpx.Response(404))  # gone: the
    acct.priority = 4  # save's read of the current object says so
    with pytest.raises(DoesNotExist) as gone:
        acct.save()
    assert gone.value.status_code == 404 and "-> 404" in str(gone.value)


def test_a_schema_asked_of_the_listing_only_is_refused_without_a_status(client):
    """The listing (a 200) does not name the resource: no server answered 404."""
    discovery = client._discovery
    with pytest.raises(NotFound) as info:
        client._session.run(discovery.schema("not_listed_anywhere", listed_only=True))
    _refused_by_client(info.value)

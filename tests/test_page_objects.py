"""Objects read from a list page are built with page-level checks and get their per-object
state on first use; they must behave exactly like objects built one by one."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailroute_dyn import Conflict
from tests.conftest import BASE, list_body, objects

DOMAINS = objects("domain")


def _serve(api, page: list[dict]) -> None:
    api.override("GET", url__regex=rf"^{BASE}/api/v1/domain/(\?.*)?$").mock(
        return_value=httpx.Response(200, json=list_body(page, limit=len(page) or 1))
    )


def test_an_object_from_a_page_is_changed_saved_and_deleted_like_any(client, api):
    page = [dict(d) for d in DOMAINS[:3]]
    _serve(api, page)
    first, second, _ = list(client.domain.all())
    assert first.to_dict() == page[0] and first["name"] == page[0]["name"]
    first.hold_email = not page[0]["hold_email"]
    assert first.to_dict()["hold_email"] is (not page[0]["hold_email"])
    assert page[0]["hold_email"] == DOMAINS[0]["hold_email"]  # the page's data untouched
    assert second.to_dict() == page[1]  # its neighbour unchanged
    put = api.override("PUT", f"{BASE}{first.resource_uri}").mock(return_value=httpx.Response(204))
    api.override("GET", f"{BASE}{first.resource_uri}").mock(
        return_value=httpx.Response(200, json={**page[0], "hold_email": not page[0]["hold_email"]})
    )
    first.save()
    assert json.loads(put.calls[0].request.content)["hold_email"] is (not page[0]["hold_email"])


def test_a_page_with_a_secret_looking_extra_keeps_it_out_of_every_object(client, api):
    page = [{**d, "api_key": "fake-not-a-real-key", "absolute_url": "/x/"} for d in DOMAINS[:2]]
    _serve(api, page)
    got = list(client.domain.all())
    assert all("api_key" not in o.to_dict() and o["absolute_url"] == "/x/" for o in got)


def test_a_page_with_an_object_of_another_resource_builds_it_as_that_resource(client, api):
    account = dict(objects("email_account")[0])
    page = [dict(DOMAINS[0]), account]
    _serve(api, page)
    got = list(client.domain.all())
    assert [type(o).resource_name for o in got] == ["domain", "email_account"]


EXTRA_KEYS = st.sampled_from(["absolute_url", "domain_name", "password", "secret_token", "note"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(DOMAINS) - 1),
            st.dictionaries(EXTRA_KEYS, st.none() | st.booleans() | st.text(), max_size=2),
            st.booleans(),
        ),
        max_size=8,
    )
)
def test_page_objects_equal_objects_read_one_by_one(client, api, rows):
    """Whatever mix of extras, missing fields and secrets a page holds, each object keeps
    what it would keep if read alone, and iteration yields each object once."""
    page, seen = [], set()
    for index, extra, drop_a_field in rows:
        if index in seen:
            continue
        seen.add(index)
        data = {**DOMAINS[index], **extra}
        if drop_a_field:
            data.pop("hold_email", None)
        page.append(data)
    _serve(api, page)
    got = list(client.domain.all())
    assert len(got) == len(page)
    for obj, data in zip(got, page, strict=True):
        kept = {
            k: v
            for k, v in data.items()
            if k in client.domain.fields
            or k not in ("password", "secret_token")
            or v is None
            or isinstance(v, bool)
        }
        assert obj.to_dict() == kept


def test_if_unchanged_on_an_object_from_a_page_compares_with_what_the_page_said(client, api):
    page = [dict(d) for d in DOMAINS[:2]]
    _serve(api, page)
    first, second = list(client.domain.all())
    uri = f"{BASE}{first.resource_uri}"
    api.override("GET", uri).mock(return_value=httpx.Response(200, json=page[0]))
    api.override("PUT", uri).mock(return_value=httpx.Response(200, json=page[0]))
    first.hold_email = page[0]["hold_email"]
    first.save(if_unchanged=True)  # nothing changed on the server: saved
    api.override("GET", f"{BASE}{second.resource_uri}").mock(
        return_value=httpx.Response(200, json={**page[1], "deliveryport": 2626})
    )
    second.hold_email = not page[1]["hold_email"]
    with pytest.raises(Conflict):  # another client changed it meanwhile
        second.save(if_unchanged=True)

"""Sync and async as siblings of one base (issue 19): the async values rows, and the one
table of verbs (mailroute_dyn/verbs.py) that both siblings of each surface hold."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterable

import pytest

from mailroute_dyn import AsyncClient, Client
from mailroute_dyn.model.metaclass import BaseResourceMeta
from mailroute_dyn.model.querysets import (
    AsyncQuerySet,
    AsyncValuesQuerySet,
    QuerySet,
    ValuesQuerySet,
)
from mailroute_dyn.model.resources import INSTANCE_NAMES, AsyncResource, BaseResource, Resource
from mailroute_dyn.model.shortcuts import AsyncResourceMeta, ResourceMeta
from mailroute_dyn.query.queryset import BaseQuerySet
from mailroute_dyn.testing import FakeMailRoute, write_fixture
from mailroute_dyn.verbs import CLASS, INSTANCE, QUERYSET, SURFACES, VERBS, verbs_on
from tests.conftest import FIXTURES
from tests.helpers import run_mypy

KEY = "demo-key-not-secret"


def _fake() -> FakeMailRoute:
    return FakeMailRoute(FIXTURES, login="demo", api_key=KEY)


def _sync_client() -> Client:
    return Client(
        "https://fake.mailroute.test",
        "demo",
        KEY,
        transport=_fake(),
        cache_dir=None,
        retries=0,
        page_size=3,
    )


def _async_client() -> AsyncClient:
    return AsyncClient(
        "https://fake.mailroute.test",
        "demo",
        KEY,
        transport=_fake(),
        cache_dir=None,
        retries=0,
        page_size=3,
    )


def _sync_answers() -> dict[str, object]:
    with _sync_client() as client:
        qs = client.resource("domain").all().order_by("name")
        ids = qs.values("id", "name")
        return {
            "count": ids.count(),
            "rows": list(ids),
            "flat": list(qs.values_list("name", flat=True)),
            "tuples": list(qs.values_list("id", "name")[:2]),
            "first": ids.first(),
            "last": ids.last(),
            "at_1": ids[1],
            "exists": ids.exists(),
            "get": qs.values("name").get(name=ids.first()["name"]),
            "in_bulk": qs.values("name").in_bulk([ids[0]["id"]]),
        }


async def _async_answers() -> dict[str, object]:
    async with _async_client() as client:
        qs = (await client.resource("domain")).all().order_by("name")
        ids = qs.values("id", "name")
        first = await ids.first()
        return {
            "count": await ids.count(),
            "rows": [row async for row in ids],
            "flat": [name async for name in qs.values_list("name", flat=True)],
            "tuples": [row async for row in qs.values_list("id", "name")[:2]],
            "first": first,
            "last": await ids.last(),
            "at_1": await ids[1],
            "exists": await ids.exists(),
            "get": await qs.values("name").get(name=first["name"]),
            "in_bulk": await qs.values("name").in_bulk([(await ids[0])["id"]]),
        }


def test_an_async_clients_values_rows_are_awaited_and_match_the_sync_ones():
    sync = _sync_answers()
    answers = asyncio.run(_async_answers())
    assert type(answers["count"]) is int and answers["count"] == len(answers["rows"]) > 3
    assert answers == sync  # same rows, same shapes, page after page
    assert all(set(row) == {"id", "name"} for row in answers["rows"])
    assert all(isinstance(name, str) for name in answers["flat"])
    assert all(type(row) is tuple and len(row) == 2 for row in answers["tuples"])


def test_values_querysets_are_the_siblings_own_kind():
    async def kinds() -> tuple[type, type]:
        async with _async_client() as client:
            Domain = await client.resource("domain")
            return type(Domain.values("id")), type(Domain.all().values_list("id"))

    assert asyncio.run(kinds()) == (AsyncValuesQuerySet, AsyncValuesQuerySet)
    with _sync_client() as client:
        Domain = client.resource("domain")
        assert type(Domain.values("id")) is ValuesQuerySet
        assert type(Domain.all().values_list("id")) is ValuesQuerySet
    assert not issubclass(AsyncQuerySet, QuerySet) and not issubclass(QuerySet, AsyncQuerySet)


def test_an_async_values_queryset_refuses_a_plain_for_and_len():
    async def main() -> None:
        async with _async_client() as client:
            rows = (await client.resource("domain")).values("id")
            with pytest.raises(TypeError, match="async for"):
                list(rows)
            with pytest.raises(TypeError, match="await qs.count"):
                len(rows)

    asyncio.run(main())


def test_an_update_through_values_rows_saves_instances():
    async def main() -> None:
        async with _async_client() as client:
            Domain = await client.resource("domain")
            one = await Domain.first()
            matches = Domain.filter(name=one.name)
            result = await matches.values("id").update(active=not one.active)
            assert [obj.id for obj in result.succeeded] == [one.id]
            assert (await matches.values_list("active", flat=True)[0]) is (not one.active)

    asyncio.run(main())


def test_a_values_queryset_made_without_a_shape_gives_dicts_of_every_field():
    async def first_async() -> object:
        async with _async_client() as client:
            return await AsyncValuesQuerySet(await client.resource("domain")).first()

    with _sync_client() as client:
        Domain = client.resource("domain")
        row = ValuesQuerySet(Domain).first()
        assert isinstance(row, dict) and set(row) <= set(Domain.fields) and "name" in row
    assert asyncio.run(first_async()) == row


def test_the_values_row_strategy_keeps_the_signatures_of_both_siblings():
    for name in ("values", "values_list"):
        assert (
            inspect.signature(getattr(QuerySet, name)).parameters
            == inspect.signature(getattr(AsyncQuerySet, name)).parameters
        )


# ---------------------------------------------------------------- the table of verbs

SIBLINGS = {  # surface: (base, sync sibling, async sibling)
    QUERYSET: (BaseQuerySet, QuerySet, AsyncQuerySet),
    CLASS: (BaseResourceMeta, ResourceMeta, AsyncResourceMeta),
    INSTANCE: (BaseResource, Resource, AsyncResource),
}


def _public(names: Iterable[str]) -> set[str]:
    return {name for name in names if not name.startswith("_")}


def _members(cls: type) -> set[str]:
    """The public names `cls` and its bases define (what its objects answer to)."""
    return _public(name for k in cls.__mro__ if k not in (type, object) for name in vars(k))


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


@pytest.mark.parametrize("surface", SURFACES)
def test_every_verb_of_the_table_is_on_both_siblings_with_its_kind(surface):
    base, sync, async_ = SIBLINGS[surface]
    for verb in verbs_on(surface).values():
        on_sync, on_async = getattr(sync, verb.name), getattr(async_, verb.name)
        assert not inspect.iscoroutinefunction(on_sync), verb
        assert inspect.iscoroutinefunction(on_async) is verb.sends, verb
        if verb.sends:  # sent: each sibling drives it its own way
            assert verb.name in vars(sync) and verb.name in vars(async_), verb
            assert not hasattr(base, verb.name), verb
        assert inspect.signature(on_sync).parameters == inspect.signature(on_async).parameters, verb
        assert on_sync.__doc__ and on_async.__doc__, verb


@pytest.mark.parametrize("surface", SURFACES)
def test_nothing_public_on_a_sibling_is_missing_from_the_table_or_the_base(surface):
    base, sync, async_ = SIBLINGS[surface]
    table = set(verbs_on(surface))
    for sibling in (sync, async_):
        assert _public(vars(sibling)) <= table, sibling
        assert _members(sibling) == _members(base) | table, sibling
    # the base sends nothing: no verb of the table that sends lives there
    sending = {verb.name for verb in verbs_on(surface).values() if verb.sends}
    assert not sending & _members(base)


def test_the_instance_names_are_the_tables_and_the_bases():
    assert set(INSTANCE_NAMES) == _members(BaseResource) | set(verbs_on(INSTANCE))


def test_a_schema_field_named_like_a_verb_stays_the_users_on_an_async_client(tmp_path):
    every_verb = sorted({verb.name for verb in VERBS})
    fields = {
        "id": _spec("integer", unique=True, readonly=True, primary_key=True),
        "resource_uri": _spec("string", readonly=True),
    }
    fields |= {name: _spec("string", blank=True, default="") for name in every_verb}
    schema = {
        "fields": fields,
        "filtering": {"id": 1},
        "ordering": ["id"],
        "default_limit": 20,
        "allowed_list_http_methods": ["get", "post"],
        "allowed_detail_http_methods": ["get", "patch", "put", "delete"],
    }
    write_fixture(tmp_path, {"gadget": schema}, {"gadget": []})

    async def main() -> None:
        fake = FakeMailRoute(tmp_path, login="a", api_key="fake-key")
        async with AsyncClient(
            "https://fake.test", "a", "fake-key", transport=fake, cache_dir=None, retries=0
        ) as client:
            Gadget = await client.resource("gadget")
            values = {name: f"{name}!" for name in every_verb}
            await Gadget.create(**values)
            obj = await Gadget.first()
            for name in every_verb:  # each one the field's, read by item at least
                assert obj[name] == f"{name}!"
                own = name in verbs_on(INSTANCE) or name in _members(BaseResource)
                assert callable(getattr(obj, name)) if own else getattr(obj, name) == obj[name]
            assert await Gadget.count() == 1 and await Gadget.all().count() == 1
            assert [row async for row in Gadget.values("count")] == [{"count": "count!"}]

    asyncio.run(main())


# ---------------------------------------------------------------- the stubs, from the table


@pytest.fixture(scope="module")
def demo_stub() -> str:
    from mailroute_dyn.tools.stubs import generate_stub

    with Client.demo() as client:
        return generate_stub(client)


def _class_body(stub: str, name: str) -> str:
    start = stub.index(f"\nclass {name}(")
    return stub[start : stub.index("\nclass ", start + 1)]


def test_a_stub_overrides_nothing_and_holds_every_verb_of_both_clients(demo_stub):
    assert "ignore[override" not in demo_stub
    sides = {"": "def", "Async": "async def"}
    for prefix, sends in sides.items():
        generic = {
            QUERYSET: _class_body(demo_stub, f"{prefix}TypedQuerySet"),
            CLASS: _class_body(demo_stub, f"_{prefix}TypedMeta")
            + _class_body(demo_stub, f"_{prefix}DomainMeta"),
            INSTANCE: _class_body(demo_stub, f"{prefix}TypedResource"),
        }
        generic[QUERYSET] += _class_body(demo_stub, f"{prefix}DomainQuerySet")
        for surface, body in generic.items():
            for verb in verbs_on(surface).values():
                keyword = sends if verb.sends else "def"
                assert f"    {keyword} {verb.name}(" in body, (prefix, surface, verb)
                if verb.sends and prefix == "":
                    assert f"async def {verb.name}(" not in body, (surface, verb)


VALUES_SCRIPT = """\
from __future__ import annotations

from typing import Any, assert_type

from mailroute_dyn import AsyncClient, AsyncValuesQuerySet, Client, ValuesQuerySet


def sync_use(client: Client) -> None:
    rows = client.resource("domain").all().values("id")
    assert_type(rows, ValuesQuerySet)
    assert_type(rows.count(), int)
    for row in rows:
        assert_type(row, Any)


async def async_use(client: AsyncClient) -> None:
    rows = (await client.resource("domain")).all().values("id")
    assert_type(rows, AsyncValuesQuerySet)
    assert_type(await rows.count(), int)
    assert_type(await (await client.resource("domain")).all().values("id").count(), int)
    async for row in rows:
        assert_type(row, Any)
    total: int = rows.count()
"""

STUB_SCRIPT = """\
from __future__ import annotations

from typing import TYPE_CHECKING, Any, assert_type, cast

from mailroute_dyn import AsyncClient

if TYPE_CHECKING:
    from mailroute_api import AsyncDomain, AsyncEmailAccount, AsyncMailRouteClient


async def main() -> None:
    async with cast("AsyncMailRouteClient", AsyncClient("https://x.test", "a", "b")) as client:
        Domain = await client.resource("domain")
        assert_type(Domain, type[AsyncDomain])
        assert_type(await Domain.count(), int)
        qs = Domain.filter(name__startswith="acme").order_by("-name")
        assert_type(await qs.values("id").count(), int)
        async for row in qs.values("id"):
            assert_type(row, Any)
        async for dom in qs:
            assert_type(await dom.save(), AsyncDomain)
        assert_type(await qs[0], AsyncDomain)
        account = await client.email_account.create(localpart="x", domain=await qs[0])
        assert_type(account, AsyncEmailAccount)
        assert_type(await Domain.first(), AsyncDomain | None)
        Domain.filter(nmae="x")
        total: int = Domain.count()
"""


@pytest.mark.slow
def test_mypy_types_values_rows_and_a_generated_stub_for_both_clients(tmp_path, demo_stub):
    import textwrap
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    (tmp_path / "typings").mkdir()
    (tmp_path / "typings" / "mailroute_api.pyi").write_text(demo_stub)
    (tmp_path / "values.py").write_text(VALUES_SCRIPT)
    (tmp_path / "stubbed.py").write_text(STUB_SCRIPT)
    config = textwrap.dedent(f"""\
    [mypy]
    mypy_path = {tmp_path / "typings"}:{root}
    [mypy-mailroute_dyn.*]
    follow_imports = silent
    [mypy-jsonschema.*]
    ignore_missing_imports = True
    """)
    done = run_mypy(tmp_path, config, "values.py", "stubbed.py")
    errors = [line.split(": error:")[0] for line in done.stdout.splitlines() if ": error:" in line]
    # only the three mistakes: an async count() not awaited (twice), a misspelt lookup;
    # nothing in the stub itself
    assert errors == ["values.py:23", "stubbed.py:26", "stubbed.py:27"], done.stdout

"""`to_pandas()` / `to_arrow()` and `values()` across a relation (issue 22 item 2): columns
typed from the schema, relations as keys, related fields read in bulk page by page."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mailroute_dyn import AsyncClient, Client, ConfigurationError, FilterError
from mailroute_dyn.fake import DEMO_KEY, DEMO_LOGIN, DEMO_URL, FakeMailRoute
from mailroute_dyn.testing import write_fixture

pd = pytest.importorskip("pandas")


def _spec(kind: str, **flags: object) -> dict[str, object]:
    return {
        "type": kind,
        "nullable": True,
        "blank": False,
        "readonly": False,
        "unique": False,
        "help_text": "",
        "default": "No default provided.",
        **flags,
    }


def _schema(fields: dict[str, Any], filtering: dict[str, Any]) -> dict[str, Any]:
    return {
        "fields": {
            "id": _spec("integer", unique=True, primary_key=True),
            "resource_uri": _spec("string", readonly=True),
            **fields,
        },
        "filtering": filtering,
        "ordering": ["id"],
        "default_limit": 20,
        "allowed_list_http_methods": ["get"],
        "allowed_detail_http_methods": ["get"],
    }


@pytest.fixture()
def shop(tmp_path: Path) -> tuple[Client, FakeMailRoute]:
    """Items of every field type, each pointing at an owner (whose `id` takes `in`)."""
    items = _schema(
        {
            "count": _spec("integer"),
            "ratio": _spec("float"),
            "price": _spec("decimal"),
            "active": _spec("boolean"),
            "label": _spec("string"),
            "seen": _spec("datetime"),
            "day": _spec("date"),
            "at": _spec("time"),
            "extra": _spec("dict"),
            "owner": _spec(
                "related", related_type="to_one", related_schema="/api/v1/owner/schema/"
            ),
            "tags": _spec(
                "related", related_type="to_many", related_schema="/api/v1/owner/schema/"
            ),
        },
        {"id": 1},
    )
    owners = _schema(
        {"name": _spec("string", unique=True), "joined": _spec("datetime")},
        {"id": ["exact", "in"], "name": 1},
    )
    rows = [
        {
            "id": i,
            "resource_uri": f"/api/v1/item/{i}/",
            "count": None if i == 2 else i,
            "ratio": 0.5 * i,
            "price": f"{i}.10",
            "active": None if i == 3 else i % 2 == 0,
            "label": f"<b>{i}</b>",
            "seen": f"Thu, 7 Jun 2012 15:2{i}:27 -0700",
            "day": "2012-06-07",
            "at": "03:07:43",
            "extra": {"k": i},
            "owner": f"/api/v1/owner/{i % 3 + 1}/",
            "tags": ["/api/v1/owner/1/"],
        }
        for i in range(1, 8)
    ]
    people = [
        {
            "id": i,
            "resource_uri": f"/api/v1/owner/{i}/",
            "name": f"owner-{i}",
            "joined": f"2012-06-0{i}T10:00:00+02:00",
        }
        for i in range(1, 4)
    ]
    write_fixture(tmp_path, {"item": items, "owner": owners}, {"item": rows, "owner": people})
    fake = FakeMailRoute(tmp_path, login="a", api_key="fake-key")
    client = Client(
        "https://fake.test", "a", "fake-key", transport=fake, cache_dir=None, retries=0, page_size=3
    )
    client.preload()
    fake.requests.clear()
    return client, fake


def test_columns_are_typed_from_the_schema(shop):
    client, _ = shop
    df = client.item.to_pandas()
    types = {name: str(kind) for name, kind in df.dtypes.items()}
    assert types["count"] == "Int64" and pd.isna(df["count"][1])
    assert types["ratio"] == "Float64" and types["active"] == "boolean"
    assert pd.isna(df["active"][2]) and types["label"] in ("string", "str")
    assert df["price"][0] == Decimal("1.10") and isinstance(df["price"][0], Decimal)
    assert str(df["seen"].dt.tz) == "UTC-07:00"
    assert df["seen"][0] == pd.Timestamp("2012-06-07 15:21:27-07:00")
    first = client.item.first()
    assert types["day"].startswith("datetime64") and df["day"][0] == pd.Timestamp("2012-06-07")
    assert df["at"][0] == first.at and df["at"][0].replace(tzinfo=None) == dt.time(3, 7, 43)
    assert types["owner"] == "Int64" and list(df["owner"]) == [i % 3 + 1 for i in range(1, 8)]
    assert df["tags"][0] == [1] and df["extra"][0] == {"k": 1}
    assert list(df.columns) == list(client.item.fields)


def test_a_followed_relation_is_read_in_bulk_one_request_per_page(shop):
    client, fake = shop
    df = client.item.to_pandas("id", "owner", "owner__name", "owner__joined")
    assert list(df["owner__name"]) == [f"owner-{i % 3 + 1}" for i in range(1, 8)]
    lists = [r for r in fake.requests if r.path == "/api/v1/item/"]
    bulk = [r for r in fake.requests if r.path == "/api/v1/owner/"]
    assert len(lists) == 3 and len(bulk) == 3  # 7 rows, pages of 3
    assert all(len(r.params["id__in"].split(",")) <= 3 for r in bulk)  # one page's keys
    assert len(fake.requests) == 6
    joined = client.owner.get(1).joined  # the server's zone
    assert str(df["owner__joined"].dt.tz) == f"UTC{joined.strftime('%z')[:3]}:00"
    assert df["owner__joined"][2] == pd.Timestamp(joined)  # item 3: owner 1


def test_values_follow_a_relation_page_by_page(shop):
    client, fake = shop
    rows = list(client.item.values("id", "owner__name"))
    assert rows[0] == {"id": 1, "owner__name": "owner-2"}
    assert len(fake.requests) == 6
    assert client.item.values_list("owner__name", flat=True).first() == "owner-2"


def test_a_relation_without_an_in_filter_costs_a_request_per_key_never_per_row():
    fake = FakeMailRoute(login=DEMO_LOGIN, api_key=DEMO_KEY)
    client = Client.demo(transport=fake)
    client.preload()
    fake.requests.clear()
    df = client.email_account.to_pandas("localpart", "domain__name")
    assert len(df) == 30 and df["domain__name"][0] == "acme-001.com"
    assert len(fake.requests) == 1 + df["domain__name"].nunique() < len(df)


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("label__x", "not a to-one relation"),
        ("tags__name", "not a to-one relation"),
        ("owner__joined__year", "one relation deep only"),
    ],
)
def test_what_cannot_be_followed_is_refused_before_any_request(shop, name, said):
    client, fake = shop
    with pytest.raises(FilterError, match=said):
        client.item.values(name)
    assert fake.requests == []


def test_a_field_the_target_lacks_is_refused_naming_it(shop):
    client, _ = shop
    with pytest.raises(FilterError, match="owner has no field 'nmae'"):
        client.item.to_pandas("owner__nmae")


def test_without_pandas_the_error_names_the_extra_and_nothing_is_sent(shop, monkeypatch):
    client, fake = shop
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'mailroute_dyn\[pandas\]'"):
        client.item.to_pandas()
    assert fake.requests == []


def test_to_arrow_keeps_the_types(shop):
    pa = pytest.importorskip("pyarrow")
    client, _ = shop
    table = client.item.to_arrow("id", "price", "seen", "owner__name")
    assert table.schema.field("price").type == pa.decimal128(3, 2)
    assert str(table.schema.field("seen").type) == "timestamp[us, tz=-07:00]"
    assert table.column("owner__name").to_pylist()[0] == "owner-2"


def test_an_async_client_awaits_to_pandas():
    async def run() -> Any:
        fake = FakeMailRoute(login=DEMO_LOGIN, api_key=DEMO_KEY)
        async with AsyncClient(
            DEMO_URL, DEMO_LOGIN, DEMO_KEY, transport=fake, cache_dir=None
        ) as client:
            await client.preload()
            return await client.notification_account_task.all().to_pandas(
                "id", "email_account__localpart"
            )

    df = asyncio.run(run())
    assert len(df) == 10 and df["email_account__localpart"][0] == "info"

"""Notebook and rich displays (issue 22 item 1): QuerySets, objects and classes show as
escaped HTML tables, found the way IPython finds them; plain reprs stay short and safe."""

from __future__ import annotations

import asyncio
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from mailroute_dyn import AsyncClient, Client
from mailroute_dyn.fake import DEMO_KEY, DEMO_LOGIN, DEMO_URL, FakeMailRoute
from mailroute_dyn.schema.display import PREVIEW_ROWS
from mailroute_dyn.testing import write_fixture

HOSTILE = '<img src=x onerror="alert(1)">'
SAFE_TAGS = {"div", "p", "b", "small", "table", "thead", "tbody", "tr", "th", "td"}


class _Markup(HTMLParser):
    """Every tag and attribute an HTML fragment really holds."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[Any] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[Any]) -> None:
        self.tags.add(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def markup(fragment: str) -> _Markup:
    parser = _Markup()
    parser.feed(fragment)
    parser.close()
    return parser


def assert_only_our_markup(fragment: str) -> str:
    """The fragment holds only the tags the display writes, with no attribute at all:
    whatever the server sent is text. Returns the text, unescaped."""
    seen = markup(fragment)
    assert seen.tags <= SAFE_TAGS, seen.tags - SAFE_TAGS
    assert seen.attrs == []
    return "".join(seen.text)


# ---------------------------------------------------------------- what each shows


def test_a_queryset_shows_its_first_rows_and_the_total_with_one_request(demo_client, demo_fake):
    qs = demo_client.email_account.filter(domain__name="acme-001.com")
    total = qs.count()
    demo_fake.requests.clear()
    shown = qs._repr_html_()
    assert len(demo_fake.requests) == 1
    assert demo_fake.requests[0].params["limit"] == str(PREVIEW_ROWS)
    text = assert_only_our_markup(shown)
    assert f"shown of {total} matching" in text and "one request" in text
    assert all(a.localpart in text for a in qs[:PREVIEW_ROWS])
    assert "<th>localpart</th>" in shown


def test_a_long_listing_shows_only_the_preview_rows(demo_client):
    total = demo_client.email_account.count()
    assert total > PREVIEW_ROWS
    shown = demo_client.email_account.all()._repr_html_()
    assert shown.count("<tr>") - 1 == PREVIEW_ROWS
    assert f"{PREVIEW_ROWS} shown of {total} matching" in shown


def test_a_slice_shows_the_rows_of_the_slice(demo_client, demo_fake):
    names = [d.name for d in demo_client.domain.order_by("name")[2:4]]
    demo_fake.requests.clear()
    shown = demo_client.domain.order_by("name")[2:4]._repr_html_()
    assert demo_fake.requests[0].params["limit"] == "2"
    assert all(name in shown for name in names) and shown.count("<tr>") - 1 == 2


def test_values_show_the_columns_asked_for(demo_client):
    shown = demo_client.domain.values("name", "active")._repr_html_()
    assert "<th>name</th><th>active</th></tr>" in shown and "<th>id</th>" not in shown


def test_an_object_shows_its_fields_with_types_and_raw_values(demo_client):
    dom = demo_client.domain.first()
    shown = dom._repr_html_()
    assert_only_our_markup(shown)
    assert "<td>created_at</td><td>datetime</td>" in shown
    assert f"<td>{dom['created_at']}</td>" in shown
    dom.hold_email = not dom.hold_email
    assert "hold_email (changed)" in dom._repr_html_()


def test_a_class_shows_its_schema(demo_client):
    shown = demo_client.domain._repr_html_()
    text = assert_only_our_markup(shown)
    assert "<td>name</td><td>string</td><td>unique</td>" in shown
    assert "<td>customer</td><td>all terms and relations</td>" in shown
    assert "Ordering: name, created_at" in text and "Methods: list: GET" in text
    assert "filter" in text and "bulk_create" in text and "related" in text


@pytest.mark.slow
def test_ipython_finds_each_display_where_it_looks(demo_client):
    dir2 = pytest.importorskip("IPython.utils.dir2")
    Domain = demo_client.domain
    for thing in (Domain, Domain.first(), Domain.all()):
        method = dir2.get_real_method(thing, "_repr_html_")
        assert method is not None, thing
        assert "<table>" in method()
    assert dir2.get_real_method(Domain, "_repr_html_")() == Domain._repr_html_()
    assert "<th>field</th><th>type</th><th>flags</th>" in Domain._repr_html_()


def test_rich_pretty_prints_objects_and_querysets_from_their_rich_repr(demo_client):
    pretty = pytest.importorskip("rich.pretty")
    dom = demo_client.domain.first()
    assert f"name='{dom.name}'" in pretty.pretty_repr(dom)
    qs = demo_client.domain.filter(name="a.example").unchecked(api_key="fake-secret-1")
    text = pretty.pretty_repr(qs)
    assert "name='a.example'" in text and "fake-secret-1" not in text


def test_an_async_queryset_display_sends_nothing_and_says_how(demo_fake):
    async def run() -> str:
        async with AsyncClient(
            DEMO_URL, DEMO_LOGIN, DEMO_KEY, transport=demo_fake, cache_dir=None
        ) as client:
            Domain = await client.resource("domain")
            demo_fake.requests.clear()
            return Domain.all()._repr_html_()

    shown = asyncio.run(run())
    assert demo_fake.requests == [] and "await qs[:10]" in shown


# ---------------------------------------------------------------- escaped, no secrets


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


@pytest.fixture()
def hostile(tmp_path: Path) -> Any:
    """A server whose names, help texts and values are all markup."""
    fields = {
        "id": _spec("integer", unique=True, readonly=True, primary_key=True),
        "resource_uri": _spec("string", readonly=True),
        HOSTILE: _spec("string", help_text="<script>alert(2)</script>"),
        "note": _spec("string", help_text="</td></tr></table><b onclick=x>"),
        "api_key": _spec("string"),
    }
    schema = {
        "fields": fields,
        "filtering": {"note": ["exact", "<i>x</i>"]},
        "ordering": ["<u>o</u>"],
        "default_limit": 20,
        "allowed_list_http_methods": ["get", "<s>post</s>"],
        "allowed_detail_http_methods": ["get"],
    }
    row = {
        "id": 1,
        "resource_uri": "/api/v1/thing/1/",
        HOSTILE: HOSTILE,
        "note": "</td><script>alert(3)</script>",
        "api_key": "fake-secret-2",
        "<em>extra</em>": "<a href=javascript:x>y</a>",
    }
    write_fixture(tmp_path, {"thing": schema}, {"thing": [row]})
    fake = FakeMailRoute(tmp_path, login="a", api_key="fake-key")
    with Client(
        "https://fake.test", "a", "fake-key", transport=fake, cache_dir=None, retries=0
    ) as client:
        yield client.thing


def test_every_name_and_value_a_server_sends_is_text_never_markup(hostile):
    obj = hostile.first()
    for shown in (
        hostile._repr_html_(),
        hostile.all()._repr_html_(),
        obj._repr_html_(),
        hostile.values()._repr_html_(),
    ):
        assert_only_our_markup(shown)
        assert "<script>" not in shown and HOSTILE not in shown
        assert "fake-secret-2" not in shown
    assert HOSTILE in assert_only_our_markup(obj._repr_html_())  # shown, as text
    assert "***" in obj._repr_html_() and "fake-secret-2" not in repr(obj)


def test_plain_reprs_stay_short_and_send_nothing(demo_client, demo_fake):
    qs = demo_client.email_account.filter(domain__name="acme-001.com").unchecked(token="fake-t")
    demo_fake.requests.clear()
    shown = repr(qs)
    assert demo_fake.requests == [] and "\n" not in shown and len(shown) < 120
    assert "fake-t" not in shown and "token=***" in shown


def test_a_notebook_masks_every_name_capture_would_redact():
    """One rule says which names are secret, for captures, cassettes, journals and
    displays: a notebook shows `dkim_private_key` and `smtp_pass` as `***`."""
    from mailroute_dyn.schema.display import shown_value

    for name in ("dkim_private_key", "smtp_pass", "pwd", "credentials", "session_id"):
        assert shown_value(name, "s3cret-not-real") == "***", name
    assert shown_value("domain_key_id", "k1") == "k1"

"""rules.json: what a server checks or does that its schemas cannot say (unique_together,
value bounds, choices, values the server fills in, custom actions), so the fake refuses what
the real server refuses instead of letting a test pass on data production would reject."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mailroute_dyn.errors import APIError, BadRequest, NotFound, ValidationError
from mailroute_dyn.fake.fixtures import check_rules
from mailroute_dyn.testing import FakeMailRoute, capture, demo_client, load_fixture, write_fixture

DUPLICATE = {
    "email_account": {"__all__": ["Email account with this Domain and Localpart already exists."]}
}


def test_a_duplicate_email_account_is_refused_by_the_demo_as_by_the_real_server(tastypie_client):
    domain = tastypie_client.domain.get(name="acme-001.com")
    first = tastypie_client.email_account.create(localpart="twice", domain=domain)
    try:
        with pytest.raises(BadRequest) as real:
            tastypie_client.email_account.create(localpart="twice", domain=domain)
    finally:
        first.delete()
    with demo_client() as client:
        domain = client.domain.get(name="acme-001.com")
        client.email_account.create(localpart="twice", domain=domain)
        with pytest.raises(BadRequest) as fake:
            client.email_account.create(localpart="twice", domain=domain)
        assert client.email_account.filter(localpart="twice").count() == 1
    assert real.value.errors == fake.value.errors == DUPLICATE


def test_a_change_that_makes_a_duplicate_is_refused_too():
    with demo_client() as client:
        domain = client.domain.get(name="acme-001.com")
        taken, other = client.email_account.filter(domain=domain)[:2]
        other.localpart = taken.localpart
        with pytest.raises(BadRequest) as refused:
            other.save()
        assert refused.value.errors == DUPLICATE


def test_the_demo_refuses_a_delivery_port_mailroute_refuses():
    with demo_client() as client:
        customer = client.customer.get(1)
        with pytest.raises(BadRequest) as refused:
            client.domain.create(name="negative-port.test", customer=customer, deliveryport=-1)
        assert refused.value.errors == {
            "domain": {"deliveryport": ["Ensure this value is greater than or equal to 1."]}
        }
        domain = client.domain.get(1)
        domain.deliveryport = 70000
        with pytest.raises(BadRequest, match="less than or equal to 65535"):
            domain.save()
        assert client.domain.get(1).deliveryport == 25
        assert (
            client.domain.create(
                name="port.test", customer=customer, deliveryport=2525
            ).deliveryport
            == 2525
        )


def test_the_demo_refuses_a_wblist_kind_that_is_neither_black_nor_white():
    with demo_client() as client:
        with pytest.raises(BadRequest) as refused:
            client.wblist.create(email="x@example.com", wb="g", rid="1", domain="/api/v1/domain/1/")
        assert refused.value.errors == {
            "wblist": {"wb": ["Select a valid choice. g is not one of the available choices."]}
        }


def test_the_demo_fills_wblist_rid_as_mailroute_does():
    """The README's `create(..., check_required=False)` for MailRoute's wblist works on
    the demo: the server fills `rid` in."""
    with demo_client() as client:
        entry = client.wblist.create(
            email="spam@example.com", wb="b", domain="/api/v1/domain/1/", check_required=False
        )
        assert client.wblist.get(entry.id).rid == "1110000000"
        with pytest.raises(ValidationError, match="rid"):
            client.wblist.create(email="spam@example.com", wb="b", domain="/api/v1/domain/1/")


def test_the_readme_tour_actions_work_on_the_demo():
    fake = FakeMailRoute()
    with demo_client(transport=fake) as client:
        acct = client.email_account.get(1)
        first = acct.action("regenerate_api_key")
        second = acct.action("regenerate_api_key")
        assert re.fullmatch(r"[0-9a-f]{40}", first["api_key"])
        assert first != second
        assert (
            client.email_account.action(
                "mass_resend_welcome", json={"accounts": [acct.resource_uri]}
            )
            is None
        )
        assert fake.requests[-1].status == 202
        acct.delete()
        with pytest.raises(NotFound):
            acct.action("regenerate_api_key")


def test_an_unknown_action_is_still_not_implemented():
    fake = FakeMailRoute()
    with demo_client(transport=fake) as client:
        with pytest.raises(APIError) as refused:
            client.email_account.get(1).action("no_such_action")
        assert refused.value.status_code == fake.requests[-1].status == 501


def test_a_rules_file_with_a_misspelt_field_is_refused(tmp_path):
    schemas = load_fixture(FakeMailRoute().fixtures_dir).schemas
    with pytest.raises(ValueError, match="no field 'deliverport'"):
        check_rules({"domain": {"fields": {"deliverport": {"min": 1}}}}, schemas)
    with pytest.raises(ValueError, match="unique_together"):
        check_rules({"email_account": {"unique_together": [["domain", "local"]]}}, schemas)
    folder = write_fixture(tmp_path / "f", {"domain": schemas["domain"]})
    (folder / "rules.json").write_text('{"domain": {"fields": {"nmae": {"min": 1}}}}')
    with pytest.raises(ValueError, match="rules.json.*no field 'nmae'"):
        FakeMailRoute(folder)


def test_capture_writes_the_rules_the_user_keeps_and_the_fake_enforces_them(tmp_path):
    rules = {
        "email_account": {"unique_together": [["domain", "localpart"]], "form_validation": True},
        "domain": {"fields": {"deliveryport": {"min": 1, "max": 65535}}},
    }
    with demo_client() as real:
        capture(
            real,
            tmp_path / "captured",
            limit=5,
            resources=["domain", "email_account", "customer"],
            rules=rules,
        )
        assert json.loads((tmp_path / "captured" / "rules.json").read_text()) == rules
        # a second capture keeps the rules file already in the folder
        capture(
            real, tmp_path / "captured", limit=5, resources=["domain", "email_account", "customer"]
        )
    assert load_fixture(tmp_path / "captured").rules == rules
    fake = FakeMailRoute(tmp_path / "captured")
    with demo_client(transport=fake) as client:
        domain = client.domain.get(1)
        acct = client.email_account.filter(domain=domain)[0]
        with pytest.raises(BadRequest):
            client.email_account.create(localpart=acct.localpart, domain=domain)
        with pytest.raises(BadRequest):
            client.domain.create(name="zero.test", customer=domain.customer, deliveryport=0)


def test_the_readme_rules_example_is_what_the_demo_ships():
    from pathlib import Path

    from mailroute_dyn.testing import DEMO_DATA

    page = Path(__file__).resolve().parent.parent / "docs" / "testing.md"
    block = re.search(
        r"declares them in `rules.json`.*?```json\n(.*?)```", page.read_text(encoding="utf-8"), re.S
    )
    assert block is not None
    shown = json.loads(block.group(1))
    shipped = json.loads((DEMO_DATA / "rules.json").read_text(encoding="utf-8"))

    def within(part, whole):
        if isinstance(part, dict):
            return isinstance(whole, dict) and all(
                k in whole and within(v, whole[k]) for k, v in part.items()
            )
        return part == whole

    assert within(shown, shipped)


def _ids(fake, url):
    import httpx

    with httpx.Client(
        transport=fake,
        base_url="https://fake.test",
        headers={"Authorization": "ApiKey demo:demo-key"},
    ) as http:
        return [o["id"] for o in http.get(url).json()["objects"]]


def test_the_database_decides_like_case_and_the_order_of_tied_rows():
    """`database=`: SQLite's LIKE ignores ASCII case for contains/startswith/iexact and its
    index walk puts tied rows of `order_by=-<foreign key>` in descending key order;
    PostgreSQL's LIKE is case-sensitive (issue 21 c8, c10)."""
    sqlite, postgresql = FakeMailRoute(database="sqlite"), FakeMailRoute(database="postgresql")
    url = "/api/v1/domain/?name__contains=ACME&limit=0"
    assert len(_ids(sqlite, url)) == 12 and _ids(postgresql, url) == []
    assert _ids(sqlite, url) == _ids(postgresql, url.replace("contains", "icontains"))
    tied = "/api/v1/email_account/?order_by=-domain&limit=2"
    assert (_ids(sqlite, tied), _ids(postgresql, tied)) == ([30, 29], [29, 30])
    assert FakeMailRoute().store.database == "postgresql"
    with pytest.raises(ValueError, match="database must be one of"):
        FakeMailRoute(database="mysql")


def test_the_database_decides_the_scan_order_and_where_null_sorts():
    """A list without `order_by` comes in a table scan's order: key order on SQLite; on
    PostgreSQL an updated row moves to the end of its table. NULL sorts first on SQLite,
    above every value on PostgreSQL (issue 21 d1, checked against both)."""
    project = Path(__file__).resolve().parents[1] / "fixtures"
    seen = {}
    for database in ("sqlite", "postgresql"):
        with _http(FakeMailRoute(project, database=database)) as http:
            http.patch("/api/v1/mail_server/2/", json={"priority": 30})
            http.patch("/api/v1/policy_domain/3/", json={"spam_kill_level": None})
            scan = http.get("/api/v1/mail_server/?limit=3").json()["objects"]
            top = http.get("/api/v1/policy_domain/?order_by=-spam_kill_level&limit=1").json()
            low = http.get("/api/v1/policy_domain/?order_by=spam_kill_level&limit=1").json()
            seen[database] = (
                [o["id"] for o in scan],
                top["objects"][0]["spam_kill_level"],
                low["objects"][0]["spam_kill_level"],
            )
    assert seen == {"sqlite": ([1, 2, 3], 12.0, None), "postgresql": ([1, 3, 4], None, 5.5)}


def test_a_text_longer_than_its_column_fails_on_postgresql_only():
    """`column_length`: a length no form checks is the database's: PostgreSQL refuses a
    longer text (500, nothing written), SQLite stores it (issue 21 a2)."""
    project = Path(__file__).resolve().parents[1] / "fixtures"
    long, fits = {"server": "s" * 256}, {"server": "s" * 255}
    for database, status in (("postgresql", 500), ("sqlite", 202)):
        with _http(FakeMailRoute(project, database=database)) as http:
            made = http.post("/api/v1/mail_server/", json={**long, "domain": "/api/v1/domain/1/"})
            assert made.status_code == (201 if status == 202 else 500), database
            assert http.patch("/api/v1/mail_server/1/", json=long).status_code == status
            assert http.patch("/api/v1/mail_server/2/", json=fits).status_code == 202
            assert len(http.get("/api/v1/mail_server/?limit=0").json()["objects"]) == (
                20 if status == 500 else 21
            )


def test_the_folder_carries_the_write_options_and_the_constructor_overrides_them(tmp_path):
    """always_return_data / form_validation in rules.json (issue 21 c17, b7)."""
    fake = FakeMailRoute()
    assert fake.store.defs["wblist"].always_return_data
    assert fake.store.defs["email_account"].form_validation
    plain = FakeMailRoute(always_return_data=False, form_validation=["domain"])
    assert not plain.store.defs["wblist"].always_return_data
    assert not plain.store.defs["email_account"].form_validation
    assert plain.store.defs["domain"].form_validation
    with pytest.raises(ValueError, match="form_validation must be true or false"):
        check_rules(
            {"domain": {"form_validation": "yes"}},
            {"domain": {"fields": {"name": {"type": "string"}}}},
        )


def _http(fake):
    import httpx

    return httpx.Client(
        transport=fake,
        base_url="https://fake.test",
        headers={"Authorization": "ApiKey demo:demo-key"},
    )


def test_companions_and_reverse_relations_follow_every_write():
    """`companions` makes the rows the server makes with a new object; `reverse_of` shows
    them on it, and keeps showing what points at it after later writes (issue 21 b3, b5,
    c6)."""
    with _http(FakeMailRoute()) as http:
        made = http.post("/api/v1/reseller/", json={"name": "R-new"}).json()
        assert made["branding_info"] == "/api/v1/brandinginfo/9/"
        assert http.get("/api/v1/brandinginfo/9/").json()["reseller"] == made["resource_uri"]
        http.patch(
            "/api/v1/notification_account_task/1/",
            json={"email_account": "/api/v1/email_account/1/"},
        )
        assert http.get("/api/v1/email_account/1/").json()["notification_task"] == (
            "/api/v1/notification_account_task/1/"
        )
        http.delete(made["resource_uri"])
        assert http.get("/api/v1/brandinginfo/9/").status_code == 404


def test_a_string_link_is_looked_up_and_a_write_only_value_never_shown():
    """`uri_of`, `write_only`, `not_stored` (MailRoute's admins; issue 21 c14)."""
    with _http(FakeMailRoute()) as http:
        refused = http.post("/api/v1/admins/", json={"username": "zz", "customer": {}})
        assert refused.json() == {
            "error": "Could not find the provided customer object via resource URI '{}'."
        }
        made = http.post(
            "/api/v1/admins/",
            json={"username": "zz", "send_welcome": "yes", "customer": "/api/v1/customer/1/"},
        )
        assert made.status_code == 201
        shown = http.get(made.headers["location"]).json()
        assert (shown["customer"], shown["send_welcome"]) == (None, None)
        assert http.get("/api/v1/admins/?customer__iexact=x").json() == {
            "error": "The 'customer' field does not support relations."
        }


@pytest.mark.parametrize(
    "rules, message",
    [
        ({"email_account": {"companions": {"policy_user": "nosuch"}}}, "companions maps"),
        ({"admins": {"fields": {"customer": {"uri_of": "nosuch"}}}}, "uri_of must name"),
        ({"domain": {"fields": {"name": {"max_length": 0}}}}, "max_length must be"),
        ({"domain": {"fields": {"name": {"column_length": "255"}}}}, "column_length must be"),
        ({"domain": {"on_delete": {"customer": "explode"}}}, "on_delete maps"),
        (
            {"domain": {"fields": {"policy": {"reverse_of": "policy_domain.nosuch"}}}},
            "reverse_of must name",
        ),
    ],
)
def test_rules_that_cannot_work_are_refused_when_the_folder_loads(rules, message):
    from mailroute_dyn.testing import DEMO_DATA

    schemas = load_fixture(DEMO_DATA).schemas
    with pytest.raises(ValueError, match=message):
        check_rules(rules, schemas)


def test_capture_only_reads_and_keeps_the_rules_the_user_completes(tmp_path):
    """capture() never writes to the server it reads (issue 21 part B)."""
    fake = FakeMailRoute()
    rules = {
        "email_account": {"form_validation": True, "companions": {"policy_user": "email_account"}}
    }
    with demo_client(transport=fake) as client:
        capture(client, tmp_path / "captured", limit=3, rules=rules)
    assert {r.method for r in fake.requests} == {"GET"}
    assert load_fixture(tmp_path / "captured").rules == rules


def test_a_view_follows_writes_to_the_resources_behind_it():
    """`view_of` (MailRoute's domain_with_alias; issue 21 c5)."""
    with _http(FakeMailRoute()) as http:
        before = http.get("/api/v1/domain_with_alias/?limit=0").json()["objects"]
        kinds = [o["type"] for o in before]
        assert kinds == sorted(kinds, reverse=True)  # the view's order: domains first
        http.post(
            "/api/v1/domain_alias/",
            json={"name": "new-alias.example", "domain": "/api/v1/domain/1/"},
        )
        found = http.get("/api/v1/domain_with_alias/?name=new-alias.example").json()
        assert [(o["id"], o["type"], o["domain"]) for o in found["objects"]] == [
            (11, "alias", "/api/v1/domain/1/")
        ]

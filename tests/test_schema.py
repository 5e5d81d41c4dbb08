"""Schema parsing, JSON Schema generation and the filter/ordering/method rules, including
property tests over random schemas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailroute_dyn import FilterError, MethodNotAllowed, OrderingError, SchemaError
from mailroute_dyn.schema.definition import parse_schema
from mailroute_dyn.schema.rules import check_filter, check_method, check_ordering
from mailroute_dyn.vocabulary import COMMON_TERMS, NO_DEFAULT, TO_ONE_TERMS
from tests.conftest import FIXTURES, load, schema


def test_seed_email_account_schema_parses_exactly():
    s = parse_schema("email_account", load("seed/email_account_schema.json"))
    assert s.primary_key == "id"
    assert s.fields["priority"].default == 7
    assert s.fields["localpart"].default is NO_DEFAULT
    assert s.fields["id"].default == "" and not s.fields["id"].readonly
    assert s.fields["domain"].related_type == "to_one"
    assert s.fields["domain"].related_resource is None
    assert [f.name for f in s.writable()] == [
        "change_pwd",
        "create_opt",
        "domain",
        "localpart",
        "priority",
    ]


def test_new_tastypie_keys_are_read():
    raw = schema("email_account")
    raw["fields"]["domain"]["related_schema"] = "/api/v1/domain/schema/"
    raw["fields"]["id"]["primary_key"] = True
    s = parse_schema("email_account", raw)
    assert s.fields["domain"].related_resource == "domain"
    assert s.fields["id"].primary_key


def test_json_schema_requires_what_a_create_needs():
    s = parse_schema("email_account", load("seed/email_account_schema.json"))
    js = s.json_schema()
    assert js["$schema"].endswith("2020-12/schema")
    assert js["required"] == ["domain", "localpart"]
    assert js["additionalProperties"] is False
    assert "id" not in js["properties"] and "resource_uri" not in js["properties"]
    assert js["properties"]["change_pwd"]["type"] == ["string", "null"]
    assert js["properties"]["created_at"]["readOnly"] is True
    assert s.json_schema(creating=False)["required"] == []


def test_missing_filtering_and_ordering_mean_none():
    raw = {
        "fields": {"id": {"type": "integer"}},
        "allowed_list_http_methods": ["get"],
        "allowed_detail_http_methods": ["get"],
    }
    s = parse_schema("thing", raw)
    assert s.filtering == {} and s.ordering == ()
    with pytest.raises(FilterError, match="does not allow filtering"):
        check_filter(s, "id", 1, lambda n: None, lambda s, f: None)
    with pytest.raises(OrderingError, match=r"Orderable: \(none\)"):
        check_ordering(s, "id")


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        "x",
        {"fields": []},
        {"fields": {"a": 3}},
        {"fields": {}, "allowed_list_http_methods": "get"},
    ],
)
def test_unusable_schemas_raise_schema_error(bad):
    with pytest.raises(SchemaError):
        parse_schema("thing", bad)


@pytest.mark.parametrize("filtering", [["domain"], "{'domain'}", 3])
def test_filtering_that_is_no_object_allows_nothing_and_keeps_the_schema(filtering):
    raw = {
        "fields": {"domain": {"type": "string"}},
        "filtering": filtering,
        "ordering": "{'domain'}",
    }
    s = parse_schema("thing", raw)
    assert s.filtering == {} and s.ordering == ()
    assert set(s.unread) == {"filtering", "ordering"}
    with pytest.raises(FilterError, match=r"could not be read .* \.unchecked\(\)"):
        check_filter(s, "domain", "x", lambda n: None, lambda s, f: None)


def test_an_unreadable_filtering_rule_degrades_that_name_only():
    raw = {
        "fields": {"a": {"type": "string"}, "b": {"type": "string"}},
        "filtering": {"a": {"exact": True}, "b": 1, "c": None},
    }
    s = parse_schema("thing", raw)
    assert dict(s.filtering) == {"b": 1}
    assert set(s.unread) == {"filtering.a", "filtering.c"}
    assert check_filter(s, "b__startswith", "x", lambda n: None, lambda s, f: None).param
    with pytest.raises(FilterError, match="'filtering.a' could not be read"):
        check_filter(s, "a", "x", lambda n: None, lambda s, f: None)


@pytest.mark.parametrize(
    ("rule", "allowed", "refused"),
    [
        ("exact", ["exact"], ["iexact", "startswith"]),
        ("iexact", ["exact", "iexact"], ["startswith"]),  # `term in rule`, as Tastypie
        ("startswith,in", ["startswith", "in"], ["exact", "endswith"]),
    ],
)
def test_a_string_rule_allows_the_terms_it_contains(rule, allowed, refused):
    s = parse_schema("thing", {"fields": {"name": {"type": "string"}}, "filtering": {"name": rule}})
    for term in allowed:
        check_filter(s, f"name__{term}", "x", lambda n: None, lambda s, f: None)
    for term in refused:
        with pytest.raises(FilterError, match=f"'{term}' is not an allowed filter"):
            check_filter(s, f"name__{term}", "x", lambda n: None, lambda s, f: None)


@pytest.mark.parametrize(
    ("rule", "allowed", "refused"),
    [
        (1, ["thesaurus", "thesaurus__exact"], ["thesaurus__in", "thesaurus__identifier"]),
        (["in"], ["thesaurus", "thesaurus__in"], ["thesaurus__startswith"]),
        ("istartswith", ["thesaurus", "thesaurus__startswith"], ["thesaurus__in"]),
    ],
)
def test_a_filtering_key_that_is_no_field_takes_exact_and_the_terms_its_rule_names(
    rule, allowed, refused
):
    s = parse_schema(
        "thing", {"fields": {"id": {"type": "integer"}}, "filtering": {"thesaurus": rule}}
    )
    for lookup in allowed:
        sent = check_filter(s, lookup, "geo", lambda n: None, lambda s, f: None)
        assert sent.param == lookup and sent.value == "geo"
    for lookup in refused:
        with pytest.raises(FilterError, match="no field but a filter of the server's own"):
            check_filter(s, lookup, "geo", lambda n: None, lambda s, f: None)


def test_a_related_schema_url_names_a_resource_with_a_slash():
    raw = {
        "fields": {
            "keywords": {
                "type": "related",
                "related_type": "to_many",
                "related_schema": "/api/thesaurus/keywords/schema/",
            }
        }
    }
    assert parse_schema("thesaurus", raw, "/api/").fields["keywords"].related_resource == (
        "thesaurus/keywords"
    )


# ---------------------------------------------------------------- filters


def _policy() -> Any:
    return parse_schema("policy_domain", schema("policy_domain"))


def _lookup_factory(*names: str):
    parsed = {n: parse_schema(n, schema(n)) for n in names}
    return (lambda n: parsed.get(n)), (lambda s, f: f.name if f.name in parsed else None)


def check(name: str, lookup: str, value: Any, *related: str):
    related_lookup, target_of = _lookup_factory(*related)
    return check_filter(parse_schema(name, schema(name)), lookup, value, related_lookup, target_of)


@pytest.mark.parametrize("term", sorted(COMMON_TERMS))
def test_every_common_term_on_an_all_string_field(term):
    value = ["a", "b"] if term in ("in", "range") else True if term == "isnull" else "a"
    param = check("domain", f"name__{term}", value)
    assert param.param == f"name__{term}"


@pytest.mark.parametrize(
    "term",
    ["year", "month", "day", "week_day", "hour", "minute", "second", "date", "quarter", "iso_year"],
)
def test_date_parts_only_on_date_and_time_fields(term):
    raw = {
        "fields": {"when": {"type": "datetime"}, "name": {"type": "string"}},
        "filtering": {"when": 1, "name": 1},
    }
    s = parse_schema("event", raw)
    none = (lambda n: None), (lambda s, f: None)
    assert check_filter(s, f"when__{term}", 3, *none).value == "3"
    with pytest.raises(FilterError):
        check_filter(s, f"name__{term}", 3, *none)


def test_term_lists_are_whitelists():
    assert check("email_account", "id__in", [5, 6, 7]).value == "5,6,7"
    with pytest.raises(
        FilterError,
        match=r"'exact' is not an allowed filter on the 'id'.*"
        r"Allowed: in",
    ):
        check("email_account", "id", 5)
    assert check("policy_domain", "spam_kill_level__range", (5, 10)).value == "5,10"
    with pytest.raises(FilterError, match="Allowed: exact, gt, gte, isnull, lt, lte, range"):
        check("policy_domain", "spam_kill_level__startswith", 5)


def test_unfilterable_and_unknown_fields_are_refused_with_a_suggestion():
    with pytest.raises(FilterError, match="does not allow filtering"):
        check("email_account", "priority", 3)
    with pytest.raises(FilterError, match="Did you mean 'localpart'"):
        check("email_account", "locapart", "x")


def test_values_are_encoded_the_way_tastypie_reads_them():
    assert check("policy_domain", "is_default", True).value == "true"
    assert check("policy_domain", "is_default", False).value == "false"
    assert check("domain", "name", None).value == "None"
    assert check("domain", "name__isnull", True).value == "true"
    when = dt.datetime(2012, 8, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=-7)))
    raw = {
        "fields": {"when": {"type": "datetime"}, "score": {"type": "decimal"}},
        "filtering": {"when": 1, "score": 1},
    }
    s = parse_schema("e", raw)
    none = (lambda n: None), (lambda s, f: None)
    assert check_filter(s, "when__gte", when, *none).value == "2012-08-01T00:00:00-07:00"
    assert (
        check_filter(s, "when__range", [dt.date(2012, 8, 1), dt.date(2012, 8, 10)], *none).value
        == "2012-08-01,2012-08-10"
    )
    assert check_filter(s, "score__gt", Decimal("4.37"), *none).value == "4.37"


def test_relation_lookups_check_the_related_schema():
    assert check("email_account", "domain__name", "acme.com", "domain").value == "acme.com"
    assert check("email_account", "domain__name__in", ["a", "b"], "domain").value == "a,b"
    # across a to_one relation only the foreign key's own terms work (Tastypie 0.15.1)
    with pytest.raises(FilterError, match="Across a to_one relation"):
        check("email_account", "domain__name__startswith", "acme", "domain")
    with pytest.raises(FilterError, match="no field 'nmae'"):
        check("email_account", "domain__nmae", "acme.com", "domain")
    # relations need ALL_WITH_RELATIONS: domain_alias allows only exact on domain
    with pytest.raises(FilterError, match="does not allow relation filters"):
        check("domain_alias", "domain__name", "x", "domain")


def test_relation_whose_schema_is_not_loaded_is_left_pending():
    result = check("email_account", "domain__name", "acme.com")
    assert result.pending is not None and result.param == "domain__name"


def test_fk_terms_are_the_narrow_set():
    for term in sorted(TO_ONE_TERMS):
        value = [1, 2] if term == "in" else 1
        assert check("email_account", f"domain__{term}", value, "domain")
    with pytest.raises(FilterError):
        check("email_account", "domain__contains", 1, "domain")


def test_instances_filter_as_their_primary_key():
    class Stub:
        pk = 912345
        resource_uri = "/api/v1/domain/912345/"

    assert check("email_account", "domain", Stub(), "domain").value == "912345"


def test_ordering_and_methods():
    s = parse_schema("email_account", schema("email_account"))
    assert check_ordering(s, "-priority") == "-priority"
    assert check_ordering(s, "domain__name") == "domain__name"
    with pytest.raises(OrderingError, match="Did you mean 'priority'"):
        check_ordering(s, "prority")
    with pytest.raises(OrderingError, match="Orderable: localpart, priority, domain"):
        check_ordering(s, "id")
    check_method(s, "put", detail=True)
    with pytest.raises(MethodNotAllowed, match="Allowed: GET, POST, PUT, DELETE") as info:
        check_method(s, "patch", detail=True)
    assert info.value.allowed == ["GET", "POST", "PUT", "DELETE"]


def test_every_fixture_schema_parses():
    for path in sorted((FIXTURES / "schemas").glob("*.json")):
        s = parse_schema(path.stem, load(f"schemas/{path.name}"))
        assert s.fields and s.allowed_list_methods


# ---------------------------------------------------------------- properties

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
field_specs = st.dictionaries(
    st.sampled_from(
        [
            "type",
            "nullable",
            "blank",
            "readonly",
            "unique",
            "default",
            "help_text",
            "related_type",
            "related_schema",
            "primary_key",
            "verbose_name",
            "x",
        ]
    ),
    json_values
    | st.sampled_from(
        ["string", "integer", "related", "to_one", "to_many", "datetime", "/api/v1/domain/schema/"]
    ),
    max_size=8,
)
schemas = st.fixed_dictionaries(
    {},
    optional={
        "fields": st.dictionaries(
            st.text(min_size=1, max_size=8), field_specs | json_values, max_size=5
        )
        | json_values,
        "filtering": st.dictionaries(st.text(max_size=6), json_values, max_size=3) | json_values,
        "ordering": st.lists(st.text(max_size=6), max_size=3) | json_values,
        "allowed_list_http_methods": st.lists(st.sampled_from(["get", "post"])) | json_values,
        "allowed_detail_http_methods": st.lists(st.sampled_from(["get", "put"])) | json_values,
        "default_limit": json_values,
    },
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(raw=schemas | json_values, lookup=st.text(max_size=20), value=json_values)
def test_random_schemas_raise_only_schema_errors(raw, lookup, value):
    try:
        s = parse_schema("r", raw)
    except SchemaError:
        return
    s.json_schema()
    try:
        check_filter(s, lookup or "x", value, lambda n: None, lambda s, f: None)
    except FilterError:
        pass
    try:
        check_ordering(s, lookup)
    except OrderingError:
        pass

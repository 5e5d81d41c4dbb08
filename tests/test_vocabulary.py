"""Tastypie's vocabulary is written once (mailroute_dyn/vocabulary.py): the client, the
command line, the stubs and the fake read the same objects, so they cannot drift apart.
The fake's independence from the client's mistakes is kept by the conformance tests
against the real django-tastypie server, not by a second copy of the tables."""

from __future__ import annotations

import copy
import importlib
import pkgutil

import mailroute_dyn
from mailroute_dyn import vocabulary
from mailroute_dyn.cli import values as cli_values
from mailroute_dyn.fake import defs as fake_store
from mailroute_dyn.fake import query as fake_query
from mailroute_dyn.fake import values as fake_values
from mailroute_dyn.schema import definition as schema
from mailroute_dyn.schema import rules
from mailroute_dyn.schema.definition import Field, parse_schema
from mailroute_dyn.tools import stubtypes

TABLES = {
    name: getattr(vocabulary, name)
    for name in vocabulary.__all__
    if isinstance(getattr(vocabulary, name), frozenset | dict)
}


def _package_modules():
    for info in pkgutil.walk_packages(mailroute_dyn.__path__, "mailroute_dyn."):
        if info.name.endswith("__main__"):
            continue  # runs the command line on import
        yield importlib.import_module(info.name)


def test_no_module_keeps_its_own_copy_of_a_vocabulary_table():
    copies = []
    for module in _package_modules():
        if module is vocabulary:
            continue
        for name, value in vars(module).items():
            if not isinstance(value, frozenset | dict) or not value:
                continue
            for table_name, table in TABLES.items():
                if value == table and value is not table:
                    copies.append(f"{module.__name__}.{name} copies vocabulary.{table_name}")
    assert not copies, copies


def test_client_cli_stubs_and_fake_share_one_term_table():
    for ftype in ("datetime", "date", "time", "dict"):
        table = vocabulary.TERMS_BY_TYPE[ftype]
        assert rules.terms_for(Field("x", ftype)) is table  # the client
        assert fake_store.FieldDef("x", ftype).lookups is table  # the fake
    assert rules.terms_for(Field("x", "string")) is vocabulary.COMMON_TERMS
    assert rules.terms_for(Field("x", "related", related_type="to_one")) is (
        vocabulary.TO_ONE_TERMS
    )
    assert fake_store.FieldDef("x", "related", related_type="to_one").lookups is (
        vocabulary.TO_ONE_TERMS
    )
    assert stubtypes._INT_TERMS is vocabulary.INT_TERMS  # the stubs
    assert stubtypes._TEXT_TERMS is vocabulary.TEXT_TERMS
    assert stubtypes._SCALARS is vocabulary.SCALAR_TYPE_NAMES
    assert stubtypes.COMMON_TERMS is vocabulary.COMMON_TERMS
    assert fake_query.TEXT_TERMS is vocabulary.TEXT_TERMS
    assert fake_query.DATE_PARTS is vocabulary.DATE_PARTS
    assert cli_values._INT_TERMS is vocabulary.INT_TERMS  # the CLI
    assert cli_values._INT_TERMS is vocabulary.INT_TERMS
    assert cli_values._TEXT_TERMS is vocabulary.TEXT_TERMS


def test_client_and_fake_agree_on_no_default_and_the_key():
    raw = {
        "fields": {
            "code": {"type": "string", "primary_key": True, "default": vocabulary.NO_DEFAULT_TEXT},
            "id": {"type": "integer", "primary_key": False},
        }
    }
    assert schema.NO_DEFAULT is fake_store.NO_DEFAULT is vocabulary.NO_DEFAULT
    assert parse_schema("thing", raw).fields["code"].default is vocabulary.NO_DEFAULT
    assert parse_schema("thing", raw).primary_key == "code"
    assert vocabulary.primary_key_of(raw["fields"]) == "code"
    # a copied "no default" is still the marker (a plain object() would not survive this)
    assert copy.deepcopy(vocabulary.NO_DEFAULT) is vocabulary.NO_DEFAULT


def test_primary_key_rule_for_each_server_generation():
    assert vocabulary.primary_key_of({"id": {}, "name": {}}) == "id"  # MailRoute 2012
    assert (
        vocabulary.primary_key_of({"id": {"primary_key": False}, "name": {"primary_key": False}})
        is None
    )  # key left out
    assert vocabulary.primary_key_of({"slug": {"primary_key": "true"}}) == "slug"
    assert vocabulary.primary_key_of(None) is None


def test_rule_labels_read_like_tastypie_source():
    assert vocabulary.rule_label(vocabulary.ALL) == "ALL"
    assert vocabulary.rule_label(vocabulary.ALL_WITH_RELATIONS) == "ALL_WITH_RELATIONS"
    assert vocabulary.rule_label(["gt", "exact"]) == "exact, gt"
    assert vocabulary.rule_label([]) == "(no terms)"
    assert vocabulary.rule_label(True) == "True"


def test_string_to_python_words_are_the_rewritten_values():
    assert frozenset(vocabulary.STRING_TO_PYTHON) == vocabulary.REWRITTEN_VALUES
    assert rules.REWRITTEN_VALUES is vocabulary.REWRITTEN_VALUES
    for word, value in vocabulary.STRING_TO_PYTHON.items():
        assert fake_values.string_to_python(word) is value
    assert fake_values.string_to_python("TRUE") == "TRUE"

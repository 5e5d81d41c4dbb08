"""The tools the command line calls work without it, on plain data and a client."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from mailroute_dyn.schema.definition import parse_schema
from mailroute_dyn.tools.schemadiff import compare

API = "/api/v1/"
DOMAIN = json.loads(
    (Path(__file__).parent.parent / "fixtures/schemas/domain.json").read_text(encoding="utf-8")
)


def test_schema_diff_compares_two_states_without_the_command_line():
    """Scripts and CI compare fixture folders or servers with the same logic as `diff`."""
    new_raw = copy.deepcopy(DOMAIN)
    del new_raw["fields"]["active"]
    new_raw["filtering"]["name"] = ["exact"]
    old = {"domain": parse_schema("domain", DOMAIN, API)}
    new = {"domain": parse_schema("domain", new_raw, API)}
    diff = compare({"domain": {}}, old, {"domain": {}, "wblist": {}}, new)
    assert diff.added == ["wblist"] and diff.removed == []
    assert "- field active" in diff.changed["domain"]
    assert "~ filtering name: ALL -> exact" in diff.changed["domain"]
    assert not diff.empty and diff.report().startswith("+ resource wblist")
    same = compare({"domain": {}}, old, {"domain": {}}, old)
    assert same.empty and same.report() == ""

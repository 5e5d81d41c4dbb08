"""``fixtures/`` must match what the real Tastypie test server (``tests/tastypie_site``) says.

Regenerate with ``python -m tests.tastypie_site.export_fixtures`` after changing the server.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tastypie_site import create_user, resource_names, strip_new_schema_keys

pytestmark = pytest.mark.slow  # exports the real Tastypie server again

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "fixtures" / "schemas"
SCHEMA_FILES = sorted(p.stem for p in SCHEMAS.glob("*.json"))
REGENERATE = "regenerate with: python -m tests.tastypie_site.export_fixtures"


@pytest.fixture(scope="module", autouse=True)
def _demo_user():
    """The site's user, whose key `tastypie_http` sends."""
    create_user()


def _differences(fixture, server):
    """Human-readable differences between two schemas, naming keys and fields."""
    out = []
    for key in sorted((fixture.keys() | server.keys()) - {"fields"}):
        if fixture.get(key) != server.get(key):
            out.append(f"{key}: fixture {fixture.get(key)!r} != server {server.get(key)!r}")
    ffields, sfields = fixture.get("fields", {}), server.get("fields", {})
    for name in sorted(ffields.keys() ^ sfields.keys()):
        out.append(f"field {name!r} only in {'fixture' if name in ffields else 'server'}")
    for name in sorted(ffields.keys() & sfields.keys()):
        a, b = ffields[name], sfields[name]
        for key in sorted(a.keys() | b.keys()):
            if a.get(key, "<absent>") != b.get(key, "<absent>"):
                out.append(
                    f"fields.{name}.{key}: fixture {a.get(key, '<absent>')!r} "
                    f"!= server {b.get(key, '<absent>')!r}"
                )
    return out


def test_schema_files_cover_exactly_the_servers_resources(tastypie_http):
    listing = tastypie_http.get("/api/v1/").json()
    listing_file = json.loads((ROOT / "fixtures" / "listing.json").read_text(encoding="utf-8"))
    assert listing == listing_file
    expected = set(listing) | set(resource_names(listed=False))
    assert set(SCHEMA_FILES) == expected, (
        f"missing files: {sorted(expected - set(SCHEMA_FILES))}, "
        f"extra files: {sorted(set(SCHEMA_FILES) - expected)}; {REGENERATE}"
    )


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_schema_fixture_matches_server(tastypie_http, name):
    response = tastypie_http.get(f"/api/v1/{name}/schema/")
    assert response.status_code == 200, f"{name}: GET schema gave {response.status_code}"
    server = strip_new_schema_keys(response.json())
    fixture = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    differences = _differences(fixture, server)
    assert not differences, f"{name} schema drifted ({REGENERATE}):\n  " + "\n  ".join(differences)


def test_object_fixtures_are_what_the_exporter_writes():
    # In a subprocess: the export resets the database, which other tests in this process use.
    result = subprocess.run(
        [sys.executable, "-m", "tests.tastypie_site.export_fixtures", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""Regenerate ``fixtures/schemas/`` and ``fixtures/objects/`` from the test-only Tastypie server.

Run from the repository root::

    python -m tests.tastypie_site.export_fixtures           # rewrite the fixtures
    python -m tests.tastypie_site.export_fixtures --check   # exit 1 if they are out of date

(or by path: ``python tests/tastypie_site/export_fixtures.py``). The server runs in-process on
a fresh temporary database filled by ``seed_data(**FIXTURE_SEED)``; schemas are written in the
seed's form (without ``primary_key``, ``verbose_name``, ``related_schema``), objects exactly as
the list endpoints return them, sorted by id. Every ``/api/v1/<resource>/<id>/`` value inside
the objects must name an exported object, or the export fails.
"""

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run by path: make ``tests.tastypie_site`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx  # noqa: E402

from tests.tastypie_site.server import (  # noqa: E402
    HOST,
    auth_header,
    create_user,
    reset_data,
    resource_names,
    seed_data,
    strip_new_schema_keys,
    wsgi_app,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FIXTURE_SEED = {"domains": 12, "accounts_per_domain": 2}
URI = re.compile(r"^/api/v1/\w+/\d+/$")


def dump(data):
    """The fixtures' JSON text: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _list_all(client, name):
    objects, url = [], f"/api/v1/{name}/?limit=1000"
    while url:
        page = client.get(url).raise_for_status().json()
        objects += page["objects"]
        url = page["meta"]["next"]
    return sorted(objects, key=lambda obj: obj["id"])


def _check_references(objects):
    known = {obj["resource_uri"] for objs in objects.values() for obj in objs}
    dangling = sorted(
        f"{name} {obj['id']}.{key} -> {value}"
        for name, objs in objects.items()
        for obj in objs
        for key, value in obj.items()
        if isinstance(value, str) and URI.match(value) and value not in known
    )
    if dangling:
        raise SystemExit("unresolvable references:\n  " + "\n  ".join(dangling))


def export(out_dir=FIXTURES):
    """Write ``schemas/<r>.json`` and ``objects/<r>.json`` under ``out_dir``; returns
    ``{resource: object count}``."""
    create_user()
    reset_data()
    seed_data(**FIXTURE_SEED)
    out_dir = Path(out_dir)
    transport = httpx.WSGITransport(app=wsgi_app())
    with httpx.Client(
        transport=transport, base_url=f"http://{HOST}", headers=auth_header()
    ) as client:
        names = resource_names() + resource_names(listed=False)
        schemas = {n: client.get(f"/api/v1/{n}/schema/").raise_for_status().json() for n in names}
        objects = {n: _list_all(client, n) for n in names}
    _check_references(objects)
    for kind, content in (("schemas", schemas), ("objects", objects)):
        folder = out_dir / kind
        folder.mkdir(parents=True, exist_ok=True)
        for stale in set(folder.glob("*.json")) - {folder / f"{n}.json" for n in names}:
            stale.unlink()
        for name, data in content.items():
            data = strip_new_schema_keys(data) if kind == "schemas" else data
            (folder / f"{name}.json").write_text(dump(data), encoding="utf-8")
    return {name: len(objs) for name, objs in objects.items()}


def _tree(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for kind in ("schemas", "objects")
        for p in sorted((folder / kind).glob("*.json"))
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=FIXTURES, help="fixtures folder to write")
    parser.add_argument(
        "--check",
        action="store_true",
        help="export to a temporary folder and compare with --out instead",
    )
    args = parser.parse_args(argv)
    if not args.check:
        counts = export(args.out)
        print(f"wrote {len(counts)} schemas and {sum(counts.values())} objects to {args.out}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        export(tmp)
        fresh, current = _tree(Path(tmp)), _tree(args.out)
    differing = sorted(n for n in fresh.keys() | current.keys() if fresh.get(n) != current.get(n))
    if differing:
        print("fixtures differ from the server (run without --check to regenerate):")
        print("\n".join(f"  {name}" for name in differing))
        return 1
    print("fixtures are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

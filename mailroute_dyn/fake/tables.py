"""The fake server's tables: every resource's objects in memory, kept in primary-key
order for reading, the URIs that name them, and the snapshot an atomic write restores.
The write cycle that changes them is `Store` (store.py), built on these tables.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from .answers import canned
from .defs import Option, ResourceDef, build_resources, uri_name
from .fixtures import Fixture
from .values import Clock

__all__ = ["Tables", "DATABASES"]

# what the server's database decides: LIKE's case rules and the order of tied rows
DATABASES = ("postgresql", "sqlite")


class Tables:
    """The objects of every resource, in memory, and the reads of them."""

    def __init__(
        self,
        fixture: Fixture,
        clock: Clock,
        api_path: str,
        always_return_data: Option = None,
        form_validation: Option = None,
        database: str = "postgresql",
    ):
        if database not in DATABASES:
            raise ValueError(f"database must be one of {', '.join(DATABASES)}, not {database!r}")
        self.database = database
        self.clock = clock
        self.api_path = api_path
        self.fixture = _rebased(fixture, api_path)
        self.defs = build_resources(self.fixture, api_path, always_return_data, form_validation)
        # a folder that declares reverse relations says which read-only links are columns
        self.declares_reverse = any(
            "reverse_of" in rule
            for rdef in self.defs.values()
            for rule in rdef.field_rules.values()
        )
        self.rows: dict[str, dict[Any, dict[str, Any]]] = {}
        self.next_id: dict[str, int] = {}
        self._sorted: dict[str, list[dict[str, Any]] | None] = {}

    def load_fixture_rows(self) -> None:
        """Every table back to the fixture's objects (the computed views aside)."""
        self.rows = {}
        for name, rdef in self.defs.items():
            rows = {}
            for obj in copy.deepcopy(self.fixture.objects.get(name, [])):
                key = obj.get(rdef.pk)
                if key is None:
                    key = _key_of_uri(obj.get("resource_uri"))
                rows[key] = obj
            self.rows[name] = rows
            ints = [k for k in rows if isinstance(k, int)]
            self.next_id[name] = max(ints, default=0) + 1
            self._sorted[name] = None

    def listed(self) -> list[str]:
        return sorted(name for name, rdef in self.defs.items() if rdef.listed)

    def objects(self, name: str) -> list[dict[str, Any]]:
        """Every object of a resource in a table scan's order: primary-key order on SQLite
        (the key is the rowid), the order rows were written in on PostgreSQL (its heap:
        an updated row moves to the end, see `put_row`); a view's rows in the view's
        order."""
        cached = self._sorted.get(name)
        if cached is None and (self.defs[name].view_of or self.database == "postgresql"):
            cached = list(self.rows[name].values())
        if cached is None:
            cached = [obj for _, obj in sorted(self.rows[name].items(), key=_pk_sort_key)]
            self._sorted[name] = cached
        return cached

    def get(self, name: str, key: Any) -> dict[str, Any] | None:
        return self.rows[name].get(key)

    def uri(self, name: str, key: Any) -> str:
        return f"{self.api_path}{name}/{key}/"

    def split_uri(self, uri: Any) -> tuple[str, Any] | None:
        """(resource, key) for one of our detail URIs; None when it is not one."""
        name = uri_name(uri, self.api_path) if isinstance(uri, str) else None
        if name is None or name not in self.defs:
            return None
        try:
            key = self.defs[name].pk_from_text(uri.rstrip("/").rsplit("/", 1)[1])
        except ValueError:
            return None
        return name, key

    def object_at(self, uri: Any) -> dict[str, Any] | None:
        where = self.split_uri(uri)
        return None if where is None else self.rows[where[0]].get(where[1])

    def render(self, rdef: ResourceDef, obj: Mapping[str, Any]) -> dict[str, Any]:
        """An object as the server prints it (datetimes in the configured format,
        `write_only` fields null)."""
        out = {**obj, **dict.fromkeys(rdef.hidden)}
        for name in rdef.temporal:
            if name in out:
                out[name] = self.clock.render(rdef.fields[name].type, out[name])
        return out

    def snapshot(self) -> tuple[dict[str, dict[Any, dict[str, Any]]], dict[str, int]]:
        return {n: dict(rows) for n, rows in self.rows.items()}, dict(self.next_id)

    def restore(self, state: tuple[dict[str, dict[Any, dict[str, Any]]], dict[str, int]]) -> None:
        self.rows, self.next_id = state
        self._sorted = dict.fromkeys(self.rows)

    def changed(self, name: str) -> None:
        """Forget the cached order of a resource whose rows changed."""
        self._sorted[name] = None

    def put_row(
        self, rdef: ResourceDef, key: Any, obj: dict[str, Any], *, in_place: bool = False
    ) -> None:
        """Store a row. PostgreSQL writes a new version of an updated row at the end of
        its table, so a scan meets it last; an `in_place` change writes no row of this
        table (a computed reverse relation, a many-to-many link) and moves nothing."""
        if self.database == "postgresql" and not in_place:
            self.rows[rdef.name].pop(key, None)
        self.rows[rdef.name][key] = obj
        self._sorted[rdef.name] = None
        if isinstance(key, int) and key >= self.next_id[rdef.name]:
            self.next_id[rdef.name] = key + 1

    def name_in_uri(self, uri: str) -> str | None:
        parts = uri.rstrip("/").split("/")
        return parts[-2] if len(parts) >= 2 and parts[-2] in self.defs else None

    def key_via_uri(self, rdef: ResourceDef, uri: str) -> Any:
        """The key a URI names for `rdef`, as `get_via_uri` finds it (short URIs such as
        `/domain/1/` work); `FakeHttpError(404)` with the canned body when it names none."""
        stripped = uri.rstrip("/")
        end = stripped.rfind("/")
        if end == -1 or not stripped.rsplit("/", 1)[0].endswith("/" + rdef.name):
            raise canned(404)
        found = uri.rfind(rdef.name, 0, end)
        match = re.fullmatch(re.escape(rdef.name) + r"/(.*?)/", uri[found:], re.S)
        if match is None or match.group(1) in ("schema",) or match.group(1).startswith("set/"):
            raise canned(404)
        try:
            return rdef.pk_from_text(match.group(1))
        except ValueError:
            raise canned(404) from None


def _key_of_uri(uri: Any) -> Any:
    if not isinstance(uri, str):
        return None
    last = uri.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else last


def _pk_sort_key(item: tuple[Any, Any]) -> tuple[int, Any, str]:
    key = item[0]
    return (0, key, "") if isinstance(key, int) else (1, 0, str(key))


def _rebased(fixture: Fixture, api_path: str) -> Fixture:
    """The fixture with its URIs moved to `api_path` when it was captured under another."""
    old = fixture.api_path
    if not old or old == api_path:
        return fixture

    def move(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(old):
            return api_path + value[len(old) :]
        if isinstance(value, list):
            return [move(v) for v in value]
        return value

    objects = {
        name: [{k: move(v) for k, v in obj.items()} for obj in rows]
        for name, rows in fixture.objects.items()
    }
    schemas = copy.deepcopy(fixture.schemas)
    for schema in schemas.values():
        for spec in schema["fields"].values():
            if isinstance(spec, dict) and isinstance(spec.get("related_schema"), str):
                spec["related_schema"] = move(spec["related_schema"])
    return Fixture(schemas, objects, fixture.listed, api_path, fixture.rules)

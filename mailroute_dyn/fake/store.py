"""State of the fake server: every resource's objects in memory, and the write cycle.

A write goes through the same steps as on a real Tastypie server (TASTYPIE.md §6, §7):
`hydrate` (the body onto the object, related values looked up), the resource's form when
it has one (`forms`), then the database (`saving`: values converted, constraints), the
timestamps and computed keys the server fills in, and the links after it (`relations`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from .answers import HttpError, canned
from .defs import Option, ResourceDef, build_resources, uri_name
from .fixtures import Fixture
from .forms import UNREADABLE_KEY, validate_form
from .hydrate import body_fields, fresh_object, hydrate
from .relations import delete_rows, refresh_reverse, refresh_views
from .saving import check_constraints, check_rules, save_values
from .values import Clock

__all__ = ["Store", "DATABASES"]

# what the server's database decides: LIKE's case rules and the order of tied rows
DATABASES = ("postgresql", "sqlite")

_STAMP_NAMES = {"created_at": "auto_now_add", "updated_at": "auto_now"}


class Store:
    """The objects of every resource, in memory, with Tastypie's write rules."""

    def __init__(self, fixture: Fixture, clock: Clock, api_path: str,
                 always_return_data: Option = None, form_validation: Option = None,
                 database: str = "postgresql"):
        if database not in DATABASES:
            raise ValueError(f"database must be one of {', '.join(DATABASES)}, not "
                             f"{database!r}")
        self.database = database
        self.clock = clock
        self.api_path = api_path
        self.fixture = _rebased(fixture, api_path)
        self.defs = build_resources(self.fixture, api_path, always_return_data, form_validation)
        # a folder that declares reverse relations says which read-only links are columns
        self.declares_reverse = any("reverse_of" in rule for rdef in self.defs.values()
                                    for rule in rdef.field_rules.values())
        self.rows: dict[str, dict[Any, dict[str, Any]]] = {}
        self.next_id: dict[str, int] = {}
        self._sorted: dict[str, list[dict[str, Any]] | None] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the fixture's objects."""
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
        refresh_views(self)

    def _refresh_computed(self) -> None:
        """Reverse relations and views follow every write."""
        refresh_reverse(self)
        refresh_views(self)

    # -- reading

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

    # -- state for atomic operations

    def snapshot(self) -> tuple[dict[str, dict[Any, dict[str, Any]]], dict[str, int]]:
        return {n: dict(rows) for n, rows in self.rows.items()}, dict(self.next_id)

    def restore(self, state: tuple[dict[str, dict[Any, dict[str, Any]]], dict[str, int]]
                ) -> None:
        self.rows, self.next_id = state
        self._sorted = dict.fromkeys(self.rows)

    # -- writing

    def changed(self, name: str) -> None:
        """Forget the cached order of a resource whose rows changed."""
        self._sorted[name] = None

    def put_row(self, rdef: ResourceDef, key: Any, obj: dict[str, Any], *,
                in_place: bool = False) -> None:
        """Store a row. PostgreSQL writes a new version of an updated row at the end of
        its table, so a scan meets it last; an `in_place` change writes no row of this
        table (a computed reverse relation, a many-to-many link) and moves nothing."""
        if self.database == "postgresql" and not in_place:
            self.rows[rdef.name].pop(key, None)
        self.rows[rdef.name][key] = obj
        self._sorted[rdef.name] = None
        if isinstance(key, int) and key >= self.next_id[rdef.name]:
            self.next_id[rdef.name] = key + 1

    def create(self, rdef: ResourceDef, body: Any, key: Any = None) -> dict[str, Any]:
        """POST semantics: a new object from `body` (ids assigned, timestamps set).

        `key` is the id a PUT to a missing detail URL creates (as the URL spells it: an
        id the database cannot take fails when saving, after validation); an id in the
        body wins, as it does on the real server.
        """
        data = body_fields(body)
        obj = hydrate(self, rdef, data, None, patch=False)
        self._validate(rdef, obj, data, None)
        given = data.get(rdef.pk)
        if given is not None:
            key = self._key_value(rdef, given)
        elif key is not None:
            key = self._key_value(rdef, key)
        elif rdef.pk_is_int:
            key = self.next_id[rdef.name]
        else:
            raise canned(500)
        return self._save(rdef, obj, key, creating=True)

    def update(self, rdef: ResourceDef, current: dict[str, Any], body: Any, *, patch: bool,
               fields_sent_only: bool = False) -> dict[str, Any]:
        """PUT (`patch=False`: omitted blank+nullable fields become null) or PATCH (merge).

        A body naming another id writes the object under that id and leaves this one
        alone, as Django's save() does (a PUT, or an item of a PATCH list). A PATCH detail
        (`fields_sent_only`) saves only the fields sent (Django's `update_fields`): nothing
        when it sends no field, a 500 when it also names another id, and `auto_now`
        timestamps stay.
        """
        data = body_fields(body)
        obj = hydrate(self, rdef, data, current, patch=patch)
        key = current.get(rdef.pk)
        carried = self._carried_key(rdef, data, key)    # the id the object now holds
        self._validate(rdef, obj, data, carried)
        if fields_sent_only:
            sent = [name for name in data if name in rdef.fields and name != rdef.pk]
            if not sent:
                return current          # nothing to save: Django's save(update_fields=[])
            if carried != key:
                return self._update_other(rdef, obj, carried, sent)
            return self._save(rdef, obj, key, creating=False, every_column=False)
        if carried is UNREADABLE_KEY:
            raise canned(500)
        if carried != key:
            # a new row: reverse relations of the original do not come along
            for f in rdef.fields.values():
                if f.readonly and f.is_related:
                    obj[f.name] = [] if f.to_many else None
        return self._save(rdef, obj, carried, creating=False)

    def _update_other(self, rdef: ResourceDef, obj: dict[str, Any], other: Any,
                      sent: list[str]) -> dict[str, Any]:
        """A PATCH detail whose body names another id: `UPDATE ... WHERE id = <other>` of
        the fields sent, with this object's values (a 500 when no such row exists)."""
        if other is UNREADABLE_KEY:
            raise canned(500)           # the WHERE clause cannot take the id
        save_values(rdef, obj)          # the values are prepared before the row is sought
        target = self.rows[rdef.name].get(other)
        if target is None:
            raise canned(500)
        updated = {**target, **{name: obj.get(name) for name in sent}}
        check_constraints(self, rdef, updated, other)
        self.put_row(rdef, other, updated)
        self._refresh_computed()
        return updated

    def _carried_key(self, rdef: ResourceDef, data: Mapping[str, Any], key: Any) -> Any:
        """The body's id when it sends one (UNREADABLE_KEY when the database cannot read
        it), else the object's own."""
        if data.get(rdef.pk) is None:
            return key
        try:
            return self._key_value(rdef, data[rdef.pk])
        except HttpError:
            return UNREADABLE_KEY

    def _validate(self, rdef: ResourceDef, obj: dict[str, Any], data: Mapping[str, Any],
                  key: Any) -> None:
        """The resource's form when it has one, else only the declared field rules."""
        if rdef.form_validation:
            validate_form(self, rdef, obj, data, key)
        else:
            check_rules(rdef, obj, data)

    def _save(self, rdef: ResourceDef, obj: dict[str, Any], key: Any, *, creating: bool,
              every_column: bool = True) -> dict[str, Any]:
        """The database's part: convert, fill what the server fills, check, store; the
        object as stored (with the relations the write changed). `every_column=False` is
        a save of the fields sent only (PATCH detail)."""
        save_values(rdef, obj)
        fields = rdef.fields
        if rdef.pk in fields:
            obj[rdef.pk] = key
        if "resource_uri" in fields or "resource_uri" in obj:
            obj["resource_uri"] = self.uri(rdef.name, key)
        self._stamp(rdef, obj, creating=creating, bump=every_column)
        for name, rule in rdef.derived.items():
            # a column the model's save() fills is stored only when every column is
            if every_column or name not in rdef.fields:
                obj[name] = rule(self, obj)
        check_constraints(self, rdef, obj, key)
        self.put_row(rdef, key, obj)
        if creating:
            self._make_companions(rdef, obj)
        self._refresh_computed()
        return self.rows[rdef.name][key]

    def _make_companions(self, rdef: ResourceDef, obj: dict[str, Any]) -> None:
        """The rows the server makes with each new object (`companions`), at defaults."""
        for other_name, link in rdef.companions.items():
            other = self.defs[other_name]
            companion = {**fresh_object(other), link: obj["resource_uri"]}
            key = self.next_id[other_name] if other.pk_is_int else None
            if key is None:
                raise canned(500)
            self._save(other, companion, key, creating=True)

    def _stamp(self, rdef: ResourceDef, obj: dict[str, Any], *, creating: bool,
               bump: bool) -> None:
        """Timestamps the server fills: declared `auto_now_add` (on create) and `auto_now`
        (every save); without such rules, `created_at`/`updated_at` by name."""
        now = self.clock.store_datetime(self.clock.now())
        declared = {name: kind for name, rule in rdef.field_rules.items()
                    for kind in ("auto_now_add", "auto_now") if rule.get(kind)}
        if declared:
            for name, kind in declared.items():
                if creating or (kind == "auto_now" and bump):
                    obj[name] = now
            return
        for name, kind in _STAMP_NAMES.items():
            f = rdef.fields.get(name)
            if f is None or f.type != "datetime" or not (creating or (kind == "auto_now" and bump)):
                continue
            if f.readonly or not obj.get(name):
                obj[name] = now

    def as_saved_in_memory(self, rdef: ResourceDef, obj: dict[str, Any]) -> dict[str, Any]:
        """The object a PATCH detail answers with: its `auto_now` timestamps were set on
        the object when it was saved, although only the fields sent were stored."""
        now = self.clock.store_datetime(self.clock.now())
        stamps = {name: now for name, rule in rdef.field_rules.items() if rule.get("auto_now")}
        return {**obj, **stamps}

    def _key_value(self, rdef: ResourceDef, value: Any) -> Any:
        if not rdef.pk_is_int:
            return str(value)
        try:
            if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        except (TypeError, ValueError):
            raise canned(500) from None

    def delete(self, rdef: ResourceDef, *keys: Any) -> None:
        """Delete objects and follow the links to them (`relations.delete_rows`)."""
        delete_rows(self, rdef, keys)
        self._refresh_computed()

    # -- URIs

    def name_in_uri(self, uri: str) -> str | None:
        parts = uri.rstrip("/").split("/")
        return parts[-2] if len(parts) >= 2 and parts[-2] in self.defs else None

    def key_via_uri(self, rdef: ResourceDef, uri: str) -> Any:
        """The key a URI names for `rdef`, as `get_via_uri` finds it (short URIs such as
        `/domain/1/` work); `HttpError(404)` with the canned body when it names none."""
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
            return api_path + value[len(old):]
        if isinstance(value, list):
            return [move(v) for v in value]
        return value

    objects = {name: [{k: move(v) for k, v in obj.items()} for obj in rows]
               for name, rows in fixture.objects.items()}
    schemas = copy.deepcopy(fixture.schemas)
    for schema in schemas.values():
        for spec in schema["fields"].values():
            if isinstance(spec, dict) and isinstance(spec.get("related_schema"), str):
                spec["related_schema"] = move(spec["related_schema"])
    return Fixture(schemas, objects, fixture.listed, api_path, fixture.rules)


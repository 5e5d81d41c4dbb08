"""The fake server's write cycle, over its tables (tables.py).

A write goes through the same steps as on a real Tastypie server (TASTYPIE.md §6, §7):
`hydrate` (the body onto the object, related values looked up), the resource's form when
it has one (`forms`), then the database (`saving`: values converted, constraints), the
timestamps and computed keys the server fills in, and the links after it (`relations`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import FakeHttpError
from .answers import canned
from .defs import Option, ResourceDef
from .fixtures import Fixture
from .forms import UNREADABLE_KEY, validate_form
from .hydrate import body_fields, fresh_object, hydrate
from .relations import delete_rows, refresh_reverse, refresh_views
from .saving import check_constraints, check_rules, save_values
from .tables import Tables
from .values import Clock

__all__ = ["Store"]

_STAMP_NAMES = {"created_at": "auto_now_add", "updated_at": "auto_now"}


class Store(Tables):
    """The objects of every resource, in memory, with Tastypie's write rules."""

    def __init__(
        self,
        fixture: Fixture,
        clock: Clock,
        api_path: str,
        always_return_data: Option = None,
        form_validation: Option = None,
        database: str = "postgresql",
    ):
        super().__init__(fixture, clock, api_path, always_return_data, form_validation, database)
        self.reset()

    def reset(self) -> None:
        """Back to the fixture's objects, with the views and links computed from them."""
        self.load_fixture_rows()
        refresh_views(self)

    def _refresh_computed(self) -> None:
        """Reverse relations and views follow every write."""
        refresh_reverse(self)
        refresh_views(self)

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

    def update(
        self,
        rdef: ResourceDef,
        current: dict[str, Any],
        body: Any,
        *,
        patch: bool,
        fields_sent_only: bool = False,
    ) -> dict[str, Any]:
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
        carried = self._carried_key(rdef, data, key)  # the id the object now holds
        self._validate(rdef, obj, data, carried)
        if fields_sent_only:
            sent = [name for name in data if name in rdef.fields and name != rdef.pk]
            if not sent:
                return current  # nothing to save: Django's save(update_fields=[])
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

    def _update_other(
        self, rdef: ResourceDef, obj: dict[str, Any], other: Any, sent: list[str]
    ) -> dict[str, Any]:
        """A PATCH detail whose body names another id: `UPDATE ... WHERE id = <other>` of
        the fields sent, with this object's values (a 500 when no such row exists)."""
        if other is UNREADABLE_KEY:
            raise canned(500)  # the WHERE clause cannot take the id
        save_values(rdef, obj)  # the values are prepared before the row is sought
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
        except FakeHttpError:
            return UNREADABLE_KEY

    def _validate(
        self, rdef: ResourceDef, obj: dict[str, Any], data: Mapping[str, Any], key: Any
    ) -> None:
        """The resource's form when it has one, else only the declared field rules."""
        if rdef.form_validation:
            validate_form(self, rdef, obj, data, key)
        else:
            check_rules(rdef, obj, data)

    def _save(
        self,
        rdef: ResourceDef,
        obj: dict[str, Any],
        key: Any,
        *,
        creating: bool,
        every_column: bool = True,
    ) -> dict[str, Any]:
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
                obj[name] = rule(self.object_at, obj)
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

    def _stamp(self, rdef: ResourceDef, obj: dict[str, Any], *, creating: bool, bump: bool) -> None:
        """Timestamps the server fills: declared `auto_now_add` (on create) and `auto_now`
        (every save); without such rules, `created_at`/`updated_at` by name."""
        now = self.clock.store_datetime(self.clock.now())
        declared = {
            name: kind
            for name, rule in rdef.field_rules.items()
            for kind in ("auto_now_add", "auto_now")
            if rule.get(kind)
        }
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

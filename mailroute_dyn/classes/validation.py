"""Checking and encoding what a write will send: the `Validation` half of `Writes`.

A write is judged as it will go on the wire (related objects as URIs, datetimes as ISO
text) against the resource's JSON Schema, before anything is sent, so a `ValidationError`
names the field that is wrong in the shape of the server's own 400 body.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast

from ..errors import ValidationError, suggest
from ..jsondecode import non_finite_at
from ..schema.conversions import encode_write_value
from ..schema.definition import Field, ResourceSchema
from ..settings.urls import masked_url
from .detailuri import detail_uri_problem

if TYPE_CHECKING:
    from ..operations import Session
    from ..schema.catalogue import Catalogue

__all__ = ["Validation", "related_write_value", "foreign_value"]


class Validation:
    """Validate and encode one resource's writes (a base of `Writes`)."""

    __slots__ = ()
    _schema: ClassVar[ResourceSchema]
    _session: ClassVar[Session]  # the client's session: what its objects' operations run on
    _catalogue: ClassVar[Catalogue]  # the client's classes, URIs and relation targets
    _validators: ClassVar[dict[bool, Any]]
    _changes: dict[str, Any]

    @classmethod
    def _validator(cls, creating: bool) -> Any:
        cache = cls._validators
        if creating not in cache:
            import jsonschema  # on the first write only: it costs ~100 ms of start-up

            schema = cls._schema.json_schema(creating=creating)
            cache[creating] = jsonschema.Draft202012Validator(schema)
        return cache[creating]

    @classmethod
    def _validate(
        cls,
        body: Mapping[str, Any],
        *,
        creating: bool,
        explicit_readonly: Iterable[str] = (),
        check_required: bool = True,
    ) -> None:
        errors: dict[str, list[str]] = {}
        fields = cls._schema.fields
        allowed_ro = set(explicit_readonly)
        for key in body:
            f = fields.get(key)
            if f is None:
                errors.setdefault(key, []).append(
                    f"Unknown field.{suggest(key, fields)} Pass write-only inputs the schema "
                    "does not describe through extra={...}."
                )
            elif f.readonly and not (creating and key in allowed_ro):
                errors.setdefault(key, []).append("This field is read-only.")
            elif not creating and key == cls._schema.primary_key:
                errors.setdefault(key, []).append(
                    "The primary key cannot change: a write with another key would make a "
                    "new object. Create one with the new key instead."
                )
            _refuse_non_finite(key, body[key], errors)
        known = {k: v for k, v in body.items() if k in fields}
        for err in cls._validator(creating).iter_errors(known):
            if err.validator == "required":
                for name in err.validator_value if check_required else ():
                    messages = errors.setdefault(name, []) if name not in known else []
                    if name not in known and "This field is required." not in messages:
                        messages.append("This field is required.")
                continue
            where = str(err.absolute_path[0]) if err.absolute_path else "__all__"
            errors.setdefault(where, []).append(err.message)
        if errors:
            shaped = {cls._schema.name: errors}
            text = "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(errors.items()))
            raise ValidationError(f"{cls._schema.name} is not valid: {text}", shaped)

    def _encoded_changes(self) -> dict[str, Any]:
        return {k: self._encode_field(k, v) for k, v in self._changes.items()}

    @classmethod
    def _encoded_values(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """`values` as a write would send them (related objects as URIs, times as ISO),
        so validation judges what goes on the wire, never the Python objects. Names the
        schema does not know stay as given, for the error to name them."""
        out = {}
        for name, value in values.items():
            f = cls._schema.fields.get(name)
            if f is not None and f.is_related:
                out[name] = related_write_value(cls, f, value)
            else:
                out[name] = encode_write_value(value, f.type if f is not None else "")
        return out

    def _encode_field(self, name: str, value: Any) -> Any:
        f = type(self)._schema.fields.get(name)
        if f is not None and f.is_related:
            return related_write_value(type(self), f, value)
        return encode_write_value(value, f.type if f is not None else "")


def related_write_value(owner: Any, f: Field, value: Any) -> Any:
    """A related field's value as Tastypie takes it on write: URIs (an object's own, a
    key's in the target's URI form, a URI or nested dict as given)."""
    if value is None:
        return None
    if f.related_type == "to_many" and isinstance(value, list | tuple):
        return [_one_related(owner, f, v) for v in value]
    return _one_related(owner, f, value)


def _one_related(owner: Any, f: Field, value: Any) -> Any:
    if isinstance(value, Validation):  # an object of any resource (its classes' base)
        uri = cast(Any, value).resource_uri
        if uri is None:
            raise ValidationError(
                f"{owner.resource_name}.{f.name}: the related object is not saved yet",
                {owner.resource_name: {f.name: ["The related object has no URI yet."]}},
            )
        return uri
    if isinstance(value, str | dict):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        catalogue = owner._catalogue
        target = catalogue.target_of(owner._schema, f)
        if target is None:
            raise ValidationError(
                f"{owner.resource_name}.{f.name}: give an object or a URI (the target "
                "resource is not known, so a bare key cannot be turned into one)",
                {owner.resource_name: {f.name: ["Expected a URI or an object."]}},
            )
        built = catalogue.classes.get(target)
        if built is not None and built.typed:
            return built.detail_url(value)  # the target's own URI form
        return f"{catalogue.settings.api_path}{target}/{value}/"
    return encode_write_value(value)


def _refuse_non_finite(key: str, value: Any, errors: dict[str, list[str]]) -> None:
    """Note an error under `key` when `value` holds NaN or Infinity (nested too): JSON has
    neither, and Tastypie stores NULL for them without a word, or fails."""
    where = non_finite_at(value)
    if where is not None:
        inside = f" (at {key}{'' if where.startswith('[') else '.'}{where})" if where else ""
        errors.setdefault(key, []).append(
            f"NaN and Infinity cannot be sent{inside}: JSON has neither, and Tastypie "
            "would store NULL or fail."
        )


def foreign_value(catalogue: Catalogue, target: str, value: Any) -> str:
    """Why `value`, given for a relation to `target`, is not of that resource ('' when
    it is, or is a plain key, or `target` is "" and nothing tells): an object carries
    its own resource, a URI must be a detail URI under the target's list endpoint.
    Tastypie filters a relation by the key alone, so another resource's object would
    match the target's object that has the same key."""
    if isinstance(value, Validation):  # an object of any resource (its classes' base)
        key = cast(Any, value).pk
        if key is None:
            return f"{value!r} is not saved: it has no key to filter by"
        own = type(value)._schema.name
        if not target or own == target:
            return ""
        return (
            f"{value!r} is a {own} object (Tastypie would match the {target} whose key is {key!r})"
        )
    if not (target and isinstance(value, str) and (value[:1] == "/" or "://" in value)):
        return ""
    built = catalogue.classes.get(target)
    list_url = built._list_url if built is not None else f"{catalogue.settings.api_path}{target}/"
    problem = detail_uri_problem(list_url, value, ())
    return f"{masked_url(value)!r} is not a {target} URI ({problem})" if problem else ""

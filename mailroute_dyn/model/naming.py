"""Related objects given by name: `create(domain="acme-001.com")`.

A string for a related field is a URI only when it looks like one (`/api/v1/domain/5/`,
or an absolute URL). Any other string names an object, as on the command line: a string
of digits is the target's key; anything else is looked up by the target's unique,
filterable fields (a domain's `name`), then as its detail key (MailRoute's
`/email_account/<email>/`). A name that finds nothing, or several objects, is refused
before anything is written, saying how to give the value instead: Tastypie would answer
such a string with a bare 404 ("Sorry, this request could not be processed").
"""

from __future__ import annotations

from typing import Any

from ..errors import DoesNotExist, FilterError, ValidationError
from ..operations import Operation
from ..query.queryset import BaseQuerySet
from ..schema.definition import Field

__all__ = ["natural_key_fields", "names_an_object", "resolve_names_op"]


def natural_key_fields(cls: Any) -> list[str]:
    """Unique fields other than the key and the URI that `exact` filtering allows: what a
    person names an object by (a domain's `name`)."""
    names = []
    for f in cls.fields.values():
        if not f.unique or f.primary_key or f.name in ("id", "resource_uri") or f.is_related:
            continue
        try:
            BaseQuerySet(cls).filter(**{f.name: "x"})
        except FilterError:
            continue
        names.append(f.name)
    return names


def names_an_object(value: Any) -> bool:
    """Whether a related field's value is a name to look up rather than a URI."""
    return isinstance(value, str) and not (
        value.startswith("/") or value.lower().startswith(("http://", "https://"))
    )


def _refused(owner: Any, f: Field, text: str, why: str, target: str | None) -> ValidationError:
    where = f"{target}/<key>/" if target else "<resource>/<key>/"
    how = (
        f"Give the related object, its URI ({owner._session.settings.api_path}{where}), "
        "its key, or a unique name of it."
    )
    return ValidationError(
        f"{owner.resource_name}.{f.name}={text!r}: {why}. {how}",
        {owner.resource_name: {f.name: [f"{why}."]}},
    )


def _target_op(owner: Any, f: Field, text: str) -> Operation[Any]:
    """The class `f` points at (one sample read where the schema does not say)."""
    registry = owner._registry
    name = owner._catalogue.target_of(owner._schema, f)
    if name is None:
        yield from owner._catalogue.learn_targets_op(owner)
        name = owner._catalogue.target_of(owner._schema, f)
    if name is None:
        raise _refused(
            owner,
            f,
            text,
            "the resource this field points at is not known, so a name cannot be looked up",
            None,
        )
    target = yield from registry.resource_op(name, listed_only=False)
    if not target.typed:
        raise _refused(
            owner,
            f,
            text,
            f"the schema of {name!r} cannot be read, so a name cannot be looked up",
            name,
        )
    return target


def _named_op(owner: Any, f: Field, text: str) -> Operation[Any]:
    """The object (or, for digits, the URI) that `text` names for field `f`."""
    target = yield from _target_op(owner, f, text)
    if text.isdigit():
        return target.detail_url(text)
    candidates = natural_key_fields(target)
    for name in candidates:
        qs: BaseQuerySet[Any] = BaseQuerySet(target).filter(**{name: text})
        _page, found = yield from qs._fetch(qs._first_call(limit=2))
        if len(found) == 1:
            return found[0]
        if found:
            raise _refused(
                owner,
                f,
                text,
                f"several {target.resource_name} objects have {name}={text!r}",
                target.resource_name,
            )
    try:
        return (yield from target._get_op(text))
    except DoesNotExist:
        by = " or ".join([*candidates, "key"])
        raise _refused(
            owner, f, text, f"no {target.resource_name} has {by} {text!r}", target.resource_name
        ) from None


def resolve_names_op(obj: Any) -> Operation[None]:
    """Replace every name the caller gave a related field of `obj` by the object it
    names (a key by its URI), looking each name up once; refuse those that name none."""
    cls = type(obj)
    if not cls.typed:
        return None
    found: dict[tuple[str, str], Any] = {}
    for name, value in list(obj._changes.items()):
        f = cls._schema.fields.get(name)
        if f is None or not f.is_related:
            continue
        many = isinstance(value, list | tuple)
        resolved = []
        for item in value if many else [value]:
            if names_an_object(item):
                if (name, item) not in found:
                    found[(name, item)] = yield from _named_op(cls, f, item)
                item = found[(name, item)]
            resolved.append(item)
        obj._changes[name] = resolved if many else resolved[0]
    return None

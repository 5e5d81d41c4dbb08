"""The types a stub declares, worked out from the schemas before any text is written:
each resource's class names (unique across both clients' sides and the stub's own
names), what reading and writing each field gives and takes, and the type of every lookup
`filter()` accepts. They are the typing rules of a stub, kept apart from the writer that
lays them out as text (stubs.py), so each reads on its own.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping

from ..model.resources import Resource
from ..schema.definition import Field
from ..schema.rules import allowed_terms, terms_for
from ..vocabulary import ALL_WITH_RELATIONS, COMMON_TERMS, TO_ONE_TERMS, class_name_for
from ..vocabulary import INT_TERMS as _INT_TERMS
from ..vocabulary import SCALAR_TYPE_NAMES as _SCALARS
from ..vocabulary import TEXT_TERMS as _TEXT_TERMS
from .stubverbs import SIDES, Side

__all__ = ["Targets", "TypeNames", "StubModel", "usable_name"]

Targets = Mapping[str, Mapping[str, "str | None"]]

_QUALIFIED = {
    "str": "_builtins.str",
    "int": "_builtins.int",
    "float": "_builtins.float",
    "bool": "_builtins.bool",
    "list": "_builtins.list",
    "dict": "_builtins.dict",
    "type": "_builtins.type",
    "Decimal": "_decimal.Decimal",
    "datetime": "_dt.datetime",
    "date": "_dt.date",
    "time": "_dt.time",
    "Any": "_typing.Any",
    "Literal": "_typing.Literal",
    "Self": "_typing.Self",
    "Collection": "_abc.Collection",
    "Sequence": "_abc.Sequence",
    "Iterable": "_abc.Iterable",
    "Mapping": "_abc.Mapping",
}
#: Names the stub imports (stubs.py's header) or declares itself: no resource class takes one.
_MODULE_NAMES = {
    "Any",
    "AsyncIterator",
    "Awaitable",
    "Collection",
    "Generic",
    "Iterable",
    "Iterator",
    "Literal",
    "Mapping",
    "Self",
    "Sequence",
    "TypeAlias",
    "TypeVar",
    "overload",
    "Decimal",
    "date",
    "datetime",
    "time",
    "MailRouteClient",
    "AsyncMailRouteClient",
    "TypedQuerySet",
    "AsyncTypedQuerySet",
    "TypedResource",
    "AsyncTypedResource",
}


class TypeNames:
    """Type names as a class body can use them: qualified where a member shadows them."""

    def __init__(self, members: Iterable[str] = ()):
        self.shadowed = set(members) & set(_QUALIFIED)

    def __call__(self, name: str) -> str:
        return _QUALIFIED[name] if name in self.shadowed else name


def _class_names(name: str) -> set[str]:
    """Every name the stub declares for a resource class called `name`, on both sides."""
    kinds = (name, f"{name}QuerySet", f"_{name}Meta")
    return {side.name(kind) for side in SIDES for kind in kinds} | {f"_{name}Order"}


def usable_name(name: str) -> bool:
    """A name the stub can declare as it is: an identifier, no keyword, not private."""
    return name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_")


class StubModel:
    """Class names and relation targets for the whole stub."""

    def __init__(self, classes: Mapping[str, type[Resource]], targets: Targets):
        self.classes = classes
        self.targets = targets
        used = set(_MODULE_NAMES)
        self.names: dict[str, str] = {}
        for name in sorted(classes):
            base = class_name_for(name)
            candidate = base if base not in used else f"{base}Resource"
            n = 2
            while _class_names(candidate) & used:
                candidate, n = f"{base}{n}", n + 1
            used |= _class_names(candidate)
            self.names[name] = candidate

    def target_class(self, resource: str, f: Field, side: Side = SIDES[0]) -> str:
        target = self.targets.get(resource, {}).get(f.name)
        name = self.names.get(target or "")
        return side.name(name) if name else f"_mrd.{side.name('Resource')}"

    def read_type(self, resource: str, f: Field, n: TypeNames, side: Side = SIDES[0]) -> str:
        """What `obj.field` gives."""
        if f.is_related:
            one = self.target_class(resource, f, side)
            text = f"{n('list')}[{one}]" if f.related_type == "to_many" else one
        elif f.type == "list":
            text = f"{n('list')}[{n('Any')}]"
        elif f.type == "dict":
            text = f"{n('dict')}[{n('str')}, {n('Any')}]"
        else:
            text = n(_SCALARS.get(f.type, "Any"))
        return f"{text} | None" if f.nullable and text != n("Any") else text

    def write_type(self, resource: str, f: Field, n: TypeNames, side: Side = SIDES[0]) -> str:
        """What a write accepts: related fields take an object, a key or a URI."""
        if not f.is_related:
            return self.read_type(resource, f, n, side)
        one = f"{self.target_class(resource, f, side)} | {n('int')} | {n('str')}"
        text = f"{n('Sequence')}[{one}]" if f.related_type == "to_many" else one
        return f"{text} | None" if f.nullable else text

    def lookups(self, resource: str, n: TypeNames, side: Side = SIDES[0]) -> list[tuple[str, str]]:
        """(keyword, type) for every lookup `filter()` accepts, one relation hop deep."""
        cls = self.classes[resource]
        out: dict[str, str] = {}
        for f in cls.fields.values():
            terms = _terms(cls, f)
            value = self.write_type(resource, f, n, side).removesuffix(" | None")
            if f.is_related and f.related_type == "to_many":
                value = f"{self.target_class(resource, f, side)} | {n('int')} | {n('str')}"
            _add_terms(out, f.name, f, terms, value, n)
            target = self.targets.get(resource, {}).get(f.name)
            if (
                cls.filtering.get(f.name) == ALL_WITH_RELATIONS
                and f.is_related
                and target in self.classes
            ):
                inner = self.classes[target or ""]
                for g in inner.fields.values():
                    inner_terms = _terms(inner, g)
                    if f.related_type == "to_one":
                        inner_terms &= TO_ONE_TERMS
                    gval = self.write_type(target or "", g, n, side).removesuffix(" | None")
                    _add_terms(out, f"{f.name}__{g.name}", g, inner_terms, gval, n)
        return [(k, v) for k, v in out.items() if usable_name(k) and k not in ("self", "cls")]


def _terms(cls: type[Resource], f: Field) -> frozenset[str]:
    return allowed_terms(cls._schema, f) & terms_for(f)


def _term_type(term: str, value: str, n: TypeNames) -> str:
    if term == "isnull":
        return n("bool")
    if term in _INT_TERMS:
        return n("int")
    if term in ("date", "time"):
        return n(term)
    if term == "in":
        return f"{n('Collection')}[{value}]"
    if term == "range":
        return f"{n('Sequence')}[{value}]"
    if term in _TEXT_TERMS or term == "has_key":
        return n("str")
    if term in ("has_keys", "has_any_keys"):
        return f"{n('Collection')}[{n('str')}]"
    if term == "contained_by":
        return f"{n('dict')}[{n('str')}, {n('Any')}]"
    return value


def _add_terms(
    out: dict[str, str], name: str, f: Field, terms: frozenset[str], value: str, n: TypeNames
) -> None:
    if "exact" in terms:
        exact = f"{value} | None" if f.nullable else value
        out[name] = exact
        out[f"{name}__exact"] = exact
    for term in sorted(terms - {"exact"}):
        if term in COMMON_TERMS or term in _INT_TERMS or term in terms_for(f):
            out[f"{name}__{term}"] = _term_type(term, value, n)

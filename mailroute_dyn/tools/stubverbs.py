"""The verbs of a generated stub, written from the one table of verbs (`verbs.py`) and the
signatures of the library's own methods, for both clients: a verb that sends is a
`def` on a `Client`'s classes and an `async def` on an `AsyncClient`'s.

A stub narrows some verbs per resource (`filter()` takes exactly the schema's lookups);
those are written by stubs.py for each class and left out of the generic classes here, so
no stub method overrides another and a stub needs no ignore comment for it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from ..model.querysets import QuerySet
from ..model.resources import Resource
from ..model.shortcuts import ResourceMeta
from ..verbs import CLASS, INSTANCE, QUERYSET, Verb, verbs_on

__all__ = ["Side", "SIDES", "NARROWED", "generic_classes", "keyword_options"]

#: Verbs a stub writes per resource class, typed by its schema.
NARROWED = {
    QUERYSET: frozenset({"filter", "get", "order_by"}),
    CLASS: frozenset({"all", "filter", "get", "order_by", "unchecked", "create"}),
    INSTANCE: frozenset(),
}

#: The sync sibling whose signatures the stub copies (the async one has the same: see
#: tests/test_siblings.py).
_SIGNATURES: dict[str, Any] = {QUERYSET: QuerySet, CLASS: ResourceMeta, INSTANCE: Resource}

#: Names in the library's annotations, as the stub imports them.
_IMPORTED = {"BulkResult": "_mrd.BulkResult", "RowHook": "_RowHook", "Writes": "_Writes"}


class Side(NamedTuple):
    """One client's kind of classes in a stub."""

    prefix: str  # "" (a Client's) or "Async"
    sends: str  # how a sending verb is declared: "def" or "async def"
    values: str  # the values() QuerySet

    def name(self, base: str) -> str:
        """`Domain` -> `AsyncDomain` on the async side; `_DomainMeta` -> `_AsyncDomainMeta`."""
        if base.startswith("_"):
            return f"_{self.prefix}{base[1:]}"
        return f"{self.prefix}{base}"


SIDES = (Side("", "def", "_ValuesQuerySet"), Side("Async", "async def", "_AsyncValuesQuerySet"))


def _annotation(text: str, types: Mapping[str, str]) -> str:
    """An annotation of the library (or the table) with the stub's names for its types."""
    names = {**_IMPORTED, **types}
    return re.sub(r"\b[A-Za-z_]\w*\b", lambda m: names.get(m[0], m[0]), text)


def _parameters(function: Callable[..., Any], types: Mapping[str, str]) -> list[str]:
    """A method's parameters after its first, as a stub writes them (defaults as `...`)."""
    params = list(inspect.signature(function).parameters.values())[1:]
    out: list[str] = []
    starred = False
    for p in params:
        text = (
            p.name
            if p.annotation is p.empty
            else (f"{p.name}: {_annotation(str(p.annotation), types)}")
        )
        if p.kind is p.VAR_POSITIONAL:
            text, starred = f"*{text}", True
        elif p.kind is p.VAR_KEYWORD:
            text = f"**{text}"
        elif p.kind is p.KEYWORD_ONLY and not starred:
            out.append("*")
            starred = True
        out.append(text if p.default is p.empty else f"{text} = ...")
        if p.kind is p.POSITIONAL_ONLY and (
            p is params[-1] or params[params.index(p) + 1].kind is not p.POSITIONAL_ONLY
        ):
            out.append("/")
    return out


def _verb(verb: Verb, surface: str, side: Side, first: str, types: Mapping[str, str]) -> str:
    function = getattr(_SIGNATURES[surface], verb.name)
    params = ", ".join([first, *_parameters(function, types)])
    returns = _annotation(verb.returns, types)
    keyword = side.sends if verb.sends else "def"
    return f"    {keyword} {verb.name}({params}) -> {returns}: ..."


def _verbs(surface: str, side: Side, first: str, types: Mapping[str, str]) -> list[str]:
    return [
        _verb(verb, surface, side, first, types)
        for verb in verbs_on(surface).values()
        if verb.name not in NARROWED[surface]
    ]


_QUERYSET_PROTOCOLS = {
    "": [
        "    def __iter__(self) -> Iterator[_R]: ...",
        "    def __len__(self) -> _builtins.int: ...",
        "    def __bool__(self) -> _builtins.bool: ...",
        "    @overload",
        "    def __getitem__(self, key: _builtins.int) -> _R: ...",
        "    @overload",
        "    def __getitem__(self, key: _builtins.slice) -> Self: ...",
    ],
    "Async": [
        "    def __aiter__(self) -> AsyncIterator[_R]: ...",
        "    @overload",
        "    def __getitem__(self, key: _builtins.int) -> Awaitable[_R]: ...",
        "    @overload",
        "    def __getitem__(self, key: _builtins.slice) -> Self: ...",
    ],
}


def generic_classes(side: Side) -> list[str]:
    """The stub's classes every resource's own classes derive from, for one client: its
    QuerySet, its metaclass (the class shortcuts) and its resource base (the object's
    verbs), each with every verb of the table that is not narrowed per resource."""
    qs, meta, base = side.name("TypedQuerySet"), side.name("_TypedMeta"), side.name("TypedResource")
    client = "an `AsyncClient`" if side.prefix else "a `Client`"
    lines = [
        f"class {qs}(Generic[_R]):",
        f'    """A QuerySet of {client} whose objects are of one resource class."""',
        "",
        *_QUERYSET_PROTOCOLS[side.prefix],
        *_verbs(QUERYSET, side, "self", {"R": "_R", "QS": "Self", "ValuesQS": side.values}),
        "",
        "",
        f"class {meta}(_BaseResourceMeta):",
        f'    """The class-level API of {client}\'s resource classes."""',
        "",
        *_verbs(
            CLASS, side, "cls: type[_R]", {"R": "_R", "QS": f"{qs}[_R]", "ValuesQS": side.values}
        ),
        "",
        "",
        f"class {base}(_BaseResource, metaclass={meta}):",
        f'    """An object of {client}\'s resources."""',
        "",
        *_verbs(INSTANCE, side, "self", {}),
        "",
        "",
    ]
    return lines


def keyword_options(function: Callable[..., object]) -> list[tuple[str, str, bool]]:
    """The keyword-only options of one of the library's own methods, as its code declares
    them (names, annotations, whether required), so the stub follows the code."""
    return [
        (p.name, _annotation(str(p.annotation), {}), p.default is p.empty)
        for p in inspect.signature(function).parameters.values()
        if p.kind is p.KEYWORD_ONLY
    ]

"""The model as a graph: resources and the relations between them, as Mermaid or DOT.

A related field names its target in `related_schema` on Tastypie 0.15 but not on
MailRoute's server, so a target is taken, in this order, from the schema, from the URIs
in a few objects of the resource (one list request), or from the field's own name when a
resource is called that. `relation_targets` is shared with the stub generator.

Names come from the server, so they are written as data (`mailroute_dyn.escaping`): a
plain name is its own Mermaid node id, any other gets an id of its own and shows as a
quoted label with entity codes; DOT quotes every name. No name adds a line to the graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..client import Client
from ..errors import MailRouteError
from ..escaping import dot_comment, dot_string, mermaid_id_ok, mermaid_text
from ..model.resources import Resource
from ..schema.definition import resource_name_of_uri

__all__ = ["Edge", "relation_targets", "model_edges", "render_mermaid", "render_dot"]

SAMPLE = 20  # objects read per resource to learn where its relations point


@dataclass(frozen=True, slots=True)
class Edge:
    """One related field: `source.field` points at `target` (None when unknown)."""

    source: str
    field: str
    target: str | None
    many: bool


def _uri_of(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("resource_uri")
    return value if isinstance(value, str) else None


def _sample(client: Client, cls: type[Resource], limit: int) -> list[dict[str, Any]]:
    """A few raw objects of `cls`, or [] when the list cannot be read."""
    if "get" not in cls.allowed_list_methods:
        return []
    try:
        body = client.request("GET", cls.list_endpoint, params={"limit": limit})
    except MailRouteError:
        return []
    objects = body.get("objects") if isinstance(body, dict) else None
    return [o for o in objects or [] if isinstance(o, dict)]


def relation_targets(
    client: Client,
    cls: type[Resource],
    *,
    listing: Iterable[str] | None = None,
    sample: int = SAMPLE,
) -> dict[str, str | None]:
    """The resource each related field of `cls` points at (None when nothing tells)."""
    related = [f for f in cls.fields.values() if f.is_related]
    found: dict[str, str | None] = {f.name: f.related_resource for f in related}
    if any(target is None for target in found.values()):
        api_path = client.settings.api_path
        for obj in _sample(client, cls, sample):
            for name in [n for n, t in found.items() if t is None]:
                uri = _uri_of(obj.get(name))
                if uri:
                    found[name] = resource_name_of_uri(uri, api_path)
            if all(found.values()):
                break
    names = set(listing if listing is not None else client.resources)
    for name, target in found.items():
        if target is None and name in names:
            found[name] = name
    return found


def model_edges(client: Client, names: Iterable[str] | None = None) -> tuple[list[str], list[Edge]]:
    """Every resource (listed ones, plus targets outside the listing) and every relation."""
    listed = sorted(names if names is not None else client.preload())
    edges: list[Edge] = []
    for name in listed:
        cls = client.resource(name)
        targets = relation_targets(client, cls, listing=listed)
        for fname in sorted(targets):
            many = cls.fields[fname].related_type == "to_many"
            edges.append(Edge(name, fname, targets[fname], many))
    nodes = sorted(set(listed) | {e.target for e in edges if e.target})
    return nodes, edges


def _mermaid_ids(names: Iterable[str]) -> dict[str, str]:
    """Each node's Mermaid id: a plain name is its own id; another gets `node_N`."""
    names = sorted(set(names))
    ids = {n: n for n in names if mermaid_id_ok(n)}
    taken, number = set(ids), 0
    for name in names:
        if name not in ids:
            while f"node_{number}" in taken:
                number += 1
            ids[name] = f"node_{number}"
            taken.add(ids[name])
    return ids


def _mermaid_label(name: str) -> str:
    return name if mermaid_id_ok(name) else f'"{mermaid_text(name)}"'


def render_mermaid(nodes: Iterable[str], edges: Iterable[Edge]) -> str:
    """A Mermaid flowchart: `a -->|field| b` for to_one, `a ==>|field| b` for to_many;
    a node whose name is not plain is declared first as `node_N["name"]`."""
    lines = ["flowchart LR", "    %% to_one: -->, to_many: ==>; labels are field names"]
    nodes, edges = list(nodes), list(edges)
    ids = _mermaid_ids([*nodes, *(e.source for e in edges), *(e.target for e in edges if e.target)])
    linked = {e.source for e in edges if e.target} | {e.target for e in edges if e.target}
    lines += [f'    {ids[n]}["{mermaid_text(n)}"]' for n in sorted(ids) if ids[n] != n]
    lines += [f"    {ids[n]}" for n in nodes if n not in linked and ids[n] == n]
    for e in edges:
        if e.target is None:
            lines.append(f"    %% {mermaid_text(e.source)}.{mermaid_text(e.field)}: target unknown")
            continue
        arrow = "==>" if e.many else "-->"
        lines.append(f"    {ids[e.source]} {arrow}|{_mermaid_label(e.field)}| {ids[e.target]}")
    return "\n".join(lines) + "\n"


def render_dot(nodes: Iterable[str], edges: Iterable[Edge]) -> str:
    """A Graphviz digraph; to_many edges end in a crow's foot."""
    lines = ["digraph mailroute {", "    rankdir=LR;", "    node [shape=box];"]
    lines += [f"    {dot_string(n)};" for n in nodes]
    for e in edges:
        if e.target is None:
            lines.append(f"    // {dot_comment(e.source)}.{dot_comment(e.field)}: target unknown")
            continue
        style = ", arrowhead=crow" if e.many else ""
        lines.append(
            f"    {dot_string(e.source)} -> {dot_string(e.target)} "
            f"[label={dot_string(e.field)}{style}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"

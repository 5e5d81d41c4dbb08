"""The tool commands: `cache`, `capture`, `graph`, `openapi` and `stubs` (thin wrappers
around the modules that do the work)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from ..errors import CommandFailed, CommandUsageError
from ..escaping import terminal_text
from ..tools.graph import model_edges, render_dot, render_mermaid
from ..transport.cache_files import DiskCache, fresh_for
from .context import Context
from .options import AddCommand, add_format, positive

__all__ = ["register", "cmd_cache", "cmd_capture", "cmd_graph", "cmd_openapi", "cmd_stubs"]


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KiB"


def cmd_cache(ctx: Context) -> int:
    """`cache info`: where the schema cache is and what it holds; `cache clear`: remove it."""
    if ctx.demo:
        print("no disk cache: the demo server's schema is kept in memory only", file=ctx.out)
        return 0
    client = ctx.client
    disk = DiskCache(client.settings)
    if disk.path is None:
        print("no disk cache: it is turned off (--no-cache or cache_dir unset)", file=ctx.out)
        return 0
    path = disk.path
    if ctx.args.action == "clear":
        existed = path.exists()
        client.refresh()  # forgets memory and removes the file
        print(f"removed {path}" if existed else f"nothing to remove: no {path}", file=ctx.out)
        return 0
    print(f"path:      {path}", file=ctx.out)
    if not path.exists():
        print(
            "status:    no cache file yet (the next command that reads a schema writes it)",
            file=ctx.out,
        )
        return 0
    payload = disk.load()
    print(f"size:      {_size(path.stat().st_size)}", file=ctx.out)
    if payload is None:
        print(
            "status:    unreadable, or written for other credentials: it will be replaced",
            file=ctx.out,
        )
        return 0
    saved = float(payload.get("saved_at", 0))
    age = time.time() - saved
    left = fresh_for(payload, client.settings.cache_ttl)
    when = dt.datetime.fromtimestamp(saved).isoformat(sep=" ", timespec="seconds")
    state = f"fresh for {left:.0f} s more" if left > 0 else "expired (refetched on next use)"
    if age < 0:
        state = "stamped in the future, the clock has changed: refetched on next use"
    listing = payload.get("listing") or {}
    schemas = sorted(payload.get("schemas") or {})
    print(f"saved:     {when} ({age:.0f} s ago; {state})", file=ctx.out)
    print(f"server:    {payload.get('base_url')}{payload.get('api_path')}", file=ctx.out)
    print(f"resources: {len(listing)} listed, {len(schemas)} schemas cached", file=ctx.out)
    if schemas:
        print(terminal_text(f"cached:    {', '.join(schemas)}"), file=ctx.out)
    return 0


def cmd_capture(ctx: Context) -> int:
    """The testing kit's capture: listing, schemas and some objects into a fixture folder."""
    from ..tools.capture import capture

    if ctx.args.limit < 1:
        raise CommandUsageError("--limit must be at least 1")
    rules = ctx.args.rules
    if rules is not None and not Path(rules).is_file():
        raise CommandUsageError(f"--rules {rules}: no such file")
    try:
        root = capture(
            ctx.client,
            ctx.args.directory,
            limit=ctx.args.limit,
            rules=rules,
            redact=ctx.args.redact or (),
        )
    except ValueError as exc:  # a rules file that does not fit the schemas
        raise CommandUsageError(f"--rules {rules}: {exc}") from None
    count = len(list((Path(root) / "schemas").glob("*.json")))
    print(f"captured {count} resources into {root}", file=ctx.out)
    return 0


def cmd_graph(ctx: Context) -> int:
    """Resources and their relations, as Mermaid or DOT."""
    nodes, edges = model_edges(ctx.client)
    render = render_dot if ctx.args.format == "dot" else render_mermaid
    ctx.out.write(render(nodes, edges))
    return 0


def cmd_stubs(ctx: Context) -> int:
    """A `.pyi` typing stub of the live schema, to stdout or `-o FILE`."""
    from ..tools.stubs import generate_stub, module_name_for

    output = ctx.args.output
    module = ctx.args.module or module_name_for(output)
    path = _write_out(ctx, output, generate_stub(ctx.client, module=module))
    if path is not None:
        ctx.note(f"wrote {path} (module {module!r}): see its docstring for how to use it")
    return 0


def _write_out(ctx: Context, output: str | None, text: str) -> Path | None:
    """`text` to stdout (no FILE or `-`) or to FILE; the path written, if any."""
    if output is None or output == "-":
        ctx.out.write(text)
        return None
    path = Path(output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandFailed(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def cmd_openapi(ctx: Context) -> int:
    """An OpenAPI 3.1 document of the live API, to stdout or `-o FILE`."""
    from ..tools.openapi import generate_openapi

    text = generate_openapi(
        ctx.client, ctx.args.format, actions=ctx.args.action or (), nested=ctx.args.nested or ()
    )
    path = _write_out(ctx, ctx.args.output, text)
    if path is not None:
        ctx.note(f"wrote {path}: serve it with Swagger UI or ReDoc (see docs/openapi.md)")
    return 0


def register(add: AddCommand) -> None:
    """The sub-parsers of stubs, cache, capture and graph."""
    p = add(
        "stubs",
        cmd_stubs,
        "write a typing stub (.pyi) of the live schema",
        "Write a .pyi stub so editors complete and mypy checks scripts.\n\n"
        "  mailroute-dyn stubs -o typings/mailroute_api.pyi\n"
        "  MYPYPATH=typings mypy --strict script.py\n\n"
        "See the stub's docstring for how a script uses it.",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="where to write (default stdout)")
    p.add_argument(
        "--module", metavar="NAME", help="the module name the stub documents (default: from FILE)"
    )

    p = add(
        "openapi",
        cmd_openapi,
        "write an OpenAPI 3.1 document of the live API",
        "An OpenAPI 3.1 document of the API as the client reads it: paths and methods,\n"
        "one schema per resource, every filter as a query parameter, the auth in use\n"
        "(never its secret). Sorted, so two runs diff clean.\n\n"
        "  mailroute-dyn openapi -o api.json\n"
        "  mailroute-dyn openapi --action 'email_account/{pk}/regenerate_api_key' "
        "--nested 'reseller/{pk}/contacts=contact_reseller' -o api.json\n\n"
        "`diff OLD.json NEW.json` compares two such documents.",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="where to write (default stdout)")
    add_format(p, ("json", "yaml"), "json")
    p.add_argument(
        "--action",
        action="append",
        metavar="RES/[{pk}/]NAME",
        help="a custom action to add: POST under the list URL, or under each "
        "object's URL with {pk}/ (repeatable)",
    )
    p.add_argument(
        "--nested",
        action="append",
        metavar="RES/{pk}/NAME[=RES2]",
        help="a nested list to add, of resource RES2 when given (repeatable)",
    )

    p = add("cache", cmd_cache, "show or clear the schema cache")
    p.add_argument("action", choices=("info", "clear"), nargs="?", default="info")

    p = add("capture", cmd_capture, "snapshot the server into a fixture folder for the fake server")
    p.add_argument("directory", metavar="DIR")
    p.add_argument(
        "--limit", type=positive, default=50, metavar="N", help="objects per resource (default 50)"
    )
    p.add_argument(
        "--rules",
        metavar="FILE",
        help="a rules.json you keep (unique_together, min/max, choices, "
        "server defaults, actions: what schemas cannot say) to write "
        "beside the capture; without it a rules.json already in DIR is kept",
    )
    p.add_argument(
        "--redact",
        action="append",
        metavar="NAME",
        help="also redact values under this field name (repeatable); passwords, "
        "keys, tokens, PEM blocks and your credentials always are",
    )

    p = add(
        "graph",
        cmd_graph,
        "draw resources and their relations",
        "Resources and relations (to_one -->, to_many ==>), as Mermaid or Graphviz.",
    )
    add_format(p, ("mermaid", "dot"), "mermaid")

"""Shell completion of resources, fields, filters and orderings, from the schema cache.

The completers read the disk cache that any earlier command wrote (or the demo data with
`--demo`) and never make a request: a TAB press must not wait on the network. They are
plain functions, so they are tested without argcomplete; with the `cli` extra installed,
`argcomplete` calls them (`mailroute-dyn completion bash` prints the line to enable it).

A completion is only offered when the shell can take it as itself: a name holding a
space, a quote, a shell metacharacter, `=`, `,`, a control character, or starting with
`-` (it would read as an option) is left out (`mailroute_dyn.escaping.completable`);
such a name still works when typed, quoted.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

from ..client import Client
from ..errors import CommandFailed
from ..escaping import completable
from .context import Context
from .options import AddCommand

__all__ = [
    "register",
    "cmd_completion",
    "cached_schemas",
    "complete_resource",
    "complete_fields",
    "complete_filter",
    "complete_order",
    "complete_assignment",
    "filter_lookups",
    "autocomplete",
    "shell_code",
]


def cached_schemas(args: Any) -> dict[str, Any]:
    """Resource name -> its schema (`fields`, `filtering`, `ordering`) as the schema cache
    holds it for the settings the command line names (None for a listed resource whose
    schema is not cached); empty when nothing is cached or the settings are incomplete."""
    from ..errors import MailRouteError
    from ..schema.definition import parse_schema

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if getattr(args, "demo", False):
                with Client.demo() as client:  # classes answer like schemas here
                    return {n: client.resource(n) for n in client.preload()}
            from ..settings.config import resolve_settings
            from ..transport.cache_files import DiskCache

            settings = resolve_settings(
                getattr(args, "profile", None),
                base_url=getattr(args, "url", None),
                login=getattr(args, "login", None),
                api_key=getattr(args, "api_key", None),
            )
            payload = DiskCache(settings).load() or {}
    except (MailRouteError, OSError):
        return {}
    found: dict[str, Any] = {}
    for name, raw in (payload.get("schemas") or {}).items():
        try:
            found[name] = parse_schema(name, raw, settings.api_path)
        except MailRouteError:
            continue
    for name in payload.get("listing") or {}:
        found.setdefault(name, None)
    return found


def _schema(args: Any) -> Any:
    return cached_schemas(args).get(getattr(args, "resource", None) or "")


def _starting(prefix: str, words: Iterable[str]) -> list[str]:
    return sorted(w for w in set(words) if w.startswith(prefix))


def _names(names: Iterable[str]) -> list[str]:
    """The names a shell can complete as themselves (see the module's docstring)."""
    return [name for name in names if completable(name)]


def complete_resource(prefix: str, parsed_args: Any = None, **_: Any) -> list[str]:
    """Resource names."""
    return _starting(prefix, _names(cached_schemas(parsed_args)))


def complete_fields(prefix: str, parsed_args: Any = None, **_: Any) -> list[str]:
    """`--fields a,b,c`: the last name of a comma-separated list."""
    schema = _schema(parsed_args)
    if schema is None:
        return []
    done, _comma, last = prefix.rpartition(",")
    head = done + "," if done else ""
    return [head + name for name in _starting(last, _names(schema.fields))]


def complete_order(prefix: str, parsed_args: Any = None, **_: Any) -> list[str]:
    """`--order [-]field` for orderable fields."""
    schema = _schema(parsed_args)
    if schema is None:
        return []
    sign = "-" if prefix.startswith("-") else ""
    return [sign + name for name in _starting(prefix.lstrip("-"), _names(schema.ordering))]


def filter_lookups(schema: Any) -> list[str]:
    """Every `field=` and `field__term=` the schema allows (relation hops are left to the
    user: they depend on the other resource)."""
    from ..schema.rules import allowed_terms
    from ..vocabulary import named_filter_terms

    lookups = []
    for name in _names(schema.filtering):
        f = schema.fields.get(name)  # None: a filter of the server's own code
        rule = schema.filtering[name]
        terms = named_filter_terms(rule) if f is None else allowed_terms(schema, f)
        if "exact" in terms:
            lookups.append(f"{name}=")
        lookups += [f"{name}__{term}=" for term in sorted(terms) if term != "exact"]
    return lookups


def complete_filter(prefix: str, parsed_args: Any = None, **_: Any) -> list[str]:
    """`--filter field__term=` as the schema allows."""
    schema = _schema(parsed_args)
    if schema is None or "=" in prefix:
        return []
    return _starting(prefix, filter_lookups(schema))


def complete_assignment(prefix: str, parsed_args: Any = None, **_: Any) -> list[str]:
    """`field=` for the fields a write may set."""
    schema = _schema(parsed_args)
    if schema is None or "=" in prefix:
        return []
    return _starting(
        prefix,
        (
            f"{f.name}="
            for f in schema.fields.values()
            if not f.readonly and f.name != "resource_uri" and completable(f.name)
        ),
    )


def autocomplete(parser: Any) -> None:
    """Answer the shell's completion request, if this run is one and argcomplete is
    installed (it exits the process when it answers)."""
    try:
        import argcomplete
    except ImportError:
        return
    argcomplete.autocomplete(parser)


def shell_code(shell: str, prog: str = "mailroute-dyn") -> str | None:
    """The line a shell's rc file evaluates to complete `prog`; None without argcomplete."""
    try:
        import argcomplete
    except ImportError:
        return None
    return str(argcomplete.shellcode([prog], shell=shell))  # type: ignore[attr-defined, unused-ignore]


def cmd_completion(ctx: Context) -> int:
    """The shell code that enables TAB completion (argcomplete, from the `cli` extra)."""
    code = shell_code(ctx.args.shell)
    if code is None:
        raise CommandFailed("shell completion needs argcomplete: pip install 'mailroute_dyn[cli]'")
    ctx.out.write(code)
    return 0


def register(add: AddCommand) -> None:
    """The sub-parsers of completion."""
    p = add(
        "completion",
        cmd_completion,
        "print the line that enables TAB completion in a shell",
        "TAB completes commands, options, resources, fields, filters and orderings\n"
        "(from the schema cache: run a command once first). Needs the cli extra:\n"
        "pip install 'mailroute_dyn[cli]'. Add to ~/.bashrc:\n\n"
        '  eval "$(mailroute-dyn completion bash)"',
    )
    p.add_argument(
        "shell", choices=("bash", "zsh", "fish", "tcsh", "powershell"), nargs="?", default="bash"
    )

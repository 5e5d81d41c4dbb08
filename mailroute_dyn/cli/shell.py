"""`shell`: a Python prompt with `client` and every resource class already bound.

On a terminal it is IPython when that is installed (`--plain` declines it), else `code`'s
interactive console with tab completion (rlcompleter over the same namespace, so
`Dom<TAB>` and `client.email_<TAB>` complete). When stdin is not a
terminal it reads statements from stdin without prompts, so `echo 'print(Domain.count())'
| mailroute-dyn shell` works in scripts; the exit status is then 1 if any statement raised.
"""

from __future__ import annotations

import builtins
import code
import importlib
import keyword
import sys
from typing import Any

from ..client import Client
from ..vocabulary import attribute_name_for
from .context import Context
from .options import AddCommand

__all__ = ["register", "shell_namespace", "cmd_shell"]


def shell_namespace(client: Client) -> dict[str, Any]:
    """`client`, each resource class by class name (`EmailAccount`) and by resource name
    (`email_account`, or its attribute form: `my_notes` for `my-notes`) where that name
    shadows nothing."""
    namespace: dict[str, Any] = {"client": client, "__name__": "__console__"}
    for name in client.preload():
        cls = client.resource(name)
        namespace.setdefault(cls.__name__, cls)
        attr = attribute_name_for(name)
        if attr.isidentifier() and not keyword.iskeyword(attr) and not hasattr(builtins, attr):
            namespace.setdefault(attr, cls)
    return namespace


class _Console(code.InteractiveConsole):
    """Remembers whether a statement failed, for the exit status of piped sessions."""

    failed = False

    def showtraceback(self) -> None:
        self.failed = True
        super().showtraceback()

    def showsyntaxerror(self, filename: str | None = None, **kwargs: Any) -> None:
        self.failed = True
        super().showsyntaxerror(filename, **kwargs)


class _PipedConsole(_Console):
    """Reads statements from stdin with no prompt, so stdout carries only output."""

    def raw_input(self, prompt: str = "") -> str:
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")


def _enable_completion(namespace: dict[str, Any]) -> None:
    try:
        import readline
        import rlcompleter
    except ImportError:  # no readline (Windows): the prompt still works
        return
    readline.set_completer(rlcompleter.Completer(namespace).complete)
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")


def cmd_shell(ctx: Context) -> int:
    client = ctx.client
    namespace = shell_namespace(client)
    if not sys.stdin.isatty():
        console: _Console = _PipedConsole(namespace)
        console.interact(banner="", exitmsg="")
        return 1 if console.failed else 0
    classes = sorted(k for k, v in namespace.items() if isinstance(v, type) and k[0].isupper())
    banner = (
        f"mailroute_dyn shell on {client.settings.api_url}\n"
        f"Bound: client, {', '.join(classes[:6])}{', ...' if len(classes) > 6 else ''}"
        f" (TAB completes). Ctrl-D leaves."
    )
    if not ctx.args.plain and _ipython(namespace, ctx.mask(banner)):
        return 0
    _enable_completion(namespace)
    console = _Console(namespace)
    console.interact(banner=ctx.mask(banner), exitmsg="")
    return 0


def _ipython(namespace: dict[str, Any], banner: str) -> bool:
    """IPython's prompt when it is installed (history, `?` help, better completion);
    False when it is not, for the plain console."""
    # loaded by name: IPython is no dependency, so the type checker sees no module either way
    try:
        ipython = importlib.import_module("IPython")
    except ImportError:
        return False
    print(banner)
    ipython.start_ipython(argv=["--no-banner"], user_ns=namespace)
    return True


def register(add: AddCommand) -> None:
    """The sub-parsers of shell."""
    p = add(
        "shell",
        cmd_shell,
        "a Python prompt with `client` and the resource classes bound",
        "A Python prompt with `client` and each resource class bound (TAB completes);\n"
        "IPython when it is installed. Without a terminal, statements are read from\n"
        "stdin:\n\n"
        "  echo 'print(Domain.count())' | mailroute-dyn shell",
    )
    p.add_argument(
        "--plain",
        action="store_true",
        help="the standard Python console even when IPython is installed",
    )

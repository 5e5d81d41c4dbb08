"""The command line's parser: global options, then each command group registers its own
sub-commands (`register` in read, write, shell, tools, config, diff, complete)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from ..version import package_version
from . import complete, config, diff, read, runs, shell, tools, write
from .options import positive

__all__ = ["build_parser", "preprocess", "COMMAND_GROUPS"]

# the modules that each register their sub-commands, in the order `--help` lists them
COMMAND_GROUPS = (read, write, runs, shell, tools, config, diff, complete)

_EPILOG = """\
examples (add --demo to try them on the built-in demo server, no account needed):
  mailroute-dyn resources
  mailroute-dyn list domain --filter name__startswith=acme --fields id,name,active
  mailroute-dyn get domain acme-002.com
  mailroute-dyn update domain --filter name=acme-003.com hold_email=yes
  mailroute-dyn COMMAND --help

connection: --url/--login/--api-key, else the profile (--profile or MAILROUTE_PROFILE),
else MAILROUTE_URL, MAILROUTE_LOGIN and MAILROUTE_API_KEY, else the config file's
default_profile (`mailroute-dyn config` shows which). A profile's key goes only to its own
base_url: --profile with a --url for another server is refused, and such a --url (or
MAILROUTE_URL) leaves the default_profile out. Prefer the environment or a profile
for the key: a key on the command line is visible to other users of the machine.
--auth basic/digest/session log in the other ways Tastypie offers; their secrets come only
from the environment (MAILROUTE_PASSWORD, MAILROUTE_SESSIONID, MAILROUTE_CSRFTOKEN) or a
profile.

exit status: 0 success; 1 the server or the network failed (HTTP errors, timeouts), some
rows of a bulk write failed, `diff` found changes, or a delete was declined; 2 refused
before anything was written (unknown command, option, resource or field, a filter or
ordering the schema does not allow, a value that does not fit its field, validation,
missing credentials, a delete without confirmation); 130 interrupted; 141 stdout closed
early (| head), quietly."""


def _globals(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("connection")
    g.add_argument("--url", metavar="URL", help="server, e.g. https://admin.mailroute.net")
    g.add_argument("--login", metavar="LOGIN", help="API login (or MAILROUTE_LOGIN)")
    g.add_argument(
        "--api-key", metavar="KEY", help="API key; discouraged: use MAILROUTE_API_KEY or a profile"
    )
    g.add_argument(
        "--auth",
        choices=("apikey", "basic", "digest", "session"),
        help="how to log in (default apikey: --login + MAILROUTE_API_KEY); basic "
        "and digest take --login + MAILROUTE_PASSWORD, session takes "
        "MAILROUTE_SESSIONID + MAILROUTE_CSRFTOKEN (or the profile's keys)",
    )
    g.add_argument(
        "--profile",
        metavar="NAME",
        help="a [profiles.NAME] table of config.toml (MAILROUTE_CONFIG: its path)",
    )
    g.add_argument(
        "--demo",
        action="store_true",
        help="use the built-in demo server (no network, no credentials)",
    )
    o = parser.add_argument_group("behaviour")
    o.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="log each request to stderr (the key is never shown)",
    )
    o.add_argument(
        "--no-cache", action="store_true", help="do not read or write the schema cache on disk"
    )
    o.add_argument(
        "--page-size",
        type=positive,
        metavar="N",
        help="objects per request when paging (default 100)",
    )
    o.add_argument(
        "--read-only",
        action="store_true",
        help="refuse every write before sending (also a profile's read_only = "
        "true): explore with a production key safely",
    )
    o.add_argument(
        "--max-rate",
        type=_rate,
        metavar="N",
        help="at most N writes per second (for production runs; default: no cap)",
    )


def _rate(text: str) -> float:
    """An argparse type for `--max-rate`: a number of writes per second above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError("must be a number of writes per second above 0")
    return value


class _ShowVersion(argparse.Action):
    """`--version`: the installed package's version, looked up only when asked for (reading
    the package metadata is not free, and every other command would pay for it)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(
            option_strings,
            dest,
            nargs=0,
            default=argparse.SUPPRESS,
            help="show the version and exit",
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        print(f"{parser.prog} {package_version()}")  # on stdout, as argparse's own
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailroute-dyn",
        description="The MailRoute admin API from the command line: "
        "resources, fields and filters come from the live schema.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _globals(parser)
    parser.add_argument("--version", action=_ShowVersion)
    # the global options work after the command too; there they default to "not given",
    # so they never undo what was given before the command
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    _globals(common)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(
        name: str, run: Callable[[Any], int], help_text: str, description: str = ""
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_text,
            description=description or help_text,
            parents=[common],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(run=run)
        return p

    for group in COMMAND_GROUPS:
        group.register(add)
    _attach_completers(parser)
    return parser


_COMPLETERS = {
    "resource": "complete_resource",
    "filter": "complete_filter",
    "order": "complete_order",
    "fields": "complete_fields",
    "values": "complete_assignment",
}


def _attach_completers(parser: argparse.ArgumentParser) -> None:
    """Give arguments the completers argcomplete calls (an attribute it looks for; it does
    nothing without argcomplete)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                for arg in sub._actions:
                    name = _COMPLETERS.get(arg.dest)
                    if name:
                        arg.completer = getattr(complete, name)  # type: ignore[attr-defined, unused-ignore]


def preprocess(argv: Sequence[str]) -> list[str]:
    """`--order -name` as `--order=-name`: argparse would take `-name` for an option."""
    out: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        token = args[i]
        if (
            token == "--order"
            and i + 1 < len(args)
            and args[i + 1].startswith("-")
            and not args[i + 1].startswith("--")
            and len(args[i + 1]) > 1
        ):
            out.append(f"--order={args[i + 1]}")
            i += 2
            continue
        if token == "--":
            out += args[i:]
            break
        out.append(token)
        i += 1
    return out

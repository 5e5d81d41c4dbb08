"""The command line: global options, one subcommand per job, `--help` on each."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from . import __version__

__all__ = ["build_parser", "preprocess"]

_EPILOG = """\
examples (add --demo to try them on the built-in demo server, no account needed):
  mailroute-dyn resources
  mailroute-dyn list domain --filter name__startswith=acme --fields id,name,active
  mailroute-dyn get domain acme-002.com
  mailroute-dyn update domain --filter name=acme-003.com hold_email=yes
  mailroute-dyn COMMAND --help

connection: --url/--login/--api-key, else the profile (--profile or MAILROUTE_PROFILE),
else MAILROUTE_URL, MAILROUTE_LOGIN and MAILROUTE_API_KEY, else the config file's
default_profile (`mailroute-dyn config` shows which). Prefer the environment or a profile
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


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _globals(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("connection")
    g.add_argument("--url", metavar="URL", help="server, e.g. https://admin.mailroute.net")
    g.add_argument("--login", metavar="LOGIN", help="API login (or MAILROUTE_LOGIN)")
    g.add_argument("--api-key", metavar="KEY",
                   help="API key; discouraged: use MAILROUTE_API_KEY or a profile")
    g.add_argument("--auth", choices=("apikey", "basic", "digest", "session"),
                   help="how to log in (default apikey: --login + MAILROUTE_API_KEY); basic "
                        "and digest take --login + MAILROUTE_PASSWORD, session takes "
                        "MAILROUTE_SESSIONID + MAILROUTE_CSRFTOKEN (or the profile's keys)")
    g.add_argument("--profile", metavar="NAME",
                   help="a [profiles.NAME] table of config.toml (MAILROUTE_CONFIG: its path)")
    g.add_argument("--demo", action="store_true",
                   help="use the built-in demo server (no network, no credentials)")
    o = parser.add_argument_group("behaviour")
    o.add_argument("--verbose", "-v", action="store_true",
                   help="log each request to stderr (the key is never shown)")
    o.add_argument("--no-cache", action="store_true",
                   help="do not read or write the schema cache on disk")
    o.add_argument("--page-size", type=_positive, metavar="N",
                   help="objects per request when paging (default 100)")


def _formats(p: argparse.ArgumentParser, choices: Sequence[str], default: str) -> None:
    p.add_argument("--format", choices=choices, default=default,
                   help=f"output format (default {default})")


def _res(p: argparse.ArgumentParser) -> None:
    p.add_argument("resource", metavar="RES", help="resource name, e.g. domain")


def _writes(p: argparse.ArgumentParser) -> None:
    p.add_argument("values", nargs="*", metavar="FIELD=VALUE",
                   help="typed by the schema: priority=8, active=no, domain=5 or "
                        "domain=acme.com (an id, a URI or a unique name), note=null")
    p.add_argument("--data", metavar="JSON|@FILE",
                   help="inline JSON, @file or @- (stdin): one JSON object, or for create "
                        "many (a JSON array, JSON Lines, CSV); FIELD=VALUE wins")
    p.add_argument("--data-format", choices=("auto", "json", "jsonl", "csv"),
                   default="auto", help="how --data is written (default: by the file's "
                                        "suffix, else JSON or JSON Lines)")
    _formats(p, ("table", "json", "jsonl"), "table")
    p.add_argument("--fields", metavar="A,B", help="show only these fields")


def _select(p: argparse.ArgumentParser, several: str | None) -> None:
    """A key, or `--filter` (one match, or every match with --all)."""
    p.add_argument("key", nargs="?", metavar="ID|URI|NAME",
                   help="an id, a URI, or a unique name (domain acme.com); or --filter")
    p.add_argument("--filter", action="append", metavar="FIELD__TERM=VALUE",
                   help="select by filter instead of a key (repeatable); exactly one object "
                        "must match" + (f", unless --all ({several})" if several else ""))
    if several:
        p.add_argument("--all", action="store_true",
                       help=f"act on every object --filter matches ({several})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailroute-dyn", description="The MailRoute admin API from the command line: "
        "resources, fields and filters come from the live schema.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _globals(parser)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # the global options work after the command too; there they default to "not given",
    # so they never undo what was given before the command
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    _globals(common)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help_text: str, description: str = "") -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=description or help_text,
                              parents=[common],
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    add("resources", "list the resources and their allowed methods")

    p = add("schema", "show a resource's fields, filtering, ordering and methods")
    _res(p)
    _formats(p, ("table", "json"), "table")

    p = add("list", "list objects of a resource",
            "List objects, filtered and ordered as the schema allows.\n\n"
            "  mailroute-dyn list domain --filter name__startswith=acme --order -created_at\n"
            "  mailroute-dyn list email_account --filter domain=acme-002.com "
            "--filter localpart__in=info,sales\n"
            "  mailroute-dyn list policy_domain --filter priority__gte=5 --order -priority\n"
            "  mailroute-dyn list email_account --all --format jsonl | jq .localpart")
    _res(p)
    p.add_argument("--filter", action="append", metavar="FIELD__TERM=VALUE",
                   help="a filter lookup (repeatable), e.g. localpart__startswith=in; "
                        "domain__name=acme-002.com; domain=acme-002.com (a related object "
                        "by id or unique name); id__in=1,2,3")
    p.add_argument("--order", action="append", metavar="[-]FIELD",
                   help="order by an orderable field, - for descending (repeatable, or "
                        "comma-separated)")
    amount = p.add_mutually_exclusive_group()
    amount.add_argument("--limit", type=_positive, default=20, metavar="N",
                        help="at most N objects (default 20)")
    amount.add_argument("--all", action="store_true",
                        help="every object (a progress bar on a terminal)")
    p.add_argument("--fields", metavar="A,B", help="columns (table, csv) or keys (json)")
    _formats(p, ("table", "json", "jsonl", "csv"), "table")

    p = add("get", "show one object by key, URI, unique name or filter",
            "Show one object.\n\n"
            "  mailroute-dyn get domain 2\n"
            "  mailroute-dyn get domain acme-002.com\n"
            "  mailroute-dyn get email_account --filter localpart=info "
            "--filter domain=acme-002.com")
    _res(p)
    _select(p, None)
    _formats(p, ("table", "json"), "table")
    p.add_argument("--fields", metavar="A,B", help="show only these fields")

    p = add("create", "create an object, or many from a file",
            "Create an object. Values are typed by the schema; a related object may be\n"
            "named by id, URI or a unique name. --data with a JSON array, JSON Lines or\n"
            "CSV creates many (bulk), prints one line per row and exits 1 if any failed.\n\n"
            "  mailroute-dyn create email_account localpart=office domain=acme-002.com "
            "priority=8\n"
            "  mailroute-dyn create email_account domain=5 --data "
            "'[{\"localpart\": \"a\"}, {\"localpart\": \"b\"}]'\n"
            "  mailroute-dyn create email_account --data @accounts.csv   "
            "# or .jsonl, .json; @- is stdin")
    _res(p)
    _writes(p)

    p = add("update", "change fields of an object, or of every filter match",
            "Change some fields; the others are never touched.\n\n"
            "  mailroute-dyn update email_account 12 priority=9 create_opt=yes\n"
            "  mailroute-dyn update domain acme-003.com hold_email=yes\n"
            "  mailroute-dyn update email_account --filter domain=acme-002.com --all "
            "priority=3")
    _res(p)
    _select(p, "bulk_update, one line per object")
    _writes(p)

    p = add("delete", "delete an object, or every filter match (asks first)",
            "Delete one object, or with --filter ... --all every match in one guarded\n"
            "list DELETE. Asks first unless --yes.\n\n"
            "  mailroute-dyn delete wblist 1 --yes\n"
            "  mailroute-dyn delete wblist --filter wb=w --all --yes")
    _res(p)
    _select(p, "one list-level DELETE")
    p.add_argument("--yes", "-y", action="store_true",
                   help="do not ask (needed when stdin is not a terminal)")

    p = add("shell", "a Python prompt with `client` and the resource classes bound",
            "A Python prompt with `client` and each resource class bound (TAB completes);\n"
            "IPython when it is installed. Without a terminal, statements are read from\n"
            "stdin:\n\n"
            "  echo 'print(Domain.count())' | mailroute-dyn shell")
    p.add_argument("--plain", action="store_true",
                   help="the standard Python console even when IPython is installed")

    p = add("stubs", "write a typing stub (.pyi) of the live schema",
            "Write a .pyi stub so editors complete and mypy checks scripts.\n\n"
            "  mailroute-dyn stubs -o typings/mailroute_api.pyi\n"
            "  MYPYPATH=typings mypy --strict script.py\n\n"
            "See the stub's docstring for how a script uses it.")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write (default stdout)")
    p.add_argument("--module", metavar="NAME",
                   help="the module name the stub documents (default: from FILE)")

    p = add("cache", "show or clear the schema cache")
    p.add_argument("action", choices=("info", "clear"), nargs="?", default="info")

    p = add("capture", "snapshot the server into a fixture folder for the fake server")
    p.add_argument("directory", metavar="DIR")
    p.add_argument("--limit", type=_positive, default=50, metavar="N",
                   help="objects per resource (default 50)")

    p = add("graph", "draw resources and their relations",
            "Resources and relations (to_one -->, to_many ==>), as Mermaid or Graphviz.")
    _formats(p, ("mermaid", "dot"), "mermaid")

    p = add("config", "show where the settings come from, or add a profile",
            "Show the config file, its profiles, the profile in effect and where each\n"
            "setting comes from; or add a profile from --url, --login and the key\n"
            "(MAILROUTE_API_KEY, else asked for) to a file only you can read.\n"
            "A profile is chosen by --profile, else MAILROUTE_PROFILE, else the file's\n"
            "default_profile (below the MAILROUTE_* variables).\n\n"
            "  mailroute-dyn config\n"
            "  MAILROUTE_API_KEY=... mailroute-dyn --url https://admin.mailroute.net "
            "--login ops config add production --default")
    p.add_argument("action", choices=("show", "add"), nargs="?", default="show")
    p.add_argument("name", nargs="?", metavar="NAME", help="the profile to add")
    p.add_argument("--default", action="store_true",
                   help="make it the default_profile")
    p.add_argument("--replace", action="store_true",
                   help="overwrite a profile of that name")

    p = add("diff", "compare the cached schema with the live one",
            "Compare the schema in the disk cache with the live one: resources and fields\n"
            "added or removed, changes of type, flags, filtering, ordering and methods.\n"
            "Exit 1 when something changed, 0 when not (or when nothing was cached).\n"
            "Afterwards the cache holds the live schema, unless --no-update.")
    p.add_argument("--no-update", action="store_true",
                   help="leave the cache file as it was")

    p = add("completion", "print the line that enables TAB completion in a shell",
            "TAB completes commands, options, resources, fields, filters and orderings\n"
            "(from the schema cache: run a command once first). Needs the cli extra:\n"
            "pip install 'mailroute_dyn[cli]'. Add to ~/.bashrc:\n\n"
            '  eval "$(mailroute-dyn completion bash)"')
    p.add_argument("shell", choices=("bash", "zsh", "fish", "tcsh", "powershell"),
                   nargs="?", default="bash")
    _attach_completers(parser)
    return parser


_COMPLETERS = {"resource": "complete_resource", "filter": "complete_filter",
               "order": "complete_order", "fields": "complete_fields",
               "values": "complete_assignment"}


def _attach_completers(parser: argparse.ArgumentParser) -> None:
    """Give arguments the completers argcomplete calls (an attribute it looks for; it does
    nothing without argcomplete)."""
    from . import cli_complete
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                for arg in sub._actions:
                    name = _COMPLETERS.get(arg.dest)
                    if name:
                        arg.completer = getattr(cli_complete, name)  # type: ignore[attr-defined, unused-ignore]


def preprocess(argv: Sequence[str]) -> list[str]:
    """`--order -name` as `--order=-name`: argparse would take `-name` for an option."""
    out: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--order" and i + 1 < len(args) and args[i + 1].startswith("-") \
                and not args[i + 1].startswith("--") and len(args[i + 1]) > 1:
            out.append(f"--order={args[i + 1]}")
            i += 2
            continue
        if token == "--":
            out += args[i:]
            break
        out.append(token)
        i += 1
    return out

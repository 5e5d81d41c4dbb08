"""`mailroute-dyn` (also `python -m mailroute_dyn`): the API from the command line.

`main(argv)` parses, runs one command and returns the exit status, so tests call it
directly. Exit status: 0 success; 1 when the server or the network failed (any
`APIError`, `TransportError`, an unusable answer), when a file could not be written, when
`diff` found changes, when a bulk write failed for some rows, or when a delete was declined
at its prompt; 2 when the command was refused before anything was written (argparse
errors, a `field=value` that does not fit its field, an unknown resource, a filter or
ordering the schema does not allow, a body the JSON Schema rejects, missing credentials,
a delete without confirmation); 130 on Ctrl-C; 141 when stdout is closed early
(`| head`), quietly. Errors are one `error: …` line on stderr, never a
traceback, and never contain the API key.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx

from ..errors import (
    APIError,
    CommandFailed,
    MailRouteError,
    MultipleObjectsReturned,
    ResponseError,
    SchemaError,
    TransportError,
)
from ..escaping import library_log, terminal_text
from ..settings.auth import Secret
from .args import build_parser, preprocess
from .context import Context, mask

__all__ = ["main"]

EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_PIPE = 1, 2, 130, 141
_LOG = library_log()
# what only the server or the network can cause; every other MailRouteError is a refusal
# made before anything was written (usage, exit 2)
_AFTER_SENDING = (APIError, TransportError, ResponseError, SchemaError, MultipleObjectsReturned)


class _MaskingFormatter(logging.Formatter):
    """Belt and braces: the library already redacts URLs and never logs the key; this
    hides it anyway should it ever reach a message. Control characters a server's names
    bring are escaped (line ends kept: a traceback spans lines)."""

    def __init__(self, ctx: Context):
        super().__init__("%(levelname)s %(message)s")
        self.ctx = ctx

    def format(self, record: logging.LogRecord) -> str:
        text = self.ctx.mask(super().format(record))
        return "\n".join(terminal_text(line) for line in text.split("\n"))


def _verbose(ctx: Context) -> Callable[[], None]:
    """Log requests to stderr for this run; returns the undo."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_MaskingFormatter(ctx))
    level = _LOG.level
    _LOG.addHandler(handler)
    _LOG.setLevel(logging.DEBUG)

    def undo() -> None:
        _LOG.removeHandler(handler)
        _LOG.setLevel(level)

    return undo


def _warning_printer(ctx: Context) -> Callable[..., None]:
    """Warnings (a config file others can read) as one `warning: …` line on stderr."""

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        ctx.note(f"warning: {message}")

    return show


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush
    does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _keys_in(words: Sequence[str]) -> set[Secret]:
    """Keys given on the command line or in the environment, to mask in what is printed
    (argparse quotes stray words in its complaints)."""
    keys = {
        os.environ.get(name, "")
        for name in (
            "MAILROUTE_API_KEY",
            "MAILROUTE_PASSWORD",
            "MAILROUTE_SESSIONID",
            "MAILROUTE_CSRFTOKEN",
        )
    }
    for i, word in enumerate(words):
        option, equals, value = word.partition("=")
        # any option that looks like a key, mistyped ones (--apikey, --key) included
        if option.startswith("-") and "key" in option.lower():
            if equals:
                keys.add(value)
            elif i + 1 < len(words):
                keys.add(words[i + 1])
    return {Secret(k) for k in keys if k}


def _parse(parser: argparse.ArgumentParser, words: list[str]) -> argparse.Namespace:
    """Parse, letting `field=value` words come anywhere: argparse gives an optional key the
    first of them, and leaves those after an option unparsed (bpo-14191)."""
    args, extra = parser.parse_known_args(words)
    values = getattr(args, "values", None)
    if values is None:
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        return args
    stray = [w for w in extra if w.startswith("-") or "=" not in w]
    if stray:
        parser.error(f"unrecognized arguments: {' '.join(stray)}")
    key = getattr(args, "key", None)
    if key is not None and "=" in key and not key.startswith(("/", "http://", "https://")):
        args.values = [key, *values]
        args.key = None
    args.values = [*args.values, *extra]
    return args


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops a command as Ctrl-C does (a bulk write awaits its writes in flight
    and prints its summary) instead of killing it mid-write. Main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def main(argv: Sequence[str] | None = None, *, transport: httpx.BaseTransport | None = None) -> int:
    """Run one command; returns the exit status. `transport` (tests, embedding) replaces
    the HTTP transport, e.g. a `FakeMailRoute`."""
    words = preprocess(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (TAB)
        from .complete import autocomplete

        autocomplete(parser)
    complaint = io.StringIO()
    try:
        with contextlib.redirect_stderr(complaint):
            args = _parse(parser, words)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        sys.stderr.write(mask(complaint.getvalue(), _keys_in(words)))
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    args.api_key = Secret.of(args.api_key)  # masked in any repr of the arguments
    ctx = Context(args, transport, secrets=_keys_in(words))
    undo = _verbose(ctx) if args.verbose else None
    try:
        with warnings.catch_warnings(), _sigterm_interrupts():
            warnings.simplefilter("default")
            warnings.showwarning = _warning_printer(ctx)
            run: Callable[[Context], int] = args.run
            return run(ctx)
    except (CommandFailed, *_AFTER_SENDING) as exc:
        ctx.note(f"error: {exc}")
        return EXIT_FAILED
    except MailRouteError as exc:  # a CommandUsageError among them
        ctx.notes(f"error: {exc}", getattr(exc, "details", ()))
        return EXIT_USAGE
    except KeyboardInterrupt:
        ctx.note("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_PIPE
    except OSError as exc:  # a folder that cannot be written, a full disk
        ctx.note(f"error: {exc}")
        return EXIT_FAILED
    finally:
        try:
            ctx.close()
        finally:
            if undo is not None:
                undo()


if __name__ == "__main__":
    raise SystemExit(main())

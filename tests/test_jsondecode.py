"""The fast JSON decoder (msgspec, the `speed` extra) gives exactly what the standard
library path gives, and that is what `json.loads` gives except for numbers a float would
change (kept as `RawNumber`).

Answers are decoded by `mailroute_dyn.jsondecode.decode`: msgspec where installed, the
standard library otherwise. Results must not depend on which one is installed, so every
recorded body, every fixture and random JSON documents are decoded both ways and compared,
including the inputs where msgspec and the standard library disagree on their own.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailroute_dyn import jsondecode
from tests.replay import RECORDINGS, ReplayTransport

msgspec = pytest.importorskip("msgspec")
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _same(a: Any, b: Any) -> bool:
    """Equal, with the types kept (1 and 1.0 and True differ) and NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, jsondecode.RawNumber):
        return a.text == b.text
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return a == b


def _outcome(decode: Any, content: bytes) -> Any:
    try:
        return ("value", decode(content))
    except (ValueError, RecursionError) as exc:
        return ("error", type(exc))


def _stdlib_decode(content: bytes, exact_numbers: bool) -> Any:
    """What `decode` gives without msgspec."""
    jsondecode.decoder_name()
    chosen = jsondecode._fast, jsondecode._fast_exact
    jsondecode._fast = jsondecode._fast_exact = None
    try:
        return jsondecode.decode(content, exact_numbers)
    finally:
        jsondecode._fast, jsondecode._fast_exact = chosen


def _both_ways(content: bytes) -> None:
    for exact in (False, True):
        fast = _outcome(lambda c: jsondecode.decode(c, exact), content)  # noqa: B023
        plain = _outcome(lambda c: _stdlib_decode(c, exact), content)  # noqa: B023
        assert fast[0] == plain[0], content[:80]
        if fast[0] == "value":
            assert _same(fast[1], plain[1]), content[:80]
        else:
            assert fast[1] is plain[1], content[:80]


@pytest.fixture(autouse=True)
def _fast_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILROUTE_DYN_JSON", raising=False)
    monkeypatch.setattr(jsondecode, "_chosen", False)


def test_msgspec_is_the_decoder_when_installed() -> None:
    assert jsondecode.decoder_name() == "msgspec"


def test_stdlib_is_chosen_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILROUTE_DYN_JSON", "stdlib")
    assert jsondecode.decoder_name() == "json"
    assert jsondecode.decode(b'{"a": [1, 2.5, null]}') == {"a": [1, 2.5, None]}


def test_stdlib_is_the_fallback_without_msgspec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "msgspec", None)  # import msgspec -> ImportError
    assert jsondecode.decoder_name() == "json"
    assert jsondecode.decode(b"[true]") == [True]


def test_every_recorded_body_decodes_the_same_both_ways() -> None:
    bodies = [
        item.content()[0]
        for path in sorted(RECORDINGS.glob("*/*.json"))
        for item in ReplayTransport([path.relative_to(RECORDINGS).as_posix()]).recorded
    ]
    bodies += [p.read_bytes() for p in sorted(FIXTURES.rglob("*.json"))]
    assert len(bodies) > 100
    for content in bodies:
        _both_ways(content)


@pytest.mark.parametrize(
    "content",
    [
        b'{"a": 1, "a": 2}',  # duplicate keys: the last wins
        b"123456789012345678901234567890",  # past 64 bits: an int, not a float
        b"-9223372036854775809",
        b"1E400",
        b"-1e400",
        b"NaN",
        b"Infinity",  # the standard library's extensions
        b'"\\ud800"',  # a lone surrogate
        b"\xef\xbb\xbf{}",  # a byte-order mark
        b"[" * 3000 + b"]" * 3000,  # deeper than either decoder goes
        b'{"x": 1.1e-310, "y": 0.1e1, "z": -0.0}',
        b'"\xff"',
        b"{",
        b"",
        b"  ",
        b"[1,]",  # not JSON
    ],
)
def test_decoders_agree_where_they_differ_by_nature(content: bytes) -> None:
    _both_ways(content)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.booleans())
def test_random_documents_decode_the_same_both_ways(value: Any, ascii_only: bool) -> None:
    content = json.dumps(value, ensure_ascii=ascii_only).encode()
    _both_ways(content)
    if jsondecode.non_finite_at(value) is None:  # (Infinity is kept as a RawNumber)
        for exact in (False, True):  # floats stay floats, either way
            assert _same(jsondecode.decode(content, exact), json.loads(content))


@pytest.mark.slow
def test_the_suite_passes_with_the_standard_library_decoder() -> None:
    """The client behaves the same without the fast decoder: the day-to-day suite, again."""
    env = dict(os.environ, MAILROUTE_DYN_JSON="stdlib")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-m",
            "not slow",
            "-p",
            "no:randomly",
            "tests/test_replay_scenarios.py",
            "tests/test_replay_bodies.py",
            "tests/test_query.py",
            "tests/test_instances.py",
            "tests/test_http.py",
            "tests/test_conformance.py",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]

"""The public API is typed exactly, for both clients: mypy --strict on a user's script
learns `int` from `count()`, the resource class from `get()`, `first()`, iteration and
`save()`, and awaitables from an AsyncClient's classes (not `Any`, which would hide every
mistake)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.helpers import run_mypy

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """\
from __future__ import annotations

from collections.abc import Awaitable
from typing import assert_type

from mailroute_dyn import (AsyncClient, AsyncQuerySet, AsyncResource, BulkResult, Client,
                           QuerySet, Resource)


def sync_use(client: Client) -> None:
    assert_type(client["domain"], type[Resource])
    Domain = client.resource("domain")
    assert_type(Domain.count(), int)
    assert_type(Domain.get(1), Resource)
    assert_type(Domain.get(name="x.com"), Resource)
    assert_type(Domain.first(), Resource | None)
    qs = Domain.filter(name__startswith="a").order_by("name")
    assert_type(qs, QuerySet[Resource])
    assert_type(qs.count(), int)
    assert_type(qs[0], Resource)
    assert_type(qs[:5], QuerySet[Resource])
    for obj in qs:
        assert_type(obj, Resource)
        assert_type(obj.save(), Resource)
        assert_type(obj.refresh(), Resource)
    assert_type(Domain.create(name="y.com"), Resource)
    assert_type(Domain.bulk_delete([1, 2]), BulkResult)
    assert_type(Domain.get_or_create(name="z.com"), tuple[Resource, bool])


async def async_use(client: AsyncClient) -> None:
    assert_type(client["domain"], Awaitable[type[AsyncResource]])
    assert_type(await client["domain"], type[AsyncResource])
    Domain = await client.resource("domain")
    assert_type(Domain, type[AsyncResource])
    assert_type(await Domain.count(), int)
    assert_type(await Domain.get(1), AsyncResource)
    assert_type(await Domain.first(), AsyncResource | None)
    qs = Domain.filter(name__startswith="a")
    assert_type(qs, AsyncQuerySet[AsyncResource])
    assert_type(await qs.count(), int)
    assert_type(await qs[0], AsyncResource)
    async for obj in qs:
        assert_type(obj, AsyncResource)
        assert_type(await obj.save(), AsyncResource)
    assert_type(await Domain.create(name="y.com"), AsyncResource)
    assert_type(await client.get("/api/v1/domain/1/"), AsyncResource)
"""

MISTAKES = """\
from __future__ import annotations

from mailroute_dyn import AsyncClient, Client


def sync_use(client: Client) -> None:
    total: str = client.resource("domain").count()


async def async_use(client: AsyncClient) -> None:
    Domain = await client.resource("domain")
    total: int = Domain.count()
"""


@pytest.mark.slow
def test_mypy_strict_gives_exact_types_to_scripts_using_both_clients(tmp_path):
    (tmp_path / "script.py").write_text(SCRIPT)
    (tmp_path / "mistakes.py").write_text(MISTAKES)
    config = textwrap.dedent(f"""\
    [mypy]
    mypy_path = {ROOT}
    [mypy-jsonschema.*]
    ignore_missing_imports = True
    """)
    done = run_mypy(tmp_path, config, "script.py", "mistakes.py")
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert not [e for e in errors if not e.startswith("mistakes.py:")], done.stdout
    # an int is no str, and an AsyncClient's count() must be awaited
    assert [int(e.split(":")[1]) for e in errors] == [7, 12], done.stdout
    assert 'has type "int", variable has type "str"' in done.stdout
    assert 'has type "Coroutine[Any, Any, int]", variable has type "int"' in done.stdout

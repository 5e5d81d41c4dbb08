"""A short guided tour of mailroute_dyn against the demo server (no network needed).

`python -m mailroute_dyn.demo` and `Client.demo()` lead here; `tour()` prints each step.
"""

from __future__ import annotations

import sys
import textwrap
from typing import TextIO

from .demo import demo_client

__all__ = ["tour"]


def tour(out: TextIO | None = None) -> int:
    """Walk through discovery, schemas, filters, paging and a create/update/delete cycle
    on the demo data, printing each step to `out` (sys.stdout when None, looked up at call
    time); returns 0, an exit status."""
    stream = out if out is not None else sys.stdout

    def say(text: str = "") -> None:
        print(text, file=stream)

    def step(number: int, title: str, code: str) -> None:
        say()
        say(f"{number}. {title}")
        say(f"   >>> {code}")

    with demo_client() as client:
        say("mailroute_dyn tour: a client built at run time from the server's schemas.")
        say("(This runs on the built-in fake server: nothing leaves your machine.)")

        step(1, "Discover the resources", "client.resources")
        names = client.resources
        say(f"   {len(names)} resources:")
        for line in textwrap.wrap(", ".join(names), 84):
            say(f"     {line}")

        step(2, "Inspect a schema", "Domain = client.domain")
        domain = client.domain
        fields = ", ".join(
            f"{f.name}:{f.python_type}"
            for f in domain.fields.values()
            if f.name not in ("resource_uri", "absolute_url")
        )
        for number, line in enumerate(textwrap.wrap(fields, 76)):
            say(f"   {'fields:    ' if number == 0 else '           '}{line}")
        say(f"   filtering: {dict(domain.filtering)}")
        say(f"   ordering:  {', '.join(domain.ordering)}")

        step(
            3,
            "Filter (checked against the schema before sending)",
            'Domain.filter(name__startswith="acme-00").order_by("-name")',
        )
        found = domain.filter(name__startswith="acme-00").order_by("-name")
        say(f"   {found.count()} domains: {', '.join(d.name for d in found[:4])}, ...")

        step(
            4,
            "Page through a list (pages follow meta.next)",
            "client.email_account.all().page_size(10)",
        )
        accounts = client.email_account.all().page_size(10)
        say(f"   total_count: {accounts.count()}")
        first = list(accounts[:10])
        say(f"   first page:  {', '.join(a.localpart for a in first[:6])}, ...")

        step(
            5,
            "Create an email account",
            'acct = client.email_account.create(localpart="tour", domain=dom)',
        )
        dom = domain.get(name="acme-001.com")
        acct = client.email_account.create(localpart="tour", domain=dom, priority=7)
        say(f"   created {acct.resource_uri} (priority {acct.priority})")

        step(6, "Update it", "acct.priority = 3; acct.save()")
        acct.priority = 3
        acct.save()
        how = (
            "PATCH of the changed field"
            if "patch" in type(acct).allowed_detail_methods
            else "PUT of every writable field: this resource has no PATCH"
        )
        say(f"   saved ({how})")

        step(7, "Read it back", "client.email_account.get(acct.id)")
        again = client.email_account.get(acct.id)
        say(
            f"   {again.localpart}@{again.domain.name}: priority {again.priority}, "
            f"created {again.created_at:%Y-%m-%d %H:%M}"
        )

        step(8, "Delete it", "acct.delete()")
        acct.delete()
        gone = client.email_account.filter(localpart="tour").exists()
        say(f"   deleted; still there? {gone}")

        say()
        say("Next: help(client.domain), client.domain.json_schema, and docs/index.md.")
    return 0


if __name__ == "__main__":
    raise SystemExit(tour())

"""The guarantees of the docs' Safety page, proven on the fake server's fault
injection: nothing lost or repeated under transient faults, no duplicate creates, and the
API key in no log, repr, exception text or file written during a full CRUD run."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from mailroute_dyn import AsyncClient, Client, MailRouteError
from mailroute_dyn.fake.fixtures import load_fixture, write_fixture
from mailroute_dyn.testing import FakeMailRoute

URL = "https://fake.mailroute.test"
KEY = "fake-secret-key-5f64a1b2c3d4e5f6-not-real"


@pytest.fixture(scope="module")
def big_fixture(tmp_path_factory) -> Path:
    """The fixtures plus 2,000 extra domains."""
    base = load_fixture(Path(__file__).resolve().parent.parent / "fixtures")
    domains = list(base.objects["domain"])
    template = domains[0]
    for i in range(2000 - len(domains)):
        key = 100_000 + i
        domains.append(
            {
                **template,
                "id": key,
                "name": f"bulk-{i:05d}.test",
                "resource_uri": f"/api/v1/domain/{key}/",
                "absolute_url": f"/domain/{key}/",
            }
        )
    objects = {**base.objects, "domain": domains}
    root = Path(__file__).resolve().parent.parent / "fixtures"
    listing = json.loads((root / "listing.json").read_text())
    return write_fixture(tmp_path_factory.mktemp("big"), base.schemas, objects, listing)


@pytest.mark.slow
def test_listing_2000_objects_under_30_percent_faults_yields_each_once(big_fixture):
    fake = FakeMailRoute(big_fixture, login="ops", api_key=KEY)
    with Client(
        URL, "ops", KEY, transport=fake, cache_dir=None, retries=8, backoff=0, page_size=50
    ) as client:
        Domain = client.domain
        fake.faults(
            rate=0.3, kinds=("503", "502", "504", "429", "timeout", "connect", "reset"), seed=7
        )
        names = [d.name for d in Domain.all()]
    faulted = [r for r in fake.requests if r.fault]
    assert len(names) == 2000 and len(set(names)) == 2000
    assert len(faulted) > 5  # the faults really happened


def test_listing_under_faults_with_concurrent_pages(big_fixture):
    fake = FakeMailRoute(big_fixture, login="ops", api_key=KEY)

    async def main():
        async with AsyncClient(
            URL, "ops", KEY, transport=fake, cache_dir=None, retries=8, backoff=0, page_size=100
        ) as client:
            Domain = await client.resource("domain")
            fake.faults(rate=0.3, kinds=("503", "timeout", "reset", "429"), seed=3)
            return [d.id async for d in Domain.all()]

    ids = asyncio.run(main())
    assert len(ids) == 2000 and len(set(ids)) == 2000


def test_100_creates_under_faults_make_100_objects():
    fake = FakeMailRoute(login="ops", api_key=KEY)
    with Client(URL, "ops", KEY, transport=fake, cache_dir=None, retries=6, backoff=0) as client:
        EA = client.email_account
        dom = client.domain.get(912345)
        before = EA.filter(domain=dom).count()
        fake.faults(rate=0.3, kinds=("503", "504", "timeout", "reset", "connect", "429"), seed=11)
        made = []
        for i in range(100):
            made.append(
                EA.create(localpart=f"user{i:03d}", domain=dom, dedupe_on=("localpart", "domain"))
            )
        fake.faults(None)
        accounts = [a for a in EA.filter(domain=dom) if a.localpart.startswith("user")]
        after = EA.filter(domain=dom).count()
    assert len(made) == 100
    assert sorted(a.localpart for a in accounts) == [f"user{i:03d}" for i in range(100)]
    assert len({a.resource_uri for a in made}) == 100 and after == before + 100
    assert any(r.fault == "reset" and r.method == "POST" for r in fake.requests)


def test_the_key_is_nowhere_after_a_full_crud_run(tmp_path, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    fake = FakeMailRoute(login="ops", api_key=KEY)
    texts: list[str] = []
    cache = tmp_path / "cache"
    with Client(URL, "ops", KEY, transport=fake, cache_dir=cache, retries=2, backoff=0) as client:
        texts += [repr(client), str(client.settings), repr(client.settings)]
        client.preload()
        EA = client.email_account
        texts += [repr(EA), EA.__doc__ or "", json.dumps(EA.json_schema)]
        dom = client.domain.first()
        acct = EA.create(localpart="secretive", domain=dom, extra={"password": KEY})
        texts += [repr(acct), json.dumps(acct.to_dict()), repr(EA.filter(domain=dom))]
        acct.priority = 2
        acct.save()
        acct.refresh()
        texts.append(json.dumps(acct.to_dict()))
        fake.fail_next("500")
        fake.fail_next("html")
        for _ in range(2):
            try:
                EA.get(acct.id)
            except MailRouteError as exc:
                texts += [str(exc), repr(exc), repr(exc.args)]
        fake.fail_next("reset", methods=["POST"])
        try:
            EA.create(localpart="lost", domain=dom)
        except MailRouteError as exc:
            texts += [str(exc), repr(exc)]
        acct.delete()
    with Client(URL, "ops", "wrong-" + KEY, transport=fake, cache_dir=None) as bad:
        try:
            list(bad.domain.all())
        except MailRouteError as exc:
            texts += [str(exc), repr(exc)]
    out = capsys.readouterr()
    texts += [caplog.text, out.out, out.err]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files, "the disk cache was written"
    texts += [p.read_text(errors="replace") for p in files]
    assert "GET" in caplog.text and "POST" in caplog.text
    for text in texts:
        assert KEY not in text
        assert "5f64a1b2c3d4e5f6" not in text
